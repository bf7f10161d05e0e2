/**
 * Property-based test of the one stdout formatting path core has (issue 7):
 * `exporter: 'console'` (OTEL_LOGS_EXPORTER=console), the SDK's
 * ConsoleLogRecordExporter, which prints each record with `console.dir`.
 * Whatever a message, key or value holds, what reaches stdout has no raw
 * control character and no line that hostile data started: each record is
 * one `{` … `}` block, and every line inside it is indented.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log } from '../src/index.js';
import { startInMemory } from './helpers.js';
import { HOSTILE_PIECES, hugeString } from './hostile.js';

let t: ReturnType<typeof startInMemory>;
beforeAll(() => {
  t = startInMemory({ exporter: 'console' });
});
afterAll(async () => {
  await t.handle.shutdown();
});

/** What `console` prints while `fn` runs (to a pipe, as under a process manager: no colours). */
async function stdoutOf(fn: () => Promise<void>): Promise<string> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  const original = globalThis.console;
  globalThis.console = new Console({ stdout: sink, stderr: sink });
  try {
    await fn();
  } finally {
    globalThis.console = original;
  }
  return out;
}

const hostileText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...HOSTILE_PIECES), maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  hugeString,
);

// C0 controls other than LF, DEL and C1 controls (NEL included): util.inspect escapes them all.
// biome-ignore lint/suspicious/noControlCharactersInRegex: this is the set being looked for
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe("exporter 'console'", () => {
  it('prints hostile messages, keys and values escaped: one block per record, no raw control character', async () => {
    const line = fc.record({ message: hostileText, key: hostileText, value: hostileText });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 3 }), async (lines) => {
        await t.handle.forceFlush();
        const out = await stdoutOf(async () => {
          for (const l of lines)
            log.info(l.message, { [l.key]: l.value, nested: { list: [l.value] } });
          await t.handle.forceFlush();
        });
        expect(out).not.toMatch(RAW_CONTROL);
        expect(out).not.toContain('\u001b');
        const printed = out.split('\n').filter((l) => l !== '');
        expect(printed.filter((l) => l === '{')).toHaveLength(lines.length);
        expect(printed.filter((l) => l === '}')).toHaveLength(lines.length);
        for (const l of printed) if (l !== '{' && l !== '}') expect(l).toMatch(/^ {2}/);
      }),
      { numRuns: 100 },
    );
  });
});
