/**
 * fast-check arbitraries for hostile input: what a peer, a proxy or
 * a careless caller can hand to a parser, a header or the logger.
 */
import fc from 'fast-check';

/**
 * Code units and sequences that break parsers, headers and terminals: CR/LF,
 * NUL and other controls, ANSI escapes, Unicode line separators, lone
 * surrogates, non-ASCII, and the delimiters of the W3C headers.
 */
export const HOSTILE_PIECES = [
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  '\t',
  '\u000b',
  '\u001b',
  '\u001b[31m',
  '\u001b[2J',
  '\u001b]0;title\u0007',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\u00e9',
  '\u65e5',
  '\u{1f600}',
  ' ',
  ',',
  ';',
  '=',
  '-',
  '%',
  '"',
  '\\',
  '0',
  'a',
  'f',
  'A',
  'z',
] as const;

export const hostilePiece = fc.constantFrom(...HOSTILE_PIECES);

/** Up to 16 KiB built by repeating a short hostile pattern (cheap to make, cheap to shrink). */
export const hugeString = fc
  .tuple(
    fc.string({ unit: hostilePiece, minLength: 1, maxLength: 4 }),
    fc.integer({ min: 257, max: 16_384 }),
  )
  .map(([pattern, length]) => pattern.repeat(Math.ceil(length / pattern.length)).slice(0, length));

/** Any string a peer could send: every code point, hostile mixes, and huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 3, arbitrary: fc.string({ unit: hostilePiece, maxLength: 80 }) },
  { weight: 1, arbitrary: hugeString },
);

/** `s` with one hostile piece inserted, or one character replaced or deleted: near-misses of a valid value. */
export function mutated(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.nat(), hostilePiece, fc.constantFrom('insert', 'replace', 'delete'))
    .map(([s, n, piece, op]) => {
      const at = n % (s.length + 1);
      if (op === 'insert') return s.slice(0, at) + piece + s.slice(at);
      if (op === 'replace') return s.slice(0, at) + piece + s.slice(at + 1);
      return s.slice(0, at) + s.slice(at + 1);
    });
}

/** A header as Node gives it: one value, or an array when it was sent more than once. */
export function headerValue(value: fc.Arbitrary<string>): fc.Arbitrary<string | string[]> {
  return fc.oneof(
    { weight: 4, arbitrary: value },
    { weight: 1, arbitrary: fc.array(value, { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(value, fc.integer({ min: 2, max: 3 })).map(([v, n]) => Array(n).fill(v)),
    },
  );
}

/** `count` lowercase hex digits. */
export function lowerHex(count: number): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.constantFrom(...'0123456789abcdef'),
    minLength: count,
    maxLength: count,
  });
}

export const validTraceId = lowerHex(32).filter((s) => !/^0+$/.test(s));
export const validSpanId = lowerHex(16).filter((s) => !/^0+$/.test(s));

/** C0 controls, DEL, C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: this is the set being looked for
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/** Characters a line-based reader may split on. */
export const LINE_BREAKS = /[\r\n\u2028\u2029\u0085]/;
