/**
 * Property-based tests of the logger on hostile values: no value
 * makes a log call throw or lose its record, what is exported stays within
 * the configured limits, and control characters stay data. Redaction has its
 * own file (it needs the default value-length limit).
 */
import type { AnyValue } from '@opentelemetry/api';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { decodeExportLogsRequest } from '@threadline/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitBridgedRecord, getLogger, log, withScope } from '../src/index.js';
import { encodeLogsRequest } from '../src/internal/otlp-protobuf.js';
import { createRedaction } from '../src/internal/redaction.js';
import { DEFAULT_LIMITS, estimateBytes, Serializer } from '../src/internal/serialize.js';
import { useInMemory } from './helpers.js';
import { HOSTILE_PIECES, hostileString, hugeString } from './hostile.js';

const COUNT_LIMIT = 12;
const LENGTH_LIMIT = 64;
/** Messages under 256 characters without a URL are kept whole (logger.ts fast path); longer ones are cut like any value. */
const BODY_LIMIT = Math.max(LENGTH_LIMIT + 1, 255);

const t = useInMemory({
  attributeCountLimit: COUNT_LIMIT,
  attributeValueLengthLimit: LENGTH_LIMIT,
});

const flushed = t.flushed;

/**
 * Traps and getters below throw only while armed (around the log calls), so
 * that fast-check can still print a counterexample holding them.
 */
let armed = false;
function trap(): never {
  throw new Error('trap\r\n\u001b[31m');
}
function armedTrap<A extends unknown[], R>(fallback: (...args: A) => R): (...args: A) => R {
  return (...args) => (armed ? trap() : fallback(...args));
}
function whileArmed<T>(fn: () => T): T {
  armed = true;
  try {
    return fn();
  } finally {
    armed = false;
  }
}

/** Values that have broken serializers: throwing traps, getters and toJSON, odd errors. */
function hostileObjects(): unknown[] {
  const badName = new Error('bad name');
  Object.defineProperty(badName, 'name', { get: armedTrap(() => 'BadName') });
  const selfCause = new Error('self cause') as Error & { cause?: unknown };
  selfCause.cause = selfCause;
  const badMessage = new Error('x');
  Object.defineProperty(badMessage, 'message', {
    value: { toString: armedTrap(() => 'bad message') },
  });
  const hugeStack = new Error('huge stack');
  hugeStack.stack = 'at x\n'.repeat(50_000);
  const bareError = Object.create(Error.prototype) as Error;
  const nullProto = Object.assign(Object.create(null) as object, { a: 1, password: 'pw' });
  const endlessJson: { toJSON(): unknown } = { toJSON: () => ({ toJSON: endlessJson.toJSON }) };
  const selfJson = {
    toJSON() {
      return this;
    },
  };
  const sparse: unknown[] = [];
  sparse[1_000_000] = 'end';
  return [
    new Proxy(
      { a: 1 },
      {
        get: armedTrap(Reflect.get),
        has: armedTrap(Reflect.has),
        ownKeys: armedTrap(Reflect.ownKeys),
        getPrototypeOf: armedTrap(Reflect.getPrototypeOf),
        getOwnPropertyDescriptor: armedTrap(Reflect.getOwnPropertyDescriptor),
      },
    ),
    new Proxy([1, 2, 3], { get: armedTrap(Reflect.get) }),
    Object.defineProperty({}, 'boom', { enumerable: true, get: armedTrap(() => 'boom') }),
    { toJSON: armedTrap(() => 'json') },
    endlessJson,
    selfJson,
    badName,
    selfCause,
    badMessage,
    hugeStack,
    bareError,
    new AggregateError([new Error('a')], 'many'),
    nullProto,
    { [Symbol('key')]: 'symbol-keyed' },
    sparse,
    new Float64Array([Number.NaN, Number.POSITIVE_INFINITY]),
    Buffer.alloc(100_000, 1),
    new Date(Number.NaN),
    new WeakMap(),
    Promise.resolve(1),
    (function* generator() {})(),
    Object.assign(() => {}, { property: 'on a function' }),
    new (class WithPrivate {
      #secret = 1;
      visible = this.#secret;
    })(),
  ];
}
const HOSTILE_OBJECTS = hostileObjects();

const leaf = fc.oneof(
  hostileString,
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined, Number.NaN, -0, Number.MAX_VALUE),
  fc.string().map((s) => Symbol(s)),
  fc.string().map((name) => Object.defineProperty(() => {}, 'name', { value: name })),
  fc
    .tuple(hostileString, fc.option(hostileString))
    .map(([message, cause]) =>
      cause === null ? new Error(message) : new TypeError(message, { cause: new Error(cause) }),
    ),
  fc.date({ noInvalidDate: false }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom(...HOSTILE_OBJECTS),
);

const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'exception.type',
      'password',
      '',
    ),
  },
);

const anyValue = fc.anything({
  key,
  values: [leaf],
  maxDepth: 6,
  maxKeys: 20,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withSparseArray: true,
  withTypedArray: true,
  withBoxedValues: true,
  withObjectString: true,
});

/** Ties some containers of `root` back to others: cycles through objects, arrays and maps. */
function withCycles(root: unknown, links: Array<[number, number]>): unknown {
  const containers: object[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): void => {
    try {
      if (
        v === null ||
        typeof v !== 'object' ||
        seen.has(v) ||
        depth > 8 ||
        containers.length > 64
      ) {
        return;
      }
      seen.add(v);
      if (ArrayBuffer.isView(v) || !Object.isExtensible(v)) return;
      const children = v instanceof Map || v instanceof Set ? [...v.values()] : Object.values(v);
      containers.push(v);
      for (const c of children) visit(c, depth + 1);
    } catch {
      // a hostile object: leave it as it is
    }
  };
  visit(root, 0);
  if (containers.length === 0) return root;
  for (const [i, [from, to]] of links.entries()) {
    const a = containers[from % containers.length] as object;
    const b = containers[to % containers.length] as object;
    try {
      if (Array.isArray(a)) a.push(b);
      else if (a instanceof Map) a.set(`cycle${i}`, b);
      else if (a instanceof Set) a.add(b);
      else (a as Record<string, unknown>)[`cycle${i}`] = b;
    } catch {
      // a frozen or hostile container
    }
  }
  return root;
}

const cyclicValue = fc
  .tuple(anyValue, fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 5 }))
  .map(([v, links]) => withCycles(v, links));

/** Nested `depth` levels deep, up to far past the serializer's depth limit. */
const deepValue = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean(), leaf)
  .map(([depth, arrays, bottom]) => {
    let v: unknown = bottom;
    for (let i = 0; i < depth; i++) v = arrays ? [v] : { next: v };
    return v;
  });

const value = fc.oneof(
  { weight: 3, arbitrary: anyValue },
  { weight: 1, arbitrary: cyclicValue },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: hugeString },
);

const attributeBag = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(key, value, { maxKeys: 30 }) },
  { weight: 1, arbitrary: value },
);

/** Why `v` is not a bounded OTLP AnyValue, or undefined when it is. */
function problemIn(v: unknown, maxString: number, depth = 0): string | undefined {
  if (v === null) return undefined;
  switch (typeof v) {
    case 'string':
      return v.length <= maxString ? undefined : `a string of ${v.length} characters`;
    case 'number':
      return Number.isFinite(v) ? undefined : `the number ${v}`;
    case 'boolean':
      return undefined;
    case 'object':
      break;
    default:
      return `a ${typeof v}`;
  }
  if (v instanceof Uint8Array) {
    return v.length <= LENGTH_LIMIT ? undefined : `${v.length} bytes`;
  }
  if (depth >= DEFAULT_LIMITS.maxDepth) return `a map or array nested ${depth + 1} deep`;
  if (Array.isArray(v)) {
    if (v.length > DEFAULT_LIMITS.maxCollectionLength + 1) return `an array of ${v.length}`;
    for (const item of v) {
      const p = problemIn(item, LENGTH_LIMIT + 1, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return 'a map that is not a plain object';
  const keys = Object.keys(v);
  if (keys.length > DEFAULT_LIMITS.maxCollectionLength) return `a map of ${keys.length} keys`;
  for (const k of keys) {
    const p = problemIn((v as Record<string, unknown>)[k], LENGTH_LIMIT + 1, depth + 1);
    if (p) return `${p} under ${JSON.stringify(k)}`;
  }
  return undefined;
}

function countValues(v: unknown): number {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return 1;
  let n = 1;
  for (const x of Object.values(v)) n += countValues(x);
  return n;
}

/** Checks one exported record against the limits, and that both OTLP encoders take it. */
function checkRecord(r: ReadableLogRecord): void {
  const attributes = r.attributes as Record<string, unknown>;
  expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
  expect(Object.keys(attributes).length).toBeLessThanOrEqual(COUNT_LIMIT);
  for (const k of Object.keys(attributes)) {
    expect(
      problemIn(attributes[k], LENGTH_LIMIT + 1),
      `attribute ${JSON.stringify(k)}`,
    ).toBeUndefined();
  }
  expect(problemIn(r.body, BODY_LIMIT), 'body').toBeUndefined();
  // Both encoders take it, and the protobuf one writes exactly the record's attributes.
  expect(() => JsonLogsSerializer.serializeRequest([r])).not.toThrow();
  const [decoded] = decodeExportLogsRequest(Buffer.from(encodeLogsRequest([r])), 'protobuf');
  expect(new Set(Object.keys(decoded?.attributes ?? {}))).toEqual(
    new Set(Object.keys(attributes).map(viaUtf8)),
  );
}

describe('log calls with any value', () => {
  it('never throw, keep one record per call, and export only values within the configured limits', async () => {
    const child = getLogger('property');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileString, value),
        attributeBag,
        attributeBag,
        async (message, attributes, more) => {
          const m = message as string;
          const a = attributes as Record<string, unknown>;
          expect(() =>
            whileArmed(() => {
              log.info(m, a);
              log.child(a).warn(m, more as Record<string, unknown>);
              withScope(a, () => child.error(m, more as Record<string, unknown>));
              emitBridgedRecord('bridge', { severityNumber: 9, body: message, attributes: a });
            }),
          ).not.toThrow();
          const records = await flushed();
          expect(records).toHaveLength(4);
          for (const r of records) checkRecord(r);
        },
      ),
      { numRuns: 100 },
    );
    // 1–5 s alone; values as large as fast-check makes them took over 15 s on a CI machine busy with other packages' tests.
  }, 60_000);

  it('keep a graph of shared references (not cycles) within the size budget', () => {
    // A small budget keeps each run fast; logger.test.ts has the default one end to end.
    const maxValueBytes = 64 * 1024;
    const serializer = new Serializer(createRedaction(), { ...DEFAULT_LIMITS, maxValueBytes });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 128 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom<unknown>('leaf', 'x'.repeat(1000), 0, null, [], {}, new Map()),
        fc.constantFrom('array', 'object', 'map', 'set'),
        (width, depth, bottom, kind) => {
          let v: unknown = bottom;
          for (let i = 0; i < depth; i++) {
            const level: unknown[] = Array(width).fill(v);
            if (kind === 'array') v = level;
            else if (kind === 'set') v = new Set([v, [v], { v }]);
            else {
              const entries = level.map((x, j): [string, unknown] => [`k${j}`, x]);
              v = kind === 'map' ? new Map(entries) : Object.fromEntries(entries);
            }
          }
          const n = serializer.attributes({ v, w: v, x: [v, v] });
          // Every value costs at least one byte of the estimate, which stops growing past the budget.
          expect(n.bytes).toBeLessThan(maxValueBytes + 2 * 1024);
          expect(countValues(n.attributes)).toBeLessThan(maxValueBytes + 2 * 1024);
          expect(estimateBytes(n.attributes as AnyValue)).toBeLessThan(maxValueBytes + 2 * 1024);
        },
      ),
      { numRuns: 200 },
    );
    // Under a second alone; over 5 s once on a loaded CI machine.
  }, 60_000);
});

/** Text that cannot look like a URL or a query (no ':' or '='), so redaction leaves it alone. */
const injection = fc.oneof(
  fc.string({ unit: fc.constantFrom(...HOSTILE_PIECES.filter((p) => p !== '=')), maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => !s.includes('=') && !s.includes(':')),
  hugeString.filter((s) => !s.includes('=')),
);

/** What an exported string must be: the input, or its first `limit` characters (never half a surrogate pair) and '…'. */
function exported(input: string, limit: number): string {
  if (input.length <= limit) return input;
  return `${input.slice(0, /[\ud800-\udbff]/.test(input.charAt(limit - 1)) ? limit - 1 : limit)}…`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A string as it comes back from UTF-8 (a lone surrogate becomes U+FFFD). */
function viaUtf8(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

describe('CR/LF, U+2028/U+2029 and ANSI escapes in messages and values', () => {
  it('reach the record and both OTLP encodings as data: the input or its truncation', async () => {
    await fc.assert(
      fc.asyncProperty(injection, injection, injection, async (message, v, k) => {
        log.info(message, { v, nested: { [k]: v }, list: [v] });
        const [r] = await flushed();
        // Well-formed: a lone surrogate becomes U+FFFD, as UTF-8 carries it.
        const body = viaUtf8(message.length < 256 ? message : exported(message, LENGTH_LIMIT));
        const value = viaUtf8(exported(v, LENGTH_LIMIT));
        const key = viaUtf8(exported(k, LENGTH_LIMIT));
        expect(r?.body).toBe(body);
        expect(r?.attributes).toEqual({ v: value, nested: { [key]: value }, list: [value] });

        const [proto] = decodeExportLogsRequest(
          Buffer.from(encodeLogsRequest([r as ReadableLogRecord])),
          'protobuf',
        );
        expect(proto?.body).toBe(viaUtf8(body));
        expect(proto?.attributes.v).toBe(viaUtf8(value));
        expect(proto?.attributes.nested).toEqual({ [key]: value });

        const json = Buffer.from(
          JsonLogsSerializer.serializeRequest([r as ReadableLogRecord]) as Uint8Array,
        );
        // One line of JSON whatever the data: every control character is escaped.
        expect(json.findIndex((byte) => byte < 0x20)).toBe(-1);
        // No lone surrogate reaches either encoding, whatever the input (a strict
        // OTLP/JSON receiver rejects a batch holding one).
        expect([body, value, key].some((x) => LONE_SURROGATE.test(x))).toBe(false);
        const [decoded] = decodeExportLogsRequest(json, 'json');
        expect(decoded?.body).toBe(body);
        expect(decoded?.attributes.v).toBe(value);
        expect(decoded?.attributes.nested).toEqual({ [key]: value });
      }),
      { numRuns: 200 },
    );
  });
});
