/**
 * The app a new user would have: every published package packed with pnpm
 * (which rewrites `workspace:` ranges as publishing does), then installed
 * with plain npm, with the third-party packages its READMEs use, into a
 * folder under the OS's temporary directory, outside the workspace.
 */
import { type ExecFileOptions, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { publishedPackages, ROOT, workspaceVersion } from './workspace.js';

/** What the tests get from the global set-up. */
export interface PackedApp {
  /** The temporary folder holding `tarballs/` and `app/`. */
  root: string;
  /** The app's folder: package.json, node_modules, and the files the tests write. */
  dir: string;
  /** Package name → its tarball, as `pnpm pack` wrote it. */
  tarballs: Record<string, string>;
  /** How long packing and installing took. */
  packMs: number;
  installMs: number;
}

/**
 * Third-party packages the app installs from the registry: the frameworks
 * and schedulers the READMEs' examples use, and the types an app in
 * TypeScript needs. Versions are the workspace's own.
 */
const THIRD_PARTY = [
  'express',
  'koa',
  'hono',
  '@hono/node-server',
  'fastify',
  '@nestjs/common',
  '@nestjs/core',
  'reflect-metadata',
  'rxjs',
  '@koa/bodyparser',
  '@koa/router',
  'pino',
  'winston',
  'bullmq',
  'ioredis',
  'node-cron',
  'croner',
  'cron',
  '@types/node',
  '@types/express',
  '@types/koa',
];

/**
 * OpenTelemetry's packages, by range, as a new user's npm install takes them:
 * the newest in the range. The API by the range the packages take it in as
 * a peer; `@opentelemetry/sdk-node`, released with OpenTelemetry JS's 0.x
 * packages, by the range core takes those in (`otlp-exporter-base`'s): the
 * newest SDK whose packages Threadline's ranges allow, beside which npm has
 * to install one copy of each (opentelemetry.test.ts). The workspace's own
 * suite runs on the lowest versions of the ranges instead.
 */
function openTelemetryRanges(): Record<string, string> {
  const core = publishedPackages().find((pkg) => pkg.name === '@threadline/core')?.manifest;
  const api = core?.peerDependencies?.['@opentelemetry/api'];
  const sdk = core?.dependencies?.['@opentelemetry/otlp-exporter-base'];
  if (!api || !sdk) {
    throw new Error(
      "@threadline/core no longer takes @opentelemetry/api as a peer and @opentelemetry/otlp-exporter-base by range: update the packaging test's app",
    );
  }
  return { '@opentelemetry/api': api, '@opentelemetry/sdk-node': sdk };
}

const execFileAsync = promisify(execFile);

/**
 * The environment of a process the app runs: this one's, without what pnpm
 * and vitest set for their own children (a user's shell has none of it) and
 * without OpenTelemetry or Threadline settings, with this Node first on PATH
 * so that `#!/usr/bin/env node` runs it.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Lower-case npm_*: set by package managers for scripts (a user's own
    // NPM_CONFIG_* settings stay).
    if (/^(npm_|VITEST|OTEL_|THREADLINE_)/.test(key)) continue;
    if (['INIT_CWD', 'NODE_ENV', 'TEST'].includes(key)) continue;
    env[key] = value;
  }
  env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Runs a command to its end; a failure carries what it printed. */
export async function run(
  file: string,
  args: string[],
  options: ExecFileOptions & { timeout: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      env: userEnv(),
      maxBuffer: 64 * 1024 * 1024,
      ...options,
      encoding: 'utf8',
    });
    return { stdout, stderr };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${basename(file)} ${args.join(' ')} failed: ${(error as Error).message}\n${stdout}\n${stderr}`,
    );
  }
}

/** pnpm as the running script was started with (`npx -y pnpm@10 test`), else through npx. */
function pnpm(args: string[]): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(basename(execPath))) return [process.execPath, [execPath, ...args]];
  return ['npx', ['-y', 'pnpm@10', ...args]];
}

/** Packs every published package, then installs the tarballs into a new app with npm. */
export async function createApp(): Promise<PackedApp> {
  const root = mkdtempSync(join(tmpdir(), 'threadline-packaging-'));
  const destination = join(root, 'tarballs');
  const packages = publishedPackages();
  const started = performance.now();
  const [file, args] = pnpm([
    '--recursive',
    ...packages.flatMap((pkg) => ['--filter', pkg.name]),
    'pack',
    '--pack-destination',
    destination,
    '--json',
  ]);
  const packed = await run(file, args, { cwd: ROOT, timeout: 120_000 });
  const tarballs: Record<string, string> = {};
  for (const { name, filename } of JSON.parse(packed.stdout) as {
    name: string;
    filename: string;
  }[]) {
    tarballs[name] = filename;
  }
  const packMs = performance.now() - started;

  const dir = join(root, 'app');
  mkdirSync(dir);
  const dependencies: Record<string, string> = {};
  for (const [name, tarball] of Object.entries(tarballs)) dependencies[name] = `file:${tarball}`;
  for (const name of THIRD_PARTY) dependencies[name] = workspaceVersion(name);
  Object.assign(dependencies, openTelemetryRanges());
  // The packages depend on each other by version (`@threadline/core: ^0.1.0`,
  // as pnpm pack wrote it); `overrides` points those at the tarballs, where
  // npm would otherwise look that version up on the registry first.
  const overrides: Record<string, string> = {};
  for (const name of Object.keys(tarballs)) overrides[name] = `$${name}`;
  const manifest = {
    name: 'threadline-packaging-app',
    private: true,
    type: 'module',
    dependencies,
    overrides,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // The npm cache answers most of it; the registry the rest (turbo.json passes
  // npm the machine's proxy and CA settings, which turbo leaves out by default).
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: dir,
    timeout: 180_000,
  });
  const installMs = performance.now() - started - packMs;
  return { root, dir, tarballs, packMs, installMs };
}
