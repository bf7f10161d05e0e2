/**
 * Property-based tests of the W3C header parsers and of propagation:
 * whatever a peer sends, nothing throws, what is kept is valid and bounded,
 * and what we send on is well-formed.
 */
import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  TraceState as CoreTraceState,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatTraceparent,
  isLevelOneTracestateKey,
  MAX_BAGGAGE_LENGTH,
  MAX_TRACEPARENT_LENGTH,
  MAX_TRACESTATE_LENGTH,
  parseBaggage,
  parseTraceparent,
  parseTracestate,
} from '../src/internal/w3c.js';
import {
  extractTraceContext,
  injectTraceContext,
  TRUST_POLICIES,
  ValidTraceState,
} from '../src/propagation.js';
import {
  CONTROL_CHARS,
  headerValue,
  hostilePiece,
  hostileString,
  lowerHex,
  mutated,
  validSpanId,
  validTraceId,
} from './hostile.js';

const RUNS = { numRuns: 300 };

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const TRACEPARENT_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ALL_ZERO = /^0+$/;
/** A traceparent after OWS trimming: version, ids, flags, and any tail a future version may add. */
const TRACEPARENT_SHAPE =
  /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x20-\x7e]*)?$/;
// tracestate list-member grammar (trace-context-2 §3.3.1.3), written independently of the parser.
const TRACESTATE_KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What parseTraceparent must return, from the spec's grammar rather than the parser's code. */
function expectedTraceparent(input: string | string[]) {
  let value: string;
  if (Array.isArray(input)) {
    const first = input[0];
    if (first === undefined || input.some((v) => v !== first)) return undefined;
    value = first;
  } else value = input;
  if (value.length > MAX_TRACEPARENT_LENGTH) return undefined;
  const m = TRACEPARENT_SHAPE.exec(value.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, tail] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff' || (version === '00' && tail !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 0x03 };
}

const ows = fc.constantFrom('', ' ', '\t', ' \t ');

/** Traceparent-shaped values: any version, zero ids, future tails with control characters. */
const traceparentShaped = fc
  .record({
    before: ows,
    version: fc.oneof(
      { weight: 4, arbitrary: fc.constant('00') },
      { weight: 1, arbitrary: fc.constant('ff') },
      { weight: 2, arbitrary: lowerHex(2) },
    ),
    traceId: fc.oneof({ weight: 4, arbitrary: lowerHex(32) }, fc.constant('0'.repeat(32))),
    spanId: fc.oneof({ weight: 4, arbitrary: lowerHex(16) }, fc.constant('0'.repeat(16))),
    flags: lowerHex(2),
    tail: fc.option(
      fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.string({ maxLength: 600 })),
      { freq: 2 },
    ),
    after: ows,
  })
  .map(
    (p) =>
      `${p.before}${p.version}-${p.traceId}-${p.spanId}-${p.flags}${p.tail === null ? '' : `-${p.tail}`}${p.after}`,
  );

const traceparentInput = headerValue(
  fc.oneof(
    { weight: 1, arbitrary: hostileString },
    { weight: 3, arbitrary: traceparentShaped },
    { weight: 2, arbitrary: mutated(traceparentShaped) },
  ),
);

function expectValidIds(p: { traceId: string; spanId: string; traceFlags: number }): void {
  expect(p.traceId).toMatch(TRACE_ID);
  expect(p.traceId).not.toMatch(ALL_ZERO);
  expect(p.spanId).toMatch(SPAN_ID);
  expect(p.spanId).not.toMatch(ALL_ZERO);
  expect([0, 1, 2, 3]).toContain(p.traceFlags);
}

describe('parseTraceparent on any input', () => {
  it('never throws and accepts exactly what the W3C grammar accepts', () => {
    fc.assert(
      fc.property(traceparentInput, (input) => {
        const parsed = parseTraceparent(input);
        expect(parsed).toEqual(expectedTraceparent(input));
        if (parsed) expectValidIds(parsed);
      }),
      RUNS,
    );
  });

  it('round-trips every valid trace id, span id and flags byte', () => {
    fc.assert(
      fc.property(
        validTraceId,
        validSpanId,
        fc.integer({ min: 0, max: 255 }),
        ows,
        ows,
        fc.integer({ min: 1, max: 3 }),
        (traceId, spanId, flags, before, after, copies) => {
          const header = formatTraceparent(traceId, spanId, flags);
          expect(header).toMatch(TRACEPARENT_00);
          const expected = { traceId, spanId, traceFlags: flags & 0x03 };
          expect(parseTraceparent(header)).toEqual(expected);
          expect(parseTraceparent(`${before}${header}${after}`)).toEqual(expected);
          expect(parseTraceparent(Array(copies).fill(header))).toEqual(expected);
          expect(formatTraceparent(traceId, spanId, expected.traceFlags)).toBe(
            formatTraceparent(traceId, spanId, flags & 0x03),
          );
        },
      ),
      RUNS,
    );
  });
});

const tracestateKey = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9_\-*/@]{0,12}$/),
  fc.stringMatching(/^[a-z][a-z0-9]{0,8}@[a-z][a-z0-9]{0,8}$/),
  fc.integer({ min: 1, max: 256 }).map((n) => 'k'.repeat(n)),
);
const tracestateValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,30}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/),
  fc.integer({ min: 1, max: 256 }).map((n) => 'v'.repeat(n)),
);
const tracestateMember = fc.tuple(tracestateKey, tracestateValue).map(([k, v]) => `${k}=${v}`);

/** Checks the bounds and grammar of a parsed tracestate; returns its members. */
function checkTracestate(out: string): string[] {
  expect(out.length).toBeLessThanOrEqual(512);
  expect(out).not.toMatch(CONTROL_CHARS);
  const members = out.split(',');
  expect(members.length).toBeLessThanOrEqual(32);
  const keys = new Set<string>();
  for (const m of members) {
    const eq = m.indexOf('=');
    const key = m.slice(0, eq);
    expect(key).toMatch(TRACESTATE_KEY);
    expect(m.slice(eq + 1)).toMatch(TRACESTATE_VALUE);
    expect(keys.has(key)).toBe(false);
    keys.add(key);
  }
  return members;
}

describe('a tracestate parseTracestate kept, as the API reads it', () => {
  it('keeps the keys of trace-context level 1, as the core TraceState does', () => {
    // @opentelemetry/core's own expression (internal/validators), as the oracle.
    const range = '[_0-9a-z-*/]';
    const core = new RegExp(
      `^(?:[a-z]${range}{0,255}|[a-z0-9]${range}{0,240}@[a-z]${range}{0,13})$`,
    );
    const part = (max: number) =>
      fc.oneof(
        fc.string({
          unit: fc.constantFrom('a', 'z', '0', '9', '_', '-', '*', '/', 'A', '.'),
          maxLength: max,
        }),
        fc.integer({ min: 0, max }).map((n) => 'k'.repeat(n)),
      );
    const key = fc.oneof(
      part(260),
      fc.tuple(part(245), part(16)).map(([tenant, system]) => `${tenant}@${system}`),
      fc.tuple(part(5), part(5), part(5)).map((p) => p.join('@')),
    );
    fc.assert(
      fc.property(key, (k) => {
        expect(isLevelOneTracestateKey(k)).toBe(core.test(k));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers get, set, unset and serialize as the core TraceState does for the same list', () => {
    const input = fc.record({
      members: fc.array(tracestateMember, { minLength: 1, maxLength: 40 }),
      key: fc.oneof(tracestateKey, fc.constant('threadline')),
      value: tracestateValue,
      pick: fc.nat(),
    });
    fc.assert(
      fc.property(input, ({ members, key, value, pick }) => {
        const header = parseTracestate(members.join(','));
        if (header === undefined) return;
        const ours = new ValidTraceState(header);
        const core = new CoreTraceState(header);
        const keys = header.split(',').map((m) => m.slice(0, m.indexOf('=')));
        const existing = keys[pick % keys.length] as string;
        expect(ours.serialize()).toBe(core.serialize());
        for (const k of [key, existing]) {
          expect(ours.get(k)).toBe(core.get(k));
          expect(ours.unset(k).serialize()).toBe(core.unset(k).serialize());
          expect(ours.set(k, value).serialize()).toBe(core.set(k, value).serialize());
        }
        expect(ours.unset(existing).get(existing)).toBeUndefined();
      }),
      RUNS,
    );
  });
});

describe('parseTracestate on any input', () => {
  it('never throws; what it keeps is at most 32 valid, distinct members in 512 characters', () => {
    const input = headerValue(
      fc.oneof(
        hostileString,
        fc
          .array(fc.oneof(tracestateMember, mutated(tracestateMember)), { maxLength: 40 })
          .map((m) => m.join(',')),
      ),
    );
    fc.assert(
      fc.property(input, (value) => {
        const out = parseTracestate(value);
        if (out !== undefined) checkTracestate(out);
      }),
      RUNS,
    );
  });

  it('keeps a valid list in order, dropping whole members (large ones first) only to fit 512 characters', () => {
    const list = fc.record({
      members: fc
        .tuple(
          fc.array(tracestateMember, { minLength: 1, maxLength: 40, size: 'max' }),
          fc.option(fc.tuple(fc.nat(), fc.nat(), tracestateValue), { freq: 5 }),
        )
        // Now and then, the key of one member again, elsewhere in the list.
        .map(([members, dup]) => {
          if (dup === null) return members;
          const [from, to, value] = dup;
          const m = members[from % members.length] as string;
          const copy = `${m.slice(0, m.indexOf('='))}=${value}`;
          const at = to % (members.length + 1);
          return [...members.slice(0, at), copy, ...members.slice(at)];
        }),
      separators: fc.array(fc.constantFrom(',', ' ,', ', ', '\t,\t', ',,', ' , , '), {
        minLength: 40,
        maxLength: 40,
      }),
      split: fc.nat({ max: 40 }),
      // Spaces after the last member: valid, but they count towards the 8192-character cap.
      padding: fc.option(fc.integer({ min: 0, max: 9000 }), { freq: 4 }),
    });
    fc.assert(
      fc.property(list, ({ members, separators, split, padding }) => {
        let header = members[0] as string;
        for (let i = 1; i < members.length; i++) header += `${separators[i]}${members[i]}`;
        if (padding !== null) header += `,${' '.repeat(padding)}`;
        // Sent as two headers at a member boundary, or as one.
        const at = header.indexOf(',', Math.min(split * 10, header.length));
        const input = at > 0 ? [header.slice(0, at), header.slice(at + 1)] : header;
        const out = parseTracestate(input);

        const keys = members.map((m) => m.slice(0, m.indexOf('=')));
        const tooLong =
          (Array.isArray(input) ? input.join(',') : input).length > MAX_TRACESTATE_LENGTH;
        if (new Set(keys).size !== keys.length || members.length > 32 || tooLong) {
          expect(out).toBeUndefined();
          return;
        }
        if (members.join(',').length <= 512) {
          expect(out).toBe(members.join(','));
          return;
        }
        if (out === undefined) {
          // Only when no member fits on its own (a 513-character member).
          expect(members.every((m) => m.length > 128)).toBe(true);
          return;
        }
        const kept = checkTracestate(out);
        // A subsequence of the members, in order.
        let i = 0;
        for (const m of kept) {
          while (i < members.length && members[i] !== m) i++;
          expect(i).toBeLessThan(members.length);
          i++;
        }
        // Small members are dropped only once no large (>128) member is left.
        const droppedSmall = members.some((m) => m.length <= 128 && !kept.includes(m));
        if (droppedSmall) expect(kept.every((m) => m.length <= 128)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('parseBaggage on any input', () => {
  const tokenKey = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
  const member = fc
    .tuple(tokenKey, fc.string({ unit: 'binary', maxLength: 20 }))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);

  it('never throws; what it keeps is at most 64 token keys, no longer than the header', () => {
    const input = headerValue(
      fc.oneof(
        hostileString,
        fc.array(fc.oneof(member, mutated(member)), { maxLength: 70 }).map((m) => m.join(',')),
        fc
          .array(fc.constantFrom('%', '%0', '%0D%0A', '%1B[31m', '%E2%80%A8', '%FF', '%C3'), {
            maxLength: 40,
          })
          .map((v) => `k=${v.join('')}`),
      ),
    );
    fc.assert(
      fc.property(input, (value) => {
        const out = parseBaggage(value);
        if (out === undefined) return;
        const header = Array.isArray(value) ? value.join(',') : value;
        expect(Buffer.byteLength(header, 'utf8')).toBeLessThanOrEqual(MAX_BAGGAGE_LENGTH);
        expect(out.size).toBeGreaterThan(0);
        expect(out.size).toBeLessThanOrEqual(64);
        let chars = 0;
        for (const [k, v] of out) {
          expect(k).toMatch(TOKEN);
          expect(typeof v).toBe('string');
          chars += k.length + v.length;
        }
        expect(chars).toBeLessThanOrEqual(header.length);
      }),
      RUNS,
    );
  });

  it('round-trips percent-encoded values of any code point, within the 64-member and 8192-byte limits', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60, size: 'max' }),
    );
    const entries = fc.dictionary(tokenKey, value, {
      minKeys: 1,
      maxKeys: 70,
      size: 'max',
    });
    fc.assert(
      fc.property(entries, ows, (map, space) => {
        const keys = Object.keys(map);
        const header = keys
          .map(
            (k) => `${space}${k}${space}=${space}${encodeURIComponent(map[k] as string)}${space}`,
          )
          .join(',');
        const out = parseBaggage(header);
        if (keys.length > 64 || Buffer.byteLength(header) > MAX_BAGGAGE_LENGTH) {
          expect(out).toBeUndefined();
        } else {
          expect(out && Object.fromEntries(out)).toEqual(map);
        }
      }),
      RUNS,
    );
  });
});

describe('extractTraceContext and injectTraceContext on hostile headers', () => {
  beforeAll(() => {
    propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    );
  });
  afterAll(() => {
    propagation.disable();
  });

  const name = (n: string) => fc.constantFrom(n, n.toUpperCase(), n[0]?.toUpperCase() + n.slice(1));
  const carrier = fc.record(
    {
      traceparent: traceparentInput,
      tracestate: headerValue(fc.oneof(hostileString, tracestateMember, mutated(tracestateMember))),
      baggage: headerValue(
        fc.oneof(
          hostileString,
          fc.string({ unit: hostilePiece, maxLength: 30 }).map((v) => `k=${v}`),
        ),
      ),
      names: fc.tuple(name('traceparent'), name('tracestate'), name('baggage')),
    },
    { requiredKeys: ['names'] },
  );

  it('never throws, continues only a valid trace, and sends on only well-formed headers', () => {
    fc.assert(
      fc.property(carrier, fc.constantFrom(...TRUST_POLICIES), (c, trust) => {
        const headers: Record<string, string | string[]> = {};
        if (c.traceparent !== undefined) headers[c.names[0]] = c.traceparent;
        if (c.tracestate !== undefined) headers[c.names[1]] = c.tracestate;
        if (c.baggage !== undefined) headers[c.names[2]] = c.baggage;

        const ctx = extractTraceContext(headers, { trust, context: ROOT_CONTEXT });
        const sc = trace.getSpanContext(ctx);
        const parsed = trust === 'ignore' ? undefined : parseTraceparent(c.traceparent);
        if (trust === 'continue' && parsed) {
          expect(sc).toMatchObject({ ...parsed, isRemote: true });
        } else {
          expect(sc).toBeUndefined();
        }

        const out = injectTraceContext({} as Record<string, string>, ctx);
        for (const [key, value] of Object.entries(out)) {
          expect(typeof value).toBe('string');
          expect(value, key).not.toMatch(CONTROL_CHARS);
          expect(value, key).toMatch(/^[\x20-\x7e]*$/);
        }
        if (sc)
          expect(out.traceparent).toBe(formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags));
        else expect(out.traceparent).toBeUndefined();
        expect((out.tracestate ?? '').length).toBeLessThanOrEqual(512);
        expect((out.baggage ?? '').length).toBeLessThanOrEqual(MAX_BAGGAGE_LENGTH);
      }),
      RUNS,
    );
  });

  it('treats a carrier whose every read throws as no trace context', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('\r\nboom');
        },
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    expect(extractTraceContext(hostile, { context: ROOT_CONTEXT })).toBe(ROOT_CONTEXT);
    const getter = {
      get: (): string => {
        throw new Error('\r\nboom');
      },
    };
    expect(extractTraceContext(getter, { context: ROOT_CONTEXT })).toBe(ROOT_CONTEXT);
  });
});
