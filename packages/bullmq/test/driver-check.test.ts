import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { missingDriverError } from '../src/driver-check.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An app folder whose node_modules holds the named packages (each an empty module). */
function app(packages: string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'threadline-bullmq-'));
  dirs.push(root);
  for (const name of packages) {
    const dir = path.join(root, 'node_modules', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
    writeFileSync(path.join(dir, 'index.js'), 'module.exports = {};\n');
  }
  return path.join(root, 'app.js');
}

const PACKAGE = path.resolve(import.meta.dirname, '..');
/** A dependency of this package, where pnpm installed it. */
const installed = (name: string) => realpathSync(path.join(PACKAGE, 'node_modules', name));

/** Runs `code` in a fresh Node in the app's folder, with @threadline/bullmq installed as built. */
function runIn(appFile: string, file: string, code: string): string {
  const modules = path.join(path.dirname(appFile), 'node_modules');
  const own = path.join(modules, '@threadline', 'bullmq');
  mkdirSync(own, { recursive: true });
  cpSync(path.join(PACKAGE, 'package.json'), path.join(own, 'package.json'));
  cpSync(path.join(PACKAGE, 'dist'), path.join(own, 'dist'), { recursive: true });
  symlinkSync(installed('@threadline/core'), path.join(modules, '@threadline', 'core'));
  mkdirSync(path.join(modules, '@opentelemetry'), { recursive: true });
  symlinkSync(installed('@opentelemetry/api'), path.join(modules, '@opentelemetry', 'api'));
  const script = path.join(path.dirname(appFile), file);
  writeFileSync(script, code);
  // No NODE_PATH: pnpm's scripts set one that reaches this workspace's ioredis; an app has none.
  const { NODE_PATH: _, ...env } = process.env;
  return execFileSync(process.execPath, [script], { env, encoding: 'utf8' }).trim();
}

const CALL = `try {
  correlateProcessor(async () => {});
  console.log('started');
} catch (error) {
  console.log(error.message);
}`;

describe('a queue library that cannot run', () => {
  it('bullmq installed without any Redis driver: correlateProcessor() throws one clear error (ESM and CommonJS)', () => {
    const esm = runIn(
      app(['bullmq']),
      'worker.mjs',
      `import { correlateProcessor } from '@threadline/bullmq';\n${CALL}`,
    );
    expect(esm).toMatch(/^Threadline: BullMQ is installed without a Redis driver/);
    expect(esm).toContain('npm install ioredis');
    const cjs = runIn(
      app(['bullmq']),
      'worker.cjs',
      `const { correlateProcessor } = require('@threadline/bullmq');\n${CALL}`,
    );
    expect(cjs).toBe(esm);
    const fine = runIn(
      app(['bullmq', 'ioredis']),
      'worker.mjs',
      `import { correlateProcessor } from '@threadline/bullmq';\n${CALL}`,
    );
    expect(fine).toBe('started');
  });

  it.each([['ioredis'], ['redis'], ['pg']])('bullmq with %s: nothing to say', (driver) => {
    const here = app(['bullmq', driver]);
    const fake = (id: string, from: string) =>
      id === 'bullmq'
        ? path.join(path.dirname(here), 'node_modules/bullmq/index.js')
        : id === driver
          ? from
          : undefined;
    expect(missingDriverError(fake, here)).toBeUndefined();
    expect(
      missingDriverError((id) => (id === 'bullmq' ? here : undefined), here)?.message,
    ).toContain('npm install ioredis');
  });

  it('bullmq not found from here (a bundled app): nothing to say', () => {
    expect(missingDriverError(() => undefined, app([]))).toBeUndefined();
  });

  it('this workspace, as installed: bullmq and ioredis, nothing to say', () => {
    expect(missingDriverError()).toBeUndefined();
  });
});
