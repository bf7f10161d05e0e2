/**
 * The module-system suite a logger bridge must pass: the same small service,
 * written as ESM (`fixtures/app.mjs`), as CommonJS (`fixtures/app.cjs`) and
 * bundled by esbuild from the ESM one, each run as its own process. Each
 * fixture logs `hello from <logger>` (with `answer: 42`) and a Threadline
 * line inside one hop, to stdout as JSON lines and to `process.env.ENDPOINT`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from './receiver.js';

const run = promisify(execFile);

/** Registers the suite for the bridge whose fixtures are in `fixtures` (a folder URL ending in `/`). */
export function describeModuleSystems(loggerName: string, fixtures: URL): void {
  const fixture = (f: string) => fileURLToPath(new URL(f, fixtures));
  const dir = mkdtempSync(join(tmpdir(), `threadline-${loggerName}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function bundled(): Promise<string> {
    const outfile = join(dir, 'bundle.mjs');
    await build({
      entryPoints: [fixture('app.mjs')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      // CommonJS dependencies call require(): give the ESM bundle one.
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
  ])(`${loggerName} with the bridge, from %s`, (_kind, script) => {
    it('writes the ids on stdout that the exported records carry, with no duplicated id fields', async () => {
      const receiver = await startOtlpReceiver();
      try {
        const { stdout } = await run(process.execPath, [await script()], {
          env: { ...process.env, ENDPOINT: receiver.url, OTEL_SERVICE_NAME: '' },
        });
        const line = JSON.parse(stdout.trim().split('\n')[0] ?? '{}');
        expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
        const records = await receiver.waitForRecords(2);
        const bridged = records.find((r) => r.body === `hello from ${loggerName}`);
        const own = records.find((r) => r.body === 'and from Threadline');
        expect(bridged?.traceId).toBe(line.trace_id);
        expect(bridged?.spanId).toBe(line.span_id);
        expect(own?.traceId).toBe(line.trace_id);
        expect(bridged?.attributes).toMatchObject({
          answer: 42,
          'module.system': expect.any(String),
        });
        expect(bridged?.attributes).not.toHaveProperty('trace_id');
      } finally {
        await receiver.close();
      }
    }, 30_000);
  });
}
