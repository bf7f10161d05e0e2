/**
 * The workspace the tarballs are packed from: which packages are published,
 * and the versions of third-party packages it tests them with. (This
 * package's devDependencies on the published @threadline packages only make
 * turbo build them before this test; nothing imports them from the
 * workspace. @threadline/testing gives it the README reader and the listen
 * hook that test/readme uses.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  /** `@threadline/core` */
  name: string;
  /** `core`: its folder under packages/ */
  folder: string;
  dir: string;
  manifest: Manifest;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** The packages under packages/ that are published (not `private`), by folder name. */
export function publishedPackages(): WorkspacePackage[] {
  const packagesDir = join(ROOT, 'packages');
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(packagesDir, entry.name);
      const manifest = readManifest(dir);
      return { name: manifest.name, folder: entry.name, dir, manifest };
    })
    .filter((pkg) => !pkg.manifest.private)
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/**
 * The subpaths a package exports for code (`.`, `./transport`), without
 * `./package.json`, each with the source file it is built from.
 */
export function entryPoints(pkg: WorkspacePackage): { specifier: string; source: string }[] {
  return Object.keys(pkg.manifest.exports ?? { '.': null })
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => ({
      specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      source: join(pkg.dir, 'src', `${subpath === '.' ? 'index' : subpath.slice(2)}.ts`),
    }));
}

/**
 * The exact version of a third-party package that the workspace pins in its
 * devDependencies (root and packages/), so the installed app uses what the
 * package tests ran with. Throws when the workspace pins none, or several.
 */
export function workspaceVersion(name: string): string {
  const manifests = [readManifest(ROOT), ...publishedPackages().map((pkg) => pkg.manifest)];
  const versions = new Set(
    manifests.map((manifest) => manifest.devDependencies?.[name]).filter((v) => v !== undefined),
  );
  if (versions.size !== 1) {
    throw new Error(
      `the workspace pins ${versions.size === 0 ? 'no version' : `versions ${[...versions].join(', ')}`} of ${name} in devDependencies; the packaging test needs exactly one`,
    );
  }
  return [...versions][0] as string;
}
