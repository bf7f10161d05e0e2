/**
 * Turns whatever the application hands to the logger into values that can be
 * exported safely: never throws, never recurses without bound, never lets a
 * secret through, and estimates the encoded size so the export queue can be
 * bounded by bytes.
 */
import type { AnyValue } from '@opentelemetry/api';

type AnyValueMap = Record<string, AnyValue>;

import { REDACTED } from '../defaults.js';
import { createRedaction, type RedactionConfig } from './redaction.js';
import { globalState } from './state.js';

export interface SerializeLimits {
  /** Top-level attributes per record. */
  attributeCountLimit: number;
  /** Characters per string value (and per element of arrays and maps). */
  attributeValueLengthLimit: number;
  /** Nesting depth of maps and arrays below a top-level attribute. */
  maxDepth: number;
  /** Entries kept per nested array or map. */
  maxCollectionLength: number;
  /**
   * Estimated bytes of one attribute bag (or body) past which nested maps and
   * arrays are cut. Depth and length limits alone do not bound a graph that
   * shares objects: 10 arrays each holding 8 references to the next expand to
   * 8^8 values (150 MB, 1.7 s) from under 1 KB of input.
   */
  maxValueBytes: number;
}

/** Limits used before start and when no option or variable sets them. */
export const DEFAULT_LIMITS: SerializeLimits = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: 16384,
  maxDepth: 8,
  maxCollectionLength: 128,
  maxValueBytes: 1024 * 1024,
};

/** The result of normalising one attribute bag. */
export interface Normalised {
  attributes: Record<string, AnyValue>;
  /** Attributes dropped by the count limit. */
  dropped: number;
  /** Attributes kept. */
  count: number;
  /** Estimated encoded size in bytes. */
  bytes: number;
}

const EXCEPTION_TYPE = 'exception.type';
const EXCEPTION_MESSAGE = 'exception.message';
const EXCEPTION_STACKTRACE = 'exception.stacktrace';
const MAX_CAUSE_DEPTH = 8;
/**
 * Characters kept past the length limit while a long string is redacted, so
 * that a secret that starts before the cut and ends after it is still found
 * (a key of up to 128 characters, its separator and the start of its value;
 * a `scheme://user:password@` of up to 1 KiB). The string is cut to the limit
 * plus this first: redaction costs time in the length of what it is given.
 */
const CUT_MARGIN = 1024;
/** Estimated size of a nested map or array itself (its tag and length on the wire). */
const CONTAINER_BYTES = 2;

/**
 * Per-record overhead in the size estimate: the record object, its own
 * attribute object and time array on the heap. Calibrated so that the
 * estimate matches the heap measured by bench/queue-memory.ts (272 bytes a
 * record of the benchmark's shape), which makes `maxQueueBytes` a memory budget.
 */
export const RECORD_OVERHEAD_BYTES = 160;

export class Serializer {
  readonly limits: SerializeLimits;
  private readonly redaction: RedactionConfig;
  // Size estimate accumulated by the value walk (reset per call).
  private bytes = 0;

  constructor(redaction: RedactionConfig, limits: SerializeLimits) {
    this.redaction = redaction;
    this.limits = limits;
  }

  /**
   * Normalises an attribute bag. An `Error` found at the top level (under any
   * key) becomes `exception.type`, `exception.message` and
   * `exception.stacktrace` (with its `cause` chain) when none is set yet.
   */
  attributes(input: unknown): Normalised {
    const budget = this.limits.attributeCountLimit;
    this.bytes = 0;
    const out: Record<string, AnyValue> = {};
    let count = 0;
    let dropped = 0;
    if (input === undefined || input === null) return { attributes: out, dropped, bytes: 0, count };
    if (typeof input !== 'object' && typeof input !== 'function') {
      // Something thrown that is not an object (`throw 'boom'`), logged from a catch.
      setOwn(out, EXCEPTION_MESSAGE, this.string(safeString(input)));
      return { attributes: out, dropped: 0, bytes: this.bytes, count: 1 };
    }
    if (isError(input)) {
      count = this.addException(out, input, count, budget);
      return { attributes: out, dropped: 0, bytes: this.bytes, count };
    }
    let keys: string[];
    try {
      keys = Object.keys(input);
    } catch {
      return { attributes: out, dropped, bytes: 0, count };
    }
    for (const key of keys) {
      let value: unknown;
      try {
        value = (input as Record<string, unknown>)[key];
      } catch {
        value = '[Unreadable]';
      }
      if (value === undefined) continue;
      if (isError(value) && !(EXCEPTION_TYPE in out)) {
        const before = count;
        count = this.addException(out, value, count, budget);
        if (count === before) dropped++;
        continue;
      }
      if (count >= budget) {
        dropped++;
        continue;
      }
      const name = this.key(key);
      this.bytes += name.length + 4;
      setOwn(
        out,
        name,
        this.redaction.isSecretKey(name) ? REDACTED : this.value(value, 0, undefined),
      );
      count++;
    }
    return { attributes: out, dropped, bytes: this.bytes, count };
  }

  /** Normalises a log body (the message): strings are redacted and capped. */
  body(input: unknown): { body: AnyValue; bytes: number } {
    this.bytes = 0;
    const body = this.value(input, 0, undefined);
    return { body, bytes: this.bytes };
  }

  private addException(
    out: Record<string, AnyValue>,
    error: Error,
    count: number,
    budget: number,
  ): number {
    if (count + 3 > budget) return count;
    const { type, message, stack } = this.describe(error);
    out[EXCEPTION_TYPE] = this.string(type);
    out[EXCEPTION_MESSAGE] = this.string(message);
    let n = count + 2;
    if (stack) {
      out[EXCEPTION_STACKTRACE] = this.string(stack);
      n++;
    }
    return n;
  }

  /** `describeError` whose non-Error causes go through redaction and limits first. */
  private describe(error: Error): ErrorDescription {
    return describeError(
      error,
      (cause) => {
        const saved = this.bytes;
        try {
          return safeString(this.value(cause, 1, undefined));
        } finally {
          this.bytes = saved;
        }
      },
      this.limits.attributeValueLengthLimit + CUT_MARGIN + 1,
    );
  }

  /**
   * A string as it may be exported: cut to the length limit (with `…`),
   * redacted, and well-formed (a lone surrogate becomes U+FFFD: OTLP/JSON
   * would carry it as `\ud83d`, which strict receivers refuse, with the
   * whole batch). A long string is cut before it is redacted, so a 50 MB
   * string costs what a 17 KB one does.
   */
  private string(value: string): string {
    const limit = this.limits.attributeValueLengthLimit;
    const long = value.length > limit;
    let s = long ? cutBefore(value, limit + CUT_MARGIN) : value;
    s = this.redaction.redactString(s);
    if (s.length > limit) s = `${cutBefore(s, limit)}…`;
    else if (long) s = `${s}…`;
    if (!s.isWellFormed()) s = s.toWellFormed();
    this.bytes += s.length + 2;
    return s;
  }

  /**
   * true when the redaction would leave `s` as it is and it is well-formed
   * (for the logger's fast path, which takes short messages as they are).
   */
  isPlain(s: string): boolean {
    return !this.redaction.mayHoldSecret(s) && s.isWellFormed();
  }

  /** true when `s` (within the length limit) is exported as it is: nothing in it is redacted. */
  keepsAsIs(s: string): boolean {
    return this.isPlain(s) || (s.isWellFormed() && this.redaction.redactString(s) === s);
  }

  /** An attribute or map key as it is exported: cut like a value, well-formed. */
  private key(key: string): string {
    const limit = this.limits.attributeValueLengthLimit;
    let k = key.length > limit ? `${cutBefore(key, limit)}…` : key;
    if (!k.isWellFormed()) k = k.toWellFormed();
    return k;
  }

  private value(value: unknown, depth: number, seen: object[] | undefined): AnyValue {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        this.bytes += 9;
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
        this.bytes += 2;
        return value;
      case 'bigint':
        return this.string(value.toString());
      case 'symbol':
        return this.string(value.toString());
      case 'function':
        return this.string(`[Function ${value.name || 'anonymous'}]`);
      case 'undefined':
        this.bytes += 1;
        return null;
      default:
        break;
    }
    if (value === null) {
      this.bytes += 1;
      return null;
    }
    return this.object(value as object, depth, seen);
  }

  private object(value: object, depth: number, seen: object[] | undefined): AnyValue {
    try {
      if (value instanceof Date) {
        return this.string(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString());
      }
      if (value instanceof Uint8Array) {
        const limit = this.limits.attributeValueLengthLimit;
        const bytes = value.length > limit ? value.subarray(0, limit) : value;
        this.bytes += bytes.length + 2;
        return bytes;
      }
      // Other views (Float64Array, DataView, …) are opaque: reading their
      // elements as keys would cost time in their length.
      if (ArrayBuffer.isView(value)) return this.string(describeView(value));
      // A String object's characters are its keys.
      if (value instanceof String) return this.string(value.valueOf());
    } catch {
      // `instanceof` runs a Proxy's getPrototypeOf trap, which may throw (or be revoked).
      return this.string('[Unserializable]');
    }
    if (seen?.includes(value)) return this.string('[Circular]');
    if (depth >= this.limits.maxDepth || this.bytes > this.limits.maxValueBytes) {
      return this.string(Array.isArray(value) ? '[Array]' : '[Object]');
    }
    const path = seen ?? [];
    path.push(value);
    try {
      if (value instanceof Error) {
        const { type, message, stack } = this.describe(value);
        this.bytes += CONTAINER_BYTES;
        const m: AnyValueMap = { type: this.string(type), message: this.string(message) };
        if (stack) m.stacktrace = this.string(stack);
        return m;
      }
      if (Array.isArray(value) || value instanceof Set) {
        this.bytes += CONTAINER_BYTES;
        const out: AnyValue[] = [];
        const max = this.limits.maxCollectionLength;
        for (const item of value) {
          if (out.length >= max || this.bytes > this.limits.maxValueBytes) {
            out.push(this.string('[…]'));
            break;
          }
          out.push(this.value(item, depth + 1, path));
        }
        return out;
      }
      if (value instanceof Map) {
        this.bytes += CONTAINER_BYTES;
        const out: AnyValueMap = {};
        let n = 0;
        for (const [k, v] of value) {
          if (n++ >= this.limits.maxCollectionLength || this.bytes > this.limits.maxValueBytes) {
            break;
          }
          // String() of an array key joins all its elements: a sparse Array(1e6) makes a 1 MB key.
          const key = this.key(Array.isArray(k) ? '[Array]' : String(k));
          this.bytes += key.length + 4;
          setOwn(
            out,
            key,
            this.redaction.isSecretKey(key) ? REDACTED : this.value(v, depth + 1, path),
          );
        }
        return out;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        const json = toJSON.call(value);
        if (json !== value) return this.value(json, depth + 1, path);
      }
      this.bytes += CONTAINER_BYTES;
      const out: AnyValueMap = {};
      let n = 0;
      for (const key of Object.keys(value)) {
        if (n++ >= this.limits.maxCollectionLength || this.bytes > this.limits.maxValueBytes) {
          break;
        }
        let v: unknown;
        try {
          v = (value as Record<string, unknown>)[key];
        } catch {
          v = '[Unreadable]';
        }
        if (v === undefined) continue;
        const name = this.key(key);
        this.bytes += name.length + 4;
        setOwn(
          out,
          name,
          this.redaction.isSecretKey(name) ? REDACTED : this.value(v, depth + 1, path),
        );
      }
      return out;
    } catch {
      // A throwing getter, toJSON or proxy trap: keep the record, lose the value.
      return this.string('[Unserializable]');
    } finally {
      path.pop();
    }
  }
}

/** `value instanceof Error`, and false when that throws (a Proxy's getPrototypeOf trap). */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

interface ErrorDescription {
  type: string;
  message: string;
  stack: string;
}

/**
 * exception.type / message / stacktrace of an error, with its `cause` chain.
 * A cause that is not an Error is written as `describeCause` returns it.
 */
/**
 * Past this many characters of message, an Error's `stack` is not read: V8
 * writes the stack text on its first read, message included, and copying a
 * 50 MB message there costs tens of milliseconds in the log call. Such an
 * error is written as its type and cut message, without frames.
 */
const MAX_MESSAGE_FOR_STACK = 1024 * 1024;

function stackOf(error: Error, message: string, maxLength: number): string {
  if (message.length > MAX_MESSAGE_FOR_STACK) {
    const name = typeof error.name === 'string' ? error.name : 'Error';
    return `${name}: ${message.slice(0, maxLength)}\n    (stack not read: the message has ${message.length} characters)`;
  }
  const stack = error.stack;
  return typeof stack === 'string' ? stack : '';
}

function describeError(
  error: Error,
  describeCause: (cause: unknown) => string,
  maxLength: number,
): ErrorDescription {
  let type = 'Error';
  let message = '';
  let stack = '';
  try {
    type = error.name || error.constructor?.name || 'Error';
    message = typeof error.message === 'string' ? error.message : String(error.message);
    stack = stackOf(error, message, maxLength);
    let cause: unknown = (error as { cause?: unknown }).cause;
    const seen: unknown[] = [error];
    // Past `maxLength`, the rest would be cut: causes are not read, and each
    // part is cut as it is added (joining whole parts and cutting after would
    // copy them all).
    const add = (part: string): void => {
      const room = maxLength - stack.length;
      stack += part.length > room ? part.slice(0, Math.max(0, room)) : part;
    };
    if (stack.length > maxLength) stack = stack.slice(0, maxLength);
    for (let i = 0; cause !== undefined && i < MAX_CAUSE_DEPTH; i++) {
      if (stack.length >= maxLength) break;
      if (seen.includes(cause)) {
        add('\nCaused by: [Circular]');
        break;
      }
      seen.push(cause);
      if (cause instanceof Error) {
        add('\nCaused by: ');
        const causeMessage = typeof cause.message === 'string' ? cause.message : '';
        add(stackOf(cause, causeMessage, maxLength) || `${cause.name}: ${causeMessage}`);
        cause = (cause as { cause?: unknown }).cause;
      } else {
        add('\nCaused by: ');
        add(describeCause(cause));
        break;
      }
    }
  } catch {
    // A hostile error object: keep what was read.
  }
  return { type, message, stack };
}

/**
 * The first `limit` UTF-16 units of `s`, one fewer when the cut would split a
 * surrogate pair: half an emoji is a lone surrogate, which OTLP/JSON carries
 * as `\ud83d` and strict receivers (protobufjs' protojson, `threadline dev`)
 * reject, with the whole batch.
 */
function cutBefore(s: string, limit: number): string {
  const last = s.charCodeAt(limit - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit);
}

/** `[Float64Array(1024)]`, `[DataView(8192)]`: a view by its type and length. */
function describeView(view: ArrayBufferView): string {
  const length = (view as { length?: unknown }).length;
  const name = view.constructor?.name || 'ArrayBufferView';
  return `[${name}(${typeof length === 'number' ? length : view.byteLength})]`;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' ? (JSON.stringify(value) ?? String(value)) : String(value);
  } catch {
    return '[Unserializable]';
  }
}

/** The running pipeline's serializer, or the default one (before start). */
export function currentSerializer(): Serializer {
  const s = globalState();
  const running = s.pipeline?.serializer;
  if (running) return running;
  s.defaultSerializer ??= new Serializer(createRedaction(), DEFAULT_LIMITS);
  return s.defaultSerializer;
}

/**
 * `out[key] = value`, as an own property even when the key is `__proto__`
 * (JSON.parse makes such keys, e.g. from a request body): assigning it would
 * set the object's prototype instead, losing the value and making its keys
 * appear, uncounted, to the encoder's `for…in`.
 */
export function setOwn<T>(out: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else out[key] = value;
}

/**
 * Estimated size of an already normalised value, matching the serializer's
 * walk: used where attributes are replaced after the fact.
 */
export function estimateBytes(value: AnyValue): number {
  if (value === null || value === undefined) return 1;
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
      return 9;
    case 'boolean':
      return 2;
    default:
      break;
  }
  if (value instanceof Uint8Array) return value.length + 2;
  let n = CONTAINER_BYTES;
  if (Array.isArray(value)) {
    for (const v of value) n += estimateBytes(v);
    return n;
  }
  const map = value as Record<string, AnyValue>;
  for (const k of Object.keys(map)) n += k.length + 4 + estimateBytes(map[k]);
  return n;
}

/** Deletes the keys past `limit` (in insertion order); returns how many. */
export function trimToLimit(attrs: Record<string, AnyValue>, limit: number): number {
  let extra = 0;
  let i = 0;
  for (const key in attrs) {
    if (++i > limit) {
      delete attrs[key];
      extra++;
    }
  }
  return extra;
}

/**
 * What to log for something thrown: an Error as it is (the serializer turns it
 * into `exception.*`), anything else as `exception.type` and
 * `exception.message`. `type` is for `error.type` on a completed line.
 */
export function thrownValue(error: unknown): {
  type: string;
  attributes: Error | Record<string, unknown>;
} {
  if (error instanceof Error) {
    let type = 'Error';
    try {
      type = error.name || error.constructor?.name || 'Error';
    } catch {
      // a hostile getter: keep the default
    }
    return { type: String(type), attributes: error };
  }
  const type = error === null ? 'null' : typeof error;
  // An object is kept as a value, so the serializer redacts it by key like any other.
  return { type, attributes: { 'exception.type': type, 'exception.message': error } };
}
