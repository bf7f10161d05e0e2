/**
 * Property-based test of the one stdout formatting path core has:
 * `exporter: 'console'` (OTEL_LOGS_EXPORTER=console). Whatever a message,
 * key or value holds, what it prints has no raw control character and no
 * line that hostile data started: in a terminal, one line a record (its own
 * colour codes only); elsewhere, one JSON line a record that parses back to
 * the record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { log } from '../src/index.js';
import { ConsoleExporter } from '../src/internal/console-exporter.js';
import { useInMemory } from './helpers.js';
import { HOSTILE_PIECES, hugeString } from './hostile.js';

const t = useInMemory();

/** What the console exporter prints for the records the pipeline made of these lines. */
async function printed(
  lines: Array<{ message: string; key: string; value: string }>,
  isTTY: boolean,
): Promise<string> {
  t.exporter.reset();
  for (const l of lines) log.info(l.message, { [l.key]: l.value, nested: { list: [l.value] } });
  const records = await t.records();
  let out = '';
  new ConsoleExporter({}, { isTTY, write: (text: string) => (out += text) }).export(
    records,
    () => {},
  );
  return out;
}

const hostileText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...HOSTILE_PIECES), maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  hugeString,
);

// C0 controls other than LF, DEL and C1 controls (NEL included).
// biome-ignore lint/suspicious/noControlCharactersInRegex: this is the set being looked for
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

// The exporter's own colour codes: ESC [ <n> m.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what it removes
const OWN_COLOUR = /\u001b\[\d+m/g;

describe("exporter 'console'", () => {
  const line = fc.record({ message: hostileText, key: hostileText, value: hostileText });

  it('in a terminal: one line a record, no raw control character', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 3 }), async (lines) => {
        const out = (await printed(lines, true)).replace(OWN_COLOUR, '');
        expect(out).not.toMatch(RAW_CONTROL);
        expect(out.endsWith('\n')).toBe(true);
        expect(out.split('\n')).toHaveLength(lines.length + 1);
      }),
      { numRuns: 100 },
    );
  });

  it('elsewhere: one JSON line a record, no raw control character, the message intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 3 }), async (lines) => {
        const out = await printed(lines, false);
        expect(out).not.toMatch(RAW_CONTROL);
        const printedLines = out.split('\n');
        expect(printedLines.pop()).toBe('');
        expect(printedLines).toHaveLength(lines.length);
        const records = await t.records();
        printedLines.forEach((l, i) => {
          expect(JSON.parse(l).message).toBe(records[i]?.body);
        });
      }),
      { numRuns: 100 },
    );
  });
});
