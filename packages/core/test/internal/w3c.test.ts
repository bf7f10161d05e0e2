import { describe, expect, it, vi } from 'vitest';
import {
  formatTraceparent,
  isValidSpanId,
  isValidTraceId,
  MAX_BAGGAGE_LENGTH,
  MAX_TRACEPARENT_LENGTH,
  MAX_TRACESTATE_LENGTH,
  parseBaggage,
  parseTraceparent,
  parseTracestate,
  randomSpanId,
  randomTraceId,
  withTracestateEntry,
} from '../../src/internal/w3c.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const TP = `00-${TRACE}-${SPAN}-01`;

describe('parseTraceparent', () => {
  it('parses a valid version-00 header', () => {
    expect(parseTraceparent(TP)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  });

  const malformed: Array<[string, string | string[] | undefined | null]> = [
    ['undefined', undefined],
    ['null', null],
    ['empty string', ''],
    ['OWS only', ' \t '],
    ['empty array', []],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['uppercase hex in trace id', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['uppercase hex in parent id', `00-${TRACE}-00F067AA0BA902B7-01`],
    ['uppercase hex in flags', `00-${TRACE}-${SPAN}-0A`],
    ['uppercase hex in version', `0A-${TRACE}-${SPAN}-01`],
    ['trace id 31 chars', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['trace id 33 chars', `00-${TRACE}a-${SPAN}-01`],
    ['parent id 15 chars', `00-${TRACE}-${SPAN.slice(1)}-01`],
    ['parent id 17 chars', `00-${TRACE}-${SPAN}a-01`],
    ['flags 1 char', `00-${TRACE}-${SPAN}-1`],
    ['flags 3 chars', `00-${TRACE}-${SPAN}-011`],
    ['version 1 char', `0-${TRACE}-${SPAN}-01`],
    ['version 3 chars', `000-${TRACE}-${SPAN}-01`],
    ['00 with extra data after a dash', `${TP}-abc`],
    ['00 with a trailing dash', `${TP}-`],
    ['00 with extra data, no dash', `${TP}0`],
    ['future version shorter than 55', `cc-${TRACE}-${SPAN}-1`],
    ['future version, flags not followed by dash', `cc-${TRACE}-${SPAN}-01x`],
    ['future version, non-hex flags', `cc-${TRACE}-${SPAN}-0g-x`],
    ['non-hex in trace id', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ['non-hex in parent id', `00-${TRACE}-${SPAN.slice(0, 15)}z-01`],
    ['non-hex in version', `0x-${TRACE}-${SPAN}-01`],
    ['non-hex in flags', `00-${TRACE}-${SPAN}-0x`],
    ['wrong delimiter', `00_${TRACE}-${SPAN}-01`],
    ['missing delimiter before flags', `00-${TRACE}-${SPAN}001`],
    ['trailing CRLF', `${TP}\r\n`],
    ['leading LF', `\n${TP}`],
    ['CR inside', `00-${TRACE}-${SPAN}\r01`],
    ['NUL inside', `00-${TRACE.slice(0, 31)}\u0000-${SPAN}-01`],
    ['vertical tab around', `\u000b${TP}`],
    ['no-break space around', `\u00a0${TP}`],
    ['future version, LF in the ignored tail', `cc-${TRACE}-${SPAN}-01-ab\ncd`],
    ['future version, DEL in the ignored tail', `cc-${TRACE}-${SPAN}-01-\u007f`],
    // Valid after trimming, but the length check comes first.
    ['8 KB header (spaces around a valid value)', `${' '.repeat(4096)}${TP}${' '.repeat(4096)}`],
    ['8 KB future-version header', `cc-${TRACE}-${SPAN}-01-${'a'.repeat(8192)}`],
    ['513 chars', `cc-${TRACE}-${SPAN}-01-${'a'.repeat(MAX_TRACEPARENT_LENGTH - 56 + 1)}`],
    ['duplicated, values differ', [TP, `00-${TRACE}-${SPAN}-00`]],
    ['duplicated, one differs only by whitespace', [TP, ` ${TP}`]],
    ['array holding an invalid value', [`ff-${TRACE}-${SPAN}-01`]],
  ];
  it.each(malformed)('ignores: %s', (_name, input) => {
    expect(parseTraceparent(input)).toBeUndefined();
  });

  const accepted: Array<[string, string | string[], number]> = [
    ['flags 00', `00-${TRACE}-${SPAN}-00`, 0],
    ['flags 02 (random)', `00-${TRACE}-${SPAN}-02`, 2],
    ['flags 03', `00-${TRACE}-${SPAN}-03`, 3],
    ['flags ff masked to 03', `00-${TRACE}-${SPAN}-ff`, 3],
    ['flags 09 masked to 01', `00-${TRACE}-${SPAN}-09`, 1],
    ['flags fc masked to 00', `00-${TRACE}-${SPAN}-fc`, 0],
    ['surrounding spaces and tabs', ` \t${TP}\t `, 1],
    ['future version, exactly 55', `01-${TRACE}-${SPAN}-01`, 1],
    ['future version with extra data', `cc-${TRACE}-${SPAN}-01-what-the-future-holds`, 1],
    [
      'future version, 512 chars',
      `cc-${TRACE}-${SPAN}-01-${'a'.repeat(MAX_TRACEPARENT_LENGTH - 56)}`,
      1,
    ],
    ['duplicated, identical values', [TP, TP, TP], 1],
    ['single-element array', [TP], 1],
  ];
  it.each(accepted)('accepts: %s', (_name, input, flags) => {
    const p = parseTraceparent(input);
    expect(p).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: flags });
  });

  it('re-emits a future version as version 00', () => {
    const p = parseTraceparent(`cc-${TRACE}-${SPAN}-03-extra`);
    expect(p).toBeDefined();
    if (!p) return;
    expect(formatTraceparent(p.traceId, p.spanId, p.traceFlags)).toBe(`00-${TRACE}-${SPAN}-03`);
  });
});

describe('formatTraceparent', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [15, '0f'],
    [16, '10'],
    [255, 'ff'],
    [256, '00'],
  ])('flags %i → %s', (flags, hex) => {
    expect(formatTraceparent(TRACE, SPAN, flags)).toBe(`00-${TRACE}-${SPAN}-${hex}`);
  });

  it('round-trips through parseTraceparent', () => {
    const s = formatTraceparent(TRACE, SPAN, 1);
    expect(s).toHaveLength(55);
    expect(parseTraceparent(s)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  });
});

describe('isValidTraceId / isValidSpanId', () => {
  it.each([
    [TRACE, true],
    ['0'.repeat(32), false],
    [TRACE.toUpperCase(), false],
    [TRACE.slice(1), false],
    [`${TRACE}0`, false],
    [`${TRACE.slice(1)}g`, false],
    ['', false],
  ])('trace id %j → %s', (id, ok) => {
    expect(isValidTraceId(id)).toBe(ok);
  });

  it.each([
    [SPAN, true],
    ['0000000000000001', true],
    ['0'.repeat(16), false],
    ['00F067AA0BA902B7', false],
    [SPAN.slice(1), false],
    [TRACE, false],
    [`${SPAN.slice(1)}-`, false],
  ])('span id %j → %s', (id, ok) => {
    expect(isValidSpanId(id)).toBe(ok);
  });
});

/** `count` members k0=v0,k1=v1,… */
function members(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `k${i}=v${i}`);
}
/** One tracestate entry of exactly `length` chars: key `name`, value padded with 'x'. */
function entry(name: string, length: number): string {
  return `${name}=${'x'.repeat(length - name.length - 1)}`;
}

describe('parseTracestate', () => {
  const cases: Array<[string, string | string[] | undefined | null, string | undefined]> = [
    [
      'spec example',
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    ],
    ['undefined', undefined, undefined],
    ['null', null, undefined],
    ['empty header', '', undefined],
    ['only empty members', ' , ,\t,', undefined],
    ['OWS around members is dropped', ' a=1 ,\tb=2\t', 'a=1,b=2'],
    ['empty members are skipped', 'a=1,,  ,b=2,', 'a=1,b=2'],
    ['leading spaces of a value are kept', 'a=  x', 'a=  x'],
    ['multiple headers are combined with ","', ['a=1', 'b=2', ''], 'a=1,b=2'],
    ['32 members', members(32).join(','), members(32).join(',')],
    ['33 members', members(33).join(','), undefined],
    ['32 members and empty ones', `,${members(32).join(', ,')},`, members(32).join(',')],
    [
      '33 members over two headers',
      [members(20).join(','), members(33).slice(20).join(',')],
      undefined,
    ],
    ['256-char key', `${'k'.repeat(256)}=v`, `${'k'.repeat(256)}=v`],
    ['257-char key', `${'k'.repeat(257)}=v`, undefined],
    ['key starting with a digit', '1vendor=v', '1vendor=v'],
    ['key with all allowed chars', 'a0_-*/@z=v', 'a0_-*/@z=v'],
    ['multi-tenant key', 'tenant@system=v,b=1', 'tenant@system=v,b=1'],
    ['key starting with "_"', '_a=v', undefined],
    ['key starting with "@"', '@a=v', undefined],
    ['uppercase key', 'Rojo=v', undefined],
    ['key with a dot', 'a.b=v', undefined],
    ['empty key', '=v', undefined],
    ['OWS between key and "="', 'a =v', undefined],
    ['256-char value', `a=${'v'.repeat(256)}`, `a=${'v'.repeat(256)}`],
    ['257-char value', `a=${'v'.repeat(257)}`, undefined],
    ['empty value', 'a=', undefined],
    ['member without "="', 'a=1,b', undefined],
    ['"=" in a value', 'a=1,b=x=y', undefined],
    ['tab in a value', 'a=x\ty', undefined],
    ['LF in a value', 'a=x\ny', undefined],
    ['DEL in a value', 'a=x\u007f', undefined],
    ['non-ASCII value', 'a=caf\u00e9', undefined],
    ['one invalid member drops all', 'a=1,B=2,c=3', undefined],
    ['duplicate key', 'a=1,b=2,a=3', undefined],
    ['duplicate key across headers', ['a=1', 'a=1'], undefined],
    ['8 KB header (valid after trimming)', `a=1,${' '.repeat(MAX_TRACESTATE_LENGTH)}`, undefined],
    ['8193 chars over two headers', ['a=1', ' '.repeat(MAX_TRACESTATE_LENGTH - 3)], undefined],
    ['exactly 8192 chars', `a=1,${' '.repeat(MAX_TRACESTATE_LENGTH - 4)}`, 'a=1'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(parseTracestate(input)).toBe(expected);
  });

  it('keeps a combined header of exactly 512 chars', () => {
    const list = [
      entry('a', 100),
      entry('b', 100),
      entry('c', 100),
      entry('d', 100),
      entry('e', 108),
    ];
    expect(list.join(',')).toHaveLength(512);
    expect(parseTracestate(list.join(','))).toBe(list.join(','));
  });

  it('truncates to 512 by removing an entry over 128 chars first', () => {
    const a = entry('a', 100);
    const big = entry('big', 200);
    const rest = [entry('c', 100), entry('d', 100), entry('e', 100)];
    const out = parseTracestate([a, big, ...rest].join(','));
    expect(out).toBe([a, ...rest].join(','));
  });

  it('removes large entries right to left and stops once it fits', () => {
    const a = entry('a', 100);
    const b = entry('b', 200);
    const c = entry('c', 100);
    const d = entry('d', 200);
    // 603 chars: dropping d (the rightmost large entry) is enough; b stays.
    expect(parseTracestate([a, b, c, d].join(','))).toBe([a, b, c].join(','));
  });

  it('then removes entries from the right', () => {
    const list = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => entry(k, 100));
    const out = parseTracestate(list.join(','));
    expect(out).toBe(list.slice(0, 5).join(','));
    expect(out?.length).toBeLessThanOrEqual(512);
  });

  it('prefers dropping entries over 128 chars to dropping small ones on the right', () => {
    const big = entry('big', 129);
    const small = ['a', 'b', 'c', 'd'].map((k) => entry(k, 100));
    // 129 + 400 + 4 commas = 533: dropping big alone fits, the small right-hand ones survive.
    expect(parseTracestate([big, ...small].join(','))).toBe(small.join(','));
  });

  it('drops a single entry longer than 512 chars', () => {
    const huge = `${'k'.repeat(256)}=${'v'.repeat(256)}`;
    expect(huge).toHaveLength(513);
    expect(parseTracestate(huge)).toBeUndefined();
  });
});

describe('withTracestateEntry', () => {
  const ours = 'threadline=00f067aa0ba902b7.b7ad6b7169203331';
  it('puts the entry leftmost, replacing its own older entry', () => {
    expect(withTracestateEntry(undefined, 'threadline', '00f067aa0ba902b7.b7ad6b7169203331')).toBe(
      ours,
    );
    expect(
      withTracestateEntry(
        'rojo=1,threadline=old.old,congo=2',
        'threadline',
        '00f067aa0ba902b7.b7ad6b7169203331',
      ),
    ).toBe(`${ours},rojo=1,congo=2`);
  });

  it('keeps at most 32 members, dropping from the right', () => {
    const many = Array.from({ length: 32 }, (_, i) => `k${i}=v${i}`).join(',');
    const out = withTracestateEntry(many, 'threadline', '00f067aa0ba902b7.b7ad6b7169203331').split(
      ',',
    );
    expect(out).toHaveLength(32);
    expect(out[0]).toBe(ours);
    expect(out.at(-1)).toBe('k30=v30');
  });

  it('keeps at most 512 characters, removing members on the right, never its own', () => {
    const wide = Array.from({ length: 20 }, (_, i) => `key${i}=${'x'.repeat(40)}`).join(',');
    const out = withTracestateEntry(wide, 'threadline', '00f067aa0ba902b7.b7ad6b7169203331');
    expect(out.length).toBeLessThanOrEqual(512);
    expect(out.startsWith(`${ours},key0=`)).toBe(true);
  });

  it('drops an existing header that does not parse, keeping its own entry', () => {
    expect(
      withTracestateEntry('not a member', 'threadline', '00f067aa0ba902b7.b7ad6b7169203331'),
    ).toBe(ours);
  });
});

describe('parseBaggage', () => {
  const cases: Array<
    [string, string | string[] | undefined | null, Record<string, string> | undefined]
  > = [
    [
      'spec example',
      'userId=alice,serverNode=DF%2028,isProduction=false',
      { userId: 'alice', serverNode: 'DF 28', isProduction: 'false' },
    ],
    ['undefined', undefined, undefined],
    ['null', null, undefined],
    ['empty header', '', undefined],
    ['OWS around members and "="', ' a = 1 ,\tb=2\t', { a: '1', b: '2' }],
    ['empty members are skipped', 'a=1,,b=2,', { a: '1', b: '2' }],
    ['properties are accepted and not returned', 'a=1;p1;p2=v ; p3 = w,b=2', { a: '1', b: '2' }],
    ['invalid property skips the member', 'a=1;p=x y,b=2', { b: '2' }],
    ['empty property skips the member', 'a=1;,b=2', { b: '2' }],
    ['empty value', 'a=,b=2', { a: '', b: '2' }],
    ['token punctuation in keys', "!#$%&'*+-.^_`|~=1", { "!#$%&'*+-.^_`|~": '1' }],
    ['key with "@" is skipped', 'a@b=1,c=2', { c: '2' }],
    ['key with "/" is skipped', 'a/b=1,c=2', { c: '2' }],
    ['empty key is skipped', '=1,c=2', { c: '2' }],
    ['member without "=" is skipped', 'a,c=2', { c: '2' }],
    ['space inside a value is skipped', 'a=x y,c=2', { c: '2' }],
    ['DQUOTE in a value is skipped', 'a=x"y,c=2', { c: '2' }],
    ['backslash in a value is skipped', 'a=x\\y,c=2', { c: '2' }],
    ['LF in a value is skipped', 'a=x\ny,c=2', { c: '2' }],
    ['non-ASCII in a value is skipped', 'a=caf\u00e9,c=2', { c: '2' }],
    ['only invalid members', 'a b=1,c=x y', undefined],
    ['percent-decoded UTF-8', 'a=%E2%9C%93,b=%e2%9c%93', { a: '\u2713', b: '\u2713' }],
    ['invalid UTF-8 becomes U+FFFD', 'a=%FF', { a: '\ufffd' }],
    ['a "%" without two hex digits is kept', 'a=50%25%,b=%zz', { a: '50%%', b: '%zz' }],
    ['"=" inside a value', 'a=b=c', { a: 'b=c' }],
    ['repeated key: last wins', 'a=1,a=2', { a: '2' }],
    ['multiple headers combined', ['a=1', 'b=2'], { a: '1', b: '2' }],
    ['64 members', members(64).join(','), Object.fromEntries(members(64).map((m) => m.split('=')))],
    ['65 members', members(65).join(','), undefined],
    [
      '65 members over two headers',
      [members(40).join(','), members(65).slice(40).join(',')],
      undefined,
    ],
    [
      '8192 bytes',
      `a=1,b=${'x'.repeat(MAX_BAGGAGE_LENGTH - 6)}`,
      { a: '1', b: 'x'.repeat(MAX_BAGGAGE_LENGTH - 6) },
    ],
    ['8193 bytes', `a=1,b=${'x'.repeat(MAX_BAGGAGE_LENGTH - 5)}`, undefined],
    ['8193 bytes over two headers', ['a=1', `b=${'x'.repeat(MAX_BAGGAGE_LENGTH - 5)}`], undefined],
    // 4103 UTF-16 chars but 8199 UTF-8 bytes: the byte cap applies.
    ['over 8192 UTF-8 bytes in fewer chars', `a=1,b=${'\u00e9'.repeat(4096)}`, undefined],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    const out = parseBaggage(input);
    if (expected === undefined) expect(out).toBeUndefined();
    else expect(out ? Object.fromEntries(out) : out).toEqual(expected);
  });

  it('returns a Map in header order', () => {
    const out = parseBaggage('z=1,a=2');
    expect(out).toBeInstanceOf(Map);
    expect([...(out ?? new Map<string, string>()).keys()]).toEqual(['z', 'a']);
  });
});

describe('random ids', () => {
  it('draws 10k valid, distinct trace ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = randomTraceId();
      expect(isValidTraceId(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it('draws 10k valid, distinct span ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = randomSpanId();
      expect(isValidSpanId(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it('uses every hex digit (not a constant or low-entropy source)', () => {
    const chars = new Set(Array.from({ length: 100 }, randomTraceId).join(''));
    expect(chars.size).toBe(16);
  });

  describe('with a stubbed randomFillSync', () => {
    async function loadWith(fill: (buf: Buffer, call: number) => void): Promise<{
      mod: typeof import('../../src/internal/w3c.js');
      calls: () => number;
    }> {
      let calls = 0;
      vi.resetModules();
      vi.doMock('node:crypto', async (importOriginal) => {
        const real = await importOriginal<typeof import('node:crypto')>();
        return {
          ...real,
          randomFillSync: (buf: Buffer) => {
            calls++;
            fill(buf, calls);
            return buf;
          },
        };
      });
      try {
        const mod = await import('../../src/internal/w3c.js');
        return { mod, calls: () => calls };
      } finally {
        vi.doUnmock('node:crypto');
        vi.resetModules();
      }
    }

    it('refills a 4 KiB pool rather than drawing per id', async () => {
      let size = 0;
      const { mod, calls } = await loadWith((buf) => {
        size = buf.length;
        buf.fill(0xab);
      });
      for (let i = 0; i < 256; i++) expect(mod.randomTraceId()).toBe('ab'.repeat(16));
      expect(calls()).toBe(1);
      expect(size).toBe(4096);
      expect(mod.randomSpanId()).toBe('ab'.repeat(8));
      expect(calls()).toBe(2);
    });

    it('never returns an all-zero trace id or span id', async () => {
      // First pool all zero, then a recognisable non-zero pool.
      const { mod, calls } = await loadWith((buf, call) => buf.fill(call === 1 ? 0 : 0x01));
      expect(mod.randomTraceId()).toBe('01'.repeat(16));
      expect(calls()).toBe(2);
      const again = await loadWith((buf, call) => buf.fill(call === 1 ? 0 : 0x01));
      expect(again.mod.randomSpanId()).toBe('01'.repeat(8));
      expect(again.calls()).toBe(2);
    });
  });
});
