/**
 * The work one export request may cause, checked before it is decoded.
 *
 * A body small on the wire can describe millions of empty values (two bytes
 * each in protobuf, three in JSON), and a decoder allocates an object for
 * each. These scans walk the bytes once without allocating, count what a
 * decoder would build, and stop at the first bound passed, so a hostile body
 * costs a bounded scan and never the allocation.
 */

/** Bounds on one export request. */
export interface DecodeLimits {
  /** Log records, scopes and resources (each counts one). @default 65536 */
  maxRecords: number;
  /**
   * Decoded values: every field of a resource, scope, record, attribute or
   * nested value counts one, and every message one more (a string attribute
   * counts six; an empty one two). @default 2097152
   */
  maxValues: number;
  /** Nesting of arrays and maps inside one attribute or body, at most 30. @default 24 */
  maxDepth: number;
  /**
   * Characters the records of one request take as stored: each record's
   * body, attributes and resource as JSON, its scope name and its other
   * columns. Each record repeats its resource and scope, so this bounds what
   * a few bytes of request can ask to store. @default 67108864 (64 Mi)
   */
  maxStoredChars: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxRecords: 65_536,
  maxValues: 2_097_152,
  maxDepth: 24,
  maxStoredChars: 64 * 1024 * 1024,
});

// protobufjs refuses messages nested past 100 levels ("max depth exceeded"): a map nested 30 deep
// in an attribute is a message at depth 5 + 3 × 30 = 95, so the scan refuses deeper values first.
const MAX_MAX_DEPTH = 30;

/** The limits with the defaults filled in; throws a RangeError naming a bad one. */
export function resolveLimits(limits: Partial<DecodeLimits> = {}): DecodeLimits {
  const resolved = { ...DEFAULT_DECODE_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    const max = name === 'maxDepth' ? MAX_MAX_DEPTH : Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(value) || value < 1 || value > max) {
      throw new RangeError(
        `limits.${name} must be a whole number from 1 to ${max}, not ${String(value)}`,
      );
    }
  }
  return resolved;
}

/** Thrown when a body passes a bound: the receiver answers 413. */
export class BoundsError extends Error {}

/** Thrown when a body's framing is broken: the receiver answers 400. */
export class FramingError extends Error {}

// The messages of ExportLogsServiceRequest whose fields are counted, and for
// each the fields that hold a counted message (opentelemetry/proto logs/v1,
// common/v1, resource/v1). Fields not listed are skipped as a decoder would.
const Kind = {
  Request: 0,
  ResourceLogs: 1,
  Resource: 2,
  ScopeLogs: 3,
  Scope: 4,
  LogRecord: 5,
  KeyValue: 6,
  AnyValue: 7,
  ArrayValue: 8,
  KeyValueList: 9,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const CHILDREN: ReadonlyArray<Readonly<Record<number, Kind>>> = [
  /* Request */ { 1: Kind.ResourceLogs },
  /* ResourceLogs */ { 1: Kind.Resource, 2: Kind.ScopeLogs },
  /* Resource */ { 1: Kind.KeyValue },
  /* ScopeLogs */ { 1: Kind.Scope, 2: Kind.LogRecord },
  /* Scope */ { 3: Kind.KeyValue },
  /* LogRecord */ { 5: Kind.AnyValue, 6: Kind.KeyValue },
  /* KeyValue */ { 2: Kind.AnyValue },
  /* AnyValue */ { 5: Kind.ArrayValue, 6: Kind.KeyValueList },
  /* ArrayValue */ { 1: Kind.AnyValue },
  /* KeyValueList */ { 1: Kind.KeyValue },
];

const COUNTS_AS_RECORD: ReadonlySet<Kind> = new Set<Kind>([
  Kind.ResourceLogs,
  Kind.ScopeLogs,
  Kind.LogRecord,
]);
// Entering one of these is one level of nesting of a value.
const NESTS_A_VALUE: ReadonlySet<Kind> = new Set<Kind>([Kind.ArrayValue, Kind.KeyValueList]);
// For the JSON scan: the request's objects and arrays down to an attribute's value are about
// ten levels, and each level of a value (a map: AnyValue, kvlistValue, values, KeyValue) four.
const JSON_NESTING_ABOVE_VALUES = 10;
const JSON_NESTING_PER_VALUE_DEPTH = 4;

interface Tally {
  records: number;
  values: number;
}

/**
 * Walks an `ExportLogsServiceRequest` in the protobuf wire format and throws a
 * {@link BoundsError} when it would decode to more than `limits` allow, or a
 * {@link FramingError} when a length or tag runs past its message.
 */
export function checkProtobufBounds(body: Uint8Array, limits: DecodeLimits): void {
  const tally: Tally = { records: 0, values: 0 };
  walkMessage(body, { pos: 0 }, body.length, Kind.Request, 0, limits, tally);
}

/** One more decoded value; throws past the bound. */
function countValue(tally: Tally, limits: DecodeLimits): void {
  if (++tally.values > limits.maxValues) {
    throw new BoundsError(`more than ${limits.maxValues} values in one request`);
  }
}

/**
 * Reads a varint of at most `maxBytes` bytes at `cursor.pos`, before `end`,
 * and moves the cursor past it. `what` names it in a framing error.
 */
function readVarint(
  bytes: Uint8Array,
  cursor: { pos: number },
  end: number,
  what: string,
  maxBytes: number,
): number {
  let value = 0;
  for (let i = 0; ; i++) {
    if (cursor.pos >= end) throw new FramingError(`${what} runs past its message`);
    if (i >= maxBytes) throw new FramingError(`${what} longer than ${maxBytes} bytes`);
    const byte = bytes[cursor.pos++] as number;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return value;
  }
}

function walkMessage(
  bytes: Uint8Array,
  cursor: { pos: number },
  end: number,
  kind: Kind,
  valueDepth: number,
  limits: DecodeLimits,
  tally: Tally,
): void {
  const children = CHILDREN[kind] as Readonly<Record<number, Kind>>;
  while (cursor.pos < end) {
    // Field numbers are 29 bits: a tag is at most 5 bytes.
    const tag = readVarint(bytes, cursor, end, 'a tag', 5);
    countValue(tally, limits);
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 0) {
      readVarint(bytes, cursor, end, 'a varint', 10);
    } else if (wireType === 1 || wireType === 5) {
      cursor.pos += wireType === 1 ? 8 : 4;
      if (cursor.pos > end) throw new FramingError('a fixed-size field runs past its message');
    } else if (wireType === 2) {
      const length = readVarint(bytes, cursor, end, 'a length', 5);
      const next = cursor.pos + length;
      if (next > end) throw new FramingError('a length runs past its message');
      const child = children[field];
      if (child !== undefined) {
        if (COUNTS_AS_RECORD.has(child) && ++tally.records > limits.maxRecords) {
          throw new BoundsError(`more than ${limits.maxRecords} records in one request`);
        }
        // A message is an object of its own besides the field holding it: an empty one counts two.
        countValue(tally, limits);
        const childValueDepth = NESTS_A_VALUE.has(child) ? valueDepth + 1 : valueDepth;
        if (childValueDepth > limits.maxDepth) {
          throw new BoundsError(`values nested deeper than ${limits.maxDepth} levels`);
        }
        walkMessage(bytes, cursor, next, child, childValueDepth, limits, tally);
      }
      cursor.pos = next;
    } else {
      // Groups (3, 4) are not used by OTLP; 6 and 7 do not exist.
      throw new FramingError(`wire type ${wireType} is not used by OTLP`);
    }
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * A value of OTLP/JSON costs the decoder about twice what one of protobuf
 * does (the parsed document, the ProtoJSON message, then the protobuf path),
 * so a JSON body may hold half as many.
 */
export const JSON_VALUE_COST = 2;

/**
 * Scans an OTLP/JSON body without parsing it and throws a {@link BoundsError}
 * when parsing it would build more than `limits.maxValues / JSON_VALUE_COST`
 * values or nest deeper than the messages of a value at `limits.maxDepth`
 * can. Counts each object member's value and each array element once, and
 * each object and array once more. Broken JSON is left to the parser.
 */
export function checkJsonBounds(body: Uint8Array, limits: DecodeLimits): void {
  const maxValues = Math.floor(limits.maxValues / JSON_VALUE_COST);
  // Looser than the protobuf scan's count (which runs on the decoded form too): this one only
  // keeps the parser from building deep structures at all.
  const maxNesting =
    JSON_NESTING_ABOVE_VALUES + JSON_NESTING_PER_VALUE_DEPTH * (limits.maxDepth + 2);
  // One bit a level: 1 for an array, 0 for an object.
  const isArray = new Uint8Array(maxNesting + 2);
  let depth = 0;
  let values = 0;
  let inString = false;
  // After `[` (or `,` in an array) the next token starts an element.
  let elementPending = false;
  const length = body.length;
  for (let i = 0; i < length; i++) {
    const c = body[i] as number;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (elementPending) {
      elementPending = false;
      if (c !== CLOSE_BRACKET) values++;
    }
    if (c === QUOTE) inString = true;
    else if (c === COLON) values++;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // As in protobuf, an object or array counts two, so an empty one costs what its message does.
      values++;
      if (++depth > maxNesting) {
        throw new BoundsError(`values nested deeper than ${limits.maxDepth} levels`);
      }
      isArray[depth] = c === OPEN_BRACKET ? 1 : 0;
      elementPending = c === OPEN_BRACKET;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth > 0) depth--;
    } else if (c === COMMA) {
      elementPending = isArray[depth] === 1;
    }
    if (values > maxValues) {
      throw new BoundsError(`more than ${maxValues} OTLP/JSON values in one request`);
    }
  }
}
