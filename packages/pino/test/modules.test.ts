import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOtlpReceiver } from '@threadline/testing';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'threadline-pino-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundled(): Promise<string> {
  const outfile = join(dir, 'bundle.mjs');
  await build({
    entryPoints: [fixture('app.mjs')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    // pino's CommonJS dependencies call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  return outfile;
}

describe.each([
  ['ESM', () => Promise.resolve(fixture('app.mjs'))],
  ['CommonJS', () => Promise.resolve(fixture('app.cjs'))],
  ['an esbuild bundle', bundled],
])('pino with the bridge, from %s', (_kind, script) => {
  it('writes the ids on stdout that the exported records carry, with no duplicated id fields', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const { stdout } = await run(process.execPath, [await script()], {
        env: { ...process.env, ENDPOINT: receiver.url, KIND: 'bundled', OTEL_SERVICE_NAME: '' },
      });
      const line = JSON.parse(stdout.trim().split('\n')[0] ?? '{}');
      expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
      const records = await receiver.waitForRecords(2);
      const fromPino = records.find((r) => r.body === 'hello from pino');
      const fromCore = records.find((r) => r.body === 'and from Threadline');
      expect(fromPino?.traceId).toBe(line.trace_id);
      expect(fromPino?.spanId).toBe(line.span_id);
      expect(fromCore?.traceId).toBe(line.trace_id);
      expect(fromPino?.attributes).toMatchObject({
        answer: 42,
        'module.system': expect.any(String),
      });
      expect(fromPino?.attributes).not.toHaveProperty('trace_id');
    } finally {
      await receiver.close();
    }
  }, 30_000);
});
