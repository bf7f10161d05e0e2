// Threadline takes its @opentelemetry/* dependencies by range, and the API as
// a peer, so that an app with the OpenTelemetry SDK has one copy of each
// (core's README says so). The app installs @opentelemetry/sdk-node, the
// newest whose packages those ranges allow, beside the tarballs (app.ts):
// npm must resolve each package Threadline depends on to one copy, the newest
// in its range, which the README examples (readme.test.ts) then run on. The
// workspace's own suite runs on the lowest (resolutionMode: lowest-direct).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { run } from './src/app.js';
import type { Manifest } from './src/workspace.js';

const app = inject('app');

/** The `@opentelemetry/*` packages the installed Threadline packages depend on (or take as a peer), by range. */
function threadlineRanges(): Map<string, Set<string>> {
  const ranges = new Map<string, Set<string>>();
  for (const name of Object.keys(app.tarballs)) {
    const manifest = JSON.parse(
      readFileSync(join(app.dir, 'node_modules', name, 'package.json'), 'utf8'),
    ) as Manifest;
    for (const [dependency, range] of Object.entries({
      ...manifest.dependencies,
      ...manifest.peerDependencies,
    })) {
      if (!dependency.startsWith('@opentelemetry/')) continue;
      ranges.set(dependency, (ranges.get(dependency) ?? new Set()).add(range));
    }
  }
  return ranges;
}

interface Node {
  version?: string;
  path?: string;
  dependencies?: Record<string, Node>;
}

/** Where each package is installed, and at which version, as `npm ls --all --long` reports the tree. */
async function installed(): Promise<Map<string, Set<string>>> {
  const { stdout } = await run('npm', ['ls', '--all', '--json', '--long'], {
    cwd: app.dir,
    timeout: 60_000,
  });
  const copies = new Map<string, Set<string>>();
  const walk = (node: Node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      const copy = `${child.version} at ${child.path}`;
      copies.set(name, (copies.get(name) ?? new Set()).add(copy));
      walk(child);
    }
  };
  walk(JSON.parse(stdout) as Node);
  return copies;
}

/** Compares two versions (x.y.z: the ranges admit no pre-releases). */
function byVersion(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number)) as [number[], number[]];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * The newest version of `name` in `range` that npm knows of: from the same
 * package metadata the install read (its cache, `--prefer-offline`, as the
 * install ran), so both agree on what is out.
 */
async function newest(name: string, range: string): Promise<string> {
  const { stdout } = await run(
    'npm',
    ['view', `${name}@${range}`, 'version', '--json', '--prefer-offline'],
    { cwd: app.dir, timeout: 60_000 },
  );
  const last = [JSON.parse(stdout) as string | string[]].flat().sort(byVersion).at(-1);
  if (!last) throw new Error(`npm knows no version of ${name} in ${range}`);
  return last;
}

describe('beside the newest OpenTelemetry SDK', () => {
  it('npm installs one copy of each @opentelemetry/* package Threadline depends on, the newest in its range', async () => {
    const ranges = threadlineRanges();
    // core's six dependencies, and the API: the peer of every package but dev.
    expect([...ranges.keys()].sort()).toEqual([
      '@opentelemetry/api',
      '@opentelemetry/context-async-hooks',
      '@opentelemetry/core',
      '@opentelemetry/otlp-exporter-base',
      '@opentelemetry/otlp-transformer',
      '@opentelemetry/resources',
      '@opentelemetry/sdk-logs',
    ]);
    const appManifest = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8')) as Manifest;
    const sdk = '@opentelemetry/sdk-node';
    ranges.set(sdk, new Set([appManifest.dependencies?.[sdk] as string]));

    const copies = await installed();
    const found: Record<string, string[]> = {};
    const wanted: Record<string, string[]> = {};
    await Promise.all(
      [...ranges].map(async ([name, taken]) => {
        // Every package takes it in one range (else "the newest" has two answers).
        expect([...taken], name).toHaveLength(1);
        found[name] = [...(copies.get(name) ?? [])];
        wanted[name] = [
          `${await newest(name, [...taken][0] as string)} at ${join(app.dir, 'node_modules', name)}`,
        ];
      }),
    );
    const versions = Object.entries(found)
      .sort()
      .map(([name, at]) => `${name} ${at.map((copy) => copy.split(' ')[0]).join(' + ')}`);
    console.log(`in the app: ${versions.join(', ')}`);
    expect(found).toEqual(wanted);
  });
});
