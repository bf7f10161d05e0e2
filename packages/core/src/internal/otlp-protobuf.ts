/**
 * A purpose-built encoder of `ExportLogsServiceRequest` (OTLP/protobuf) for
 * Threadline's hot path. It writes the same bytes the OpenTelemetry protobuf
 * serializer writes for the same records, into one growing buffer, with the
 * Resource and instrumentation scope encoded once per batch and trace/span
 * ids written by Node's native hex decoder. Transport, retries, Retry-After,
 * compression and partial-success handling stay the official exporter's
 * (see otlp-exporter.ts). Field numbers: opentelemetry-proto
 * collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
 * common/v1/common.proto, resource/v1/resource.proto.
 *
 * Why: the SDK's serializer was the largest share of the CPU of a burst
 * (a profile of bench/scenario.ts); bench/encode.ts compares the two.
 */
import type { AnyValue, Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { hasAttributesApart } from './logger.js';
import { endOf, startOf } from './queue.js';

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
const tag = (field: number, wire: number): number => (field << 3) | wire;

// ExportLogsServiceRequest / ResourceLogs / ScopeLogs
const T_RESOURCE_LOGS = tag(1, LEN);
const T_RESOURCE = tag(1, LEN);
const T_SCOPE_LOGS = tag(2, LEN);
const T_RL_SCHEMA_URL = tag(3, LEN);
const T_SCOPE = tag(1, LEN);
const T_LOG_RECORDS = tag(2, LEN);
// Resource
const T_RES_ATTRIBUTES = tag(1, LEN);
// InstrumentationScope
const T_SCOPE_NAME = tag(1, LEN);
const T_SCOPE_VERSION = tag(2, LEN);
const T_SCOPE_ATTRIBUTES = tag(3, LEN);
// LogRecord
const T_TIME = tag(1, I64);
const T_SEVERITY_NUMBER = tag(2, VARINT);
const T_SEVERITY_TEXT = tag(3, LEN);
const T_BODY = tag(5, LEN);
const T_ATTRIBUTES = tag(6, LEN);
const T_DROPPED = tag(7, VARINT);
const T_FLAGS = tag(8, I32);
const T_TRACE_ID = tag(9, LEN);
const T_SPAN_ID = tag(10, LEN);
const T_OBSERVED_TIME = tag(11, I64);
const T_EVENT_NAME = tag(12, LEN);
// KeyValue / AnyValue / ArrayValue / KeyValueList
const T_KV_KEY = tag(1, LEN);
const T_KV_VALUE = tag(2, LEN);
const T_STRING = tag(1, LEN);
const T_BOOL = tag(2, VARINT);
const T_INT = tag(3, VARINT);
const T_DOUBLE = tag(4, I64);
const T_ARRAY = tag(5, LEN);
const T_KVLIST = tag(6, LEN);
const T_BYTES = tag(7, LEN);
const T_VALUES = tag(1, LEN);

/** Room reserved for a length prefix; the body is moved back when it needs fewer bytes. */
const LEN_RESERVE = 5;
const MAX_DEPTH = 32;

class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(10);
    const b = this.buf;
    let v = value >>> 0;
    if (value > 0xffffffff) {
      // Only lengths and counts come here; they stay far below 2^53.
      let hi = Math.floor(value / 4294967296);
      for (let i = 0; i < 4; i++) {
        b[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      v |= (hi & 0x7) << 4;
      hi >>>= 3;
      b[this.pos++] = v | (hi > 0 ? 0x80 : 0);
      while (hi > 0) {
        b[this.pos++] = (hi & 0x7f) | (hi > 0x7f ? 0x80 : 0);
        hi >>>= 7;
      }
      return;
    }
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  /** int64 varint of an integer (two's complement for negatives: 10 bytes). */
  int64(value: number): void {
    if (value >= 0) {
      this.varint(value);
      return;
    }
    this.ensure(10);
    const b = this.buf;
    // Two's complement of a negative safe integer as 64 bits: lo/hi words.
    let lo = value % 4294967296;
    let hi = Math.floor(value / 4294967296);
    lo = lo < 0 ? lo + 4294967296 : lo;
    lo >>>= 0;
    hi >>>= 0;
    for (let i = 0; i < 4; i++) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    b[this.pos++] = lo | ((hi & 0x7) << 4) | 0x80;
    hi >>>= 3;
    for (let i = 0; i < 5; i++) {
      b[this.pos++] = (hi & 0x7f) | (i < 4 ? 0x80 : 0);
      hi >>>= 7;
    }
  }

  string(t: number, value: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: under 43 units, a 1-byte length is enough.
    this.ensure(value.length * 3 + 11);
    this.buf[this.pos++] = t;
    const lenAt = this.pos;
    const n = value.length;
    if (n < 128) {
      // Short ASCII (keys, most values): a byte loop beats the native call's overhead.
      const b = this.buf;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c > 0x7f) break;
        b[lenAt + 1 + i] = c;
      }
      if (i === n) {
        b[lenAt] = n;
        this.pos = lenAt + 1 + n;
        return;
      }
    }
    const start = lenAt + (n < 43 ? 1 : LEN_RESERVE);
    this.place(lenAt, start, this.buf.write(value, start, 'utf8'));
  }

  /** Starts a length-delimited field; pass the result to end(). */
  begin(t: number): number {
    this.ensure(LEN_RESERVE + 1);
    this.buf[this.pos++] = t;
    const lenAt = this.pos;
    this.pos += LEN_RESERVE;
    return lenAt;
  }

  end(lenAt: number): void {
    const start = lenAt + LEN_RESERVE;
    this.place(lenAt, start, this.pos - start);
  }

  /** Writes the body's length at `lenAt` and moves the body right behind it. */
  private place(lenAt: number, start: number, length: number): void {
    // No ensure() here: the reserved room holds the length, and a reallocation
    // now would not copy the body written past `pos`.
    const b = this.buf;
    let at = lenAt;
    let v = length;
    while (v > 0x7f) {
      b[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[at++] = v;
    if (at !== start) {
      // Most bodies are a few dozen bytes: a loop beats the native call.
      if (length < 64) for (let i = 0; i < length; i++) b[at + i] = b[start + i] as number;
      else b.copyWithin(at, start, start + length);
    }
    this.pos = at + length;
  }

  /**
   * A KeyValue whose key and string value are short ASCII, written in one pass
   * with its length known up front (no room reserved, nothing moved). Returns
   * false, having written nothing, when they are not.
   */
  shortStringKeyValue(t: number, key: string, value: string): boolean {
    const kn = key.length;
    const vn = value.length;
    // KeyValue = key field (2 + kn) + value field (2 + AnyValue(2 + vn)): 1-byte lengths throughout.
    const body = kn + vn + 6;
    if (body > 127) return false;
    this.ensure(body + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = t;
    b[p++] = body;
    b[p++] = T_KV_KEY;
    b[p++] = kn;
    for (let i = 0; i < kn; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) return false;
      b[p++] = c;
    }
    b[p++] = T_KV_VALUE;
    b[p++] = vn + 2;
    b[p++] = T_STRING;
    b[p++] = vn;
    for (let i = 0; i < vn; i++) {
      const c = value.charCodeAt(i);
      if (c > 0x7f) return false;
      b[p++] = c;
    }
    this.pos = p;
    return true;
  }

  fixed64Time(t: number, time: HrTime): void {
    this.ensure(9);
    this.buf[this.pos++] = t;
    writeNanos(this.buf, this.pos, time);
    this.pos += 8;
  }
}

/** Writes [seconds, nanos] as little-endian uint64 nanoseconds, exactly, without BigInt. */
function writeNanos(buf: Buffer, at: number, [secs, nanos]: HrTime): void {
  // secs * 1e9 + nanos can exceed 2^53: split secs into 16-bit halves.
  const sh = Math.floor(secs / 65536);
  const sl = secs - sh * 65536;
  const a = sh * 1e9; // < 2^46
  const b = sl * 1e9 + nanos; // < 2^47
  const aHi = Math.floor(a / 65536);
  const low = (a - aHi * 65536) * 65536 + (b % 4294967296);
  const carry = Math.floor(low / 4294967296);
  buf.writeUInt32LE(low - carry * 4294967296, at);
  buf.writeUInt32LE(aHi + Math.floor(b / 4294967296) + carry, at + 4);
}

function writeAnyValue(w: Writer, value: AnyValue, depth: number): void {
  switch (typeof value) {
    case 'string':
      w.string(T_STRING, value);
      return;
    case 'boolean':
      w.ensure(2);
      w.buf[w.pos++] = T_BOOL;
      w.buf[w.pos++] = value ? 1 : 0;
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        w.ensure(11);
        w.buf[w.pos++] = T_INT;
        w.int64(value);
      } else {
        w.ensure(9);
        w.buf[w.pos++] = T_DOUBLE;
        w.buf.writeDoubleLE(value, w.pos);
        w.pos += 8;
      }
      return;
    case 'object':
      break;
    default:
      return; // undefined, bigint, symbol, function: an empty AnyValue (the serializer has converted these already)
  }
  if (value === null || depth > MAX_DEPTH) return;
  if (value instanceof Uint8Array) {
    w.ensure(value.length + 6);
    const s = w.begin(T_BYTES);
    w.buf.set(value, w.pos);
    w.pos += value.length;
    w.end(s);
    return;
  }
  if (Array.isArray(value)) {
    const s = w.begin(T_ARRAY);
    for (const item of value) {
      const v = w.begin(T_VALUES);
      writeAnyValue(w, item, depth + 1);
      w.end(v);
    }
    w.end(s);
    return;
  }
  const s = w.begin(T_KVLIST);
  writeKeyValues(w, T_VALUES, value as Record<string, AnyValue>, depth + 1);
  w.end(s);
}

function writeKeyValues(
  w: Writer,
  t: number,
  attrs: Attributes | Record<string, AnyValue>,
  depth: number,
  except?: Record<string, AnyValue>,
): void {
  for (const key in attrs) {
    const value = (attrs as Record<string, AnyValue>)[key];
    if (value === undefined) continue;
    // Own keys only: `except.constructor` (or `toString`, …) is Object.prototype's, and a base
    // attribute of that name is not overridden by it. No slower than `except[key]`
    // (bench/encode.ts; figures in bench/README.md, "Figures behind the code").
    if (except !== undefined && Object.hasOwn(except, key)) continue;
    if (typeof value === 'string' && w.shortStringKeyValue(t, key, value)) continue;
    const kv = w.begin(t);
    w.string(T_KV_KEY, key);
    const v = w.begin(T_KV_VALUE);
    writeAnyValue(w, value, depth);
    w.end(v);
    w.end(kv);
  }
}

// Hex digit → value, 255 for anything else.
const HEX = new Uint8Array(128).fill(255);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[97 + i] = 10 + i;
  HEX[65 + i] = 10 + i;
}

/** Writes `hex` (2·n digits) as n bytes at `at`; false (partly written) when it is not hex. */
function writeHex(b: Buffer, at: number, hex: string, n: number): boolean {
  if (hex.length !== 2 * n) return false;
  for (let i = 0; i < n; i++) {
    const c1 = hex.charCodeAt(2 * i);
    const c2 = hex.charCodeAt(2 * i + 1);
    const hi = c1 < 128 ? (HEX[c1] as number) : 255;
    const lo = c2 < 128 ? (HEX[c2] as number) : 255;
    if (hi === 255 || lo === 255) return false;
    b[at + i] = (hi << 4) | lo;
  }
  return true;
}

/**
 * Where the flags (when set), trace_id and span_id fields of the last record
 * with a span context were written, in the request being encoded: the
 * records of one span (a request's lines, a job's) repeat them, so they are
 * copied from there instead of decoded again (bench/encode.ts; figures in
 * bench/README.md, "Figures behind the code"). Checked by value, not by the object (a
 * span context is never trusted not to have changed), and only within one
 * scope's records: ending a scope's field moves its records.
 */
interface LastIds {
  at: number;
  length: number;
  traceId: string;
  spanId: string;
  flags: number;
}

/**
 * flags (when set), trace_id and span_id fields of a span context, written in
 * place: a JS loop (Buffer#write(hex) is a native call costing more than the
 * work), and no allocation per record. Returns where they start.
 */
function writeIds(w: Writer, sc: SpanContext, last: LastIds): number {
  w.ensure(5 + 18 + 10);
  const b = w.buf;
  let p = w.pos;
  const start = p;
  const { traceId, spanId, traceFlags } = sc;
  if (
    last.at >= 0 &&
    traceId === last.traceId &&
    spanId === last.spanId &&
    traceFlags === last.flags
  ) {
    const from = last.at;
    const n = last.length;
    for (let i = 0; i < n; i++) b[p + i] = b[from + i] as number;
    w.pos = p + n;
    return start;
  }
  if (traceFlags) {
    b[p++] = T_FLAGS;
    b.writeUInt32LE(traceFlags >>> 0, p);
    p += 4;
  }
  b[p++] = T_TRACE_ID;
  b[p++] = 16;
  p += writeHex(b, p, traceId, 16) ? 16 : b.write(traceId, p, 16, 'hex');
  b[p++] = T_SPAN_ID;
  b[p++] = 8;
  p += writeHex(b, p, spanId, 8) ? 8 : b.write(spanId, p, 8, 'hex');
  w.pos = p;
  last.length = p - start;
  last.traceId = traceId;
  last.spanId = spanId;
  last.flags = traceFlags;
  return start;
}

function writeLogRecord(w: Writer, r: ReadableLogRecord, last: LastIds): void {
  const s = w.begin(T_LOG_RECORDS);
  const time = w.pos;
  w.fixed64Time(T_TIME, r.hrTime);
  const sev = r.severityNumber;
  if (sev !== undefined && sev !== 0) {
    w.ensure(2);
    w.buf[w.pos++] = T_SEVERITY_NUMBER;
    w.varint(sev);
  }
  if (r.severityText !== undefined) w.string(T_SEVERITY_TEXT, r.severityText);
  if (r.body !== undefined) {
    const b = w.begin(T_BODY);
    writeAnyValue(w, r.body, 0);
    w.end(b);
  }
  // Threadline's own records may keep the scope's attributes apart (see makeRecord).
  if (hasAttributesApart(r)) {
    writeKeyValues(w, T_ATTRIBUTES, r.base, 0, r.own);
    writeKeyValues(w, T_ATTRIBUTES, r.own, 0);
  } else writeKeyValues(w, T_ATTRIBUTES, r.attributes, 0);
  if (r.droppedAttributesCount > 0) {
    w.ensure(1);
    w.buf[w.pos++] = T_DROPPED;
    w.varint(r.droppedAttributesCount);
  }
  const ids = r.spanContext ? writeIds(w, r.spanContext, last) : -1;
  if (r.hrTimeObserved === r.hrTime) {
    // Threadline's records observe the time they were written at: the same 8 bytes again.
    w.ensure(9);
    const b = w.buf;
    b[w.pos++] = T_OBSERVED_TIME;
    for (let i = 1; i < 9; i++) b[w.pos++] = b[time + i] as number;
  } else w.fixed64Time(T_OBSERVED_TIME, r.hrTimeObserved);
  if (r.eventName) w.string(T_EVENT_NAME, r.eventName);
  const written = w.pos;
  w.end(s);
  // end() moved the record's body back by as many bytes as its length needed fewer than reserved.
  if (ids >= 0) last.at = ids - (written - w.pos);
}

/** Resource and scope bytes, encoded once per object (they are shared by every record). */
const resourceCache = new WeakMap<object, Buffer>();
const scopeCache = new WeakMap<object, Buffer>();

function encodeResource(resource: ReadableLogRecord['resource']): Buffer {
  let bytes = resourceCache.get(resource);
  if (!bytes) {
    const w = new Writer(1024);
    writeKeyValues(w, T_RES_ATTRIBUTES, resource.attributes, 0);
    bytes = Buffer.from(w.buf.subarray(0, w.pos));
    resourceCache.set(resource, bytes);
  }
  return bytes;
}

function encodeScope(scope: ReadableLogRecord['instrumentationScope']): Buffer {
  let bytes = scopeCache.get(scope);
  if (!bytes) {
    const w = new Writer(256);
    w.string(T_SCOPE_NAME, scope.name);
    if (scope.version) w.string(T_SCOPE_VERSION, scope.version);
    if (scope.attributes) writeKeyValues(w, T_SCOPE_ATTRIBUTES, scope.attributes, 0);
    bytes = Buffer.from(w.buf.subarray(0, w.pos));
    scopeCache.set(scope, bytes);
  }
  return bytes;
}

function writeRaw(w: Writer, t: number, bytes: Buffer): void {
  w.ensure(bytes.length + 6);
  const s = w.begin(t);
  bytes.copy(w.buf, w.pos);
  w.pos += bytes.length;
  w.end(s);
}

/**
 * Writers whose buffer is out with a request (by the body handed out), and
 * the ones back from theirs. A request body is encoded straight into a
 * writer's buffer and sent from there, and the buffer is used again once the
 * request is over (`releaseRequestBody`): no copy, and no new memory a batch
 * for the system to map in. A body never given back (an export that did not
 * send) is collected with its writer.
 */
const lent = new WeakMap<Uint8Array, Writer>();
const idle: Writer[] = [];
/** Writers kept between exports: as many as exports run at once by default. */
const MAX_IDLE_WRITERS = 2;
/** A writer whose buffer grew past this for one large batch is not kept. */
const MAX_KEPT_BYTES = 8 << 20;

/** Records (or encoded records) by resource, then by scope, in the order of their first ones. */
type Groups<T> = Map<object, Map<object, T[]>>;

function addTo<T>(groups: Groups<T>, resource: object, scope: object, item: T): void {
  let byScope = groups.get(resource);
  if (!byScope) {
    byScope = new Map();
    groups.set(resource, byScope);
  }
  const list = byScope.get(scope);
  if (list) list.push(item);
  else byScope.set(scope, [item]);
}

/**
 * One `ExportLogsServiceRequest` of `groups`: each resource's ResourceLogs and
 * each scope's ScopeLogs, around the log_records `writeRecords` writes, in a
 * writer lent with the body (see releaseRequestBody).
 */
function writeRequest<T>(
  groups: Groups<T>,
  writeRecords: (w: Writer, list: T[]) => void,
): Uint8Array {
  const w = idle.pop() ?? new Writer(64 * 1024);
  w.pos = 0;
  for (const [resource, byScope] of groups) {
    const rl = w.begin(T_RESOURCE_LOGS);
    const res = resource as ReadableLogRecord['resource'];
    writeRaw(w, T_RESOURCE, encodeResource(res));
    for (const [scope, list] of byScope) {
      const sl = w.begin(T_SCOPE_LOGS);
      writeRaw(w, T_SCOPE, encodeScope(scope as ReadableLogRecord['instrumentationScope']));
      writeRecords(w, list);
      w.end(sl);
    }
    if (res.schemaUrl) w.string(T_RL_SCHEMA_URL, res.schemaUrl);
    w.end(rl);
  }
  const body = w.buf.subarray(0, w.pos);
  lent.set(body, w);
  return body;
}

/** Encodes records as one `ExportLogsServiceRequest`, grouped by resource, then by scope. */
export function encodeLogsRequest(records: readonly ReadableLogRecord[]): Uint8Array {
  const groups: Groups<ReadableLogRecord> = new Map();
  for (const r of records) addTo(groups, r.resource, r.instrumentationScope, r);
  return writeRequest(groups, (w, list) => {
    const last: LastIds = { at: -1, length: 0, traceId: '', spanId: '', flags: 0 };
    for (const r of list) writeLogRecord(w, r, last);
  });
}

/** Gives a request body made by `encodeLogsRequest` back once its request is over (others are ignored). */
export function releaseRequestBody(body: Uint8Array): void {
  const w = lent.get(body);
  if (w === undefined) return;
  lent.delete(body);
  if (idle.length < MAX_IDLE_WRITERS && w.buf.length <= MAX_KEPT_BYTES) idle.push(w);
}

/**
 * What a queued encoded record costs besides its bytes (its entries in the
 * queue's arrays, the room they grow into, the end of a block it did not
 * fill), counted with them against the queue's memory budget: measured with
 * bench/queue-memory.ts (heap and array buffers grown per queued record,
 * less the bytes, at several queue lengths), rounded up.
 */
export const ENCODED_RECORD_OVERHEAD_BYTES = 64;
/**
 * The front of RecordEncoder's scratch buffer: the last record's trace
 * flags, trace id and span id fields (at most 33 bytes), copied by the next
 * record of the same span instead of decoded again.
 */
const IDS_AREA = 48;
/** Bytes of a group number in front of each encoded record (see RecordEncoder). */
const GROUP_BYTES = 4;
/** A scratch writer that grew past this for one large record is not kept. */
const MAX_SCRATCH_BYTES = 1 << 20;

/**
 * Records encoded when they are written, and batches made of them.
 *
 * Each record becomes its `log_records` field (tag, length and LogRecord)
 * behind the number of its resource and instrumentation scope pair; the
 * queue keeps a copy of those bytes in a buffer of its own: one small object
 * holding bytes, instead of a record and its attribute objects that every
 * young-generation collection until its export would copy. A batch is the
 * groups' ResourceLogs and ScopeLogs around the records' bytes, copied: the
 * same bytes `encodeLogsRequest` writes for the same records.
 */
export class RecordEncoder {
  private scratch = new Writer(4096);
  private readonly last: LastIds = { at: -1, length: 0, traceId: '', spanId: '', flags: 0 };
  /** Group numbers by resource, then scope, and the pairs by number. */
  private readonly numbers = new Map<object, Map<object, number>>();
  private readonly groups: Array<
    [ReadableLogRecord['resource'], ReadableLogRecord['instrumentationScope']]
  > = [];
  private lastResource: object | undefined;
  private lastScope: object | undefined;
  private lastGroup = 0;

  /**
   * `r` as its encoded `log_records` field, behind its group's number: a view
   * of a scratch buffer, valid until the next call (whoever keeps it copies
   * it, once it knows it keeps it).
   */
  encode(r: ReadableLogRecord): Uint8Array {
    if (this.scratch.buf.length > MAX_SCRATCH_BYTES) {
      this.scratch = new Writer(4096);
      this.last.at = -1;
    }
    const w = this.scratch;
    w.pos = IDS_AREA;
    w.ensure(GROUP_BYTES);
    w.buf.writeUInt32LE(this.groupOf(r), IDS_AREA);
    w.pos = IDS_AREA + GROUP_BYTES;
    const last = this.last;
    writeLogRecord(w, r, last);
    if (last.at >= IDS_AREA) {
      // This record's ids, kept at the front for the next record of the same span to copy.
      const b = w.buf;
      for (let i = 0; i < last.length; i++) b[i] = b[last.at + i] as number;
      last.at = 0;
    }
    return w.buf.subarray(IDS_AREA, w.pos);
  }

  /**
   * One `ExportLogsServiceRequest` of encoded records, grouped by resource,
   * then by scope, in the order of their first records. Each record is a
   * buffer and its place in it (`WHOLE` for all of it; see RecordBlocks).
   * Give the body back with `releaseRequestBody` once its request is over.
   */
  assemble(buffers: readonly Uint8Array[], places: readonly number[]): Uint8Array {
    // Grouped by index: the records stay where they are until copied.
    const groups: Groups<number> = new Map();
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i] as Buffer;
      const [resource, scope] = this.groups[b.readUInt32LE(startOf(places[i] as number))] as [
        object,
        object,
      ];
      addTo(groups, resource, scope, i);
    }
    return writeRequest(groups, (w, list) => {
      let n = 0;
      for (const i of list) {
        const place = places[i] as number;
        n += endOf(buffers[i] as Uint8Array, place) - startOf(place) - GROUP_BYTES;
      }
      w.ensure(n);
      for (const i of list) {
        const b = buffers[i] as Buffer;
        const place = places[i] as number;
        w.pos += b.copy(w.buf, w.pos, startOf(place) + GROUP_BYTES, endOf(b, place));
      }
    });
  }

  private groupOf(r: ReadableLogRecord): number {
    // Most records are of the same pair as the one before.
    if (r.resource === this.lastResource && r.instrumentationScope === this.lastScope) {
      return this.lastGroup;
    }
    this.lastResource = r.resource;
    this.lastScope = r.instrumentationScope;
    this.lastGroup = this.numberOf(r);
    return this.lastGroup;
  }

  private numberOf(r: ReadableLogRecord): number {
    let scopes = this.numbers.get(r.resource);
    if (!scopes) {
      scopes = new Map();
      this.numbers.set(r.resource, scopes);
    }
    let n = scopes.get(r.instrumentationScope);
    if (n === undefined) {
      n = this.groups.length;
      this.groups.push([r.resource, r.instrumentationScope]);
      scopes.set(r.instrumentationScope, n);
    }
    return n;
  }
}
