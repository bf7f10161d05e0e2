import { describe, expect, it } from 'vitest';
import { lineSplitter } from '../src/lines.js';

function split(chunks: Array<string | Buffer>): string[] {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l));
  for (const c of chunks) s.write(c);
  s.end();
  return lines;
}

describe('the transport line splitter', () => {
  it('gives each line once, whatever the chunks', () => {
    expect(split(['{"a":1}\n{"b"', ':2}\n', '\n{"c":3}\n'])).toEqual([
      '{"a":1}',
      '{"b":2}',
      '{"c":3}',
    ]);
    expect(split(['{"a":1}\n{"b":2}'])).toEqual(['{"a":1}', '{"b":2}']); // no final newline
    expect(split(['', '\n\n'])).toEqual([]);
  });

  it('joins a UTF-8 character cut between two buffers', () => {
    const bytes = Buffer.from('{"msg":"café 🚀"}\n');
    const cut = bytes.indexOf(0xf0) + 2; // inside the 4-byte rocket
    expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"msg":"café 🚀"}']);
  });
});
