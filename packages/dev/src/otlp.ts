/**
 * OTLP/HTTP logs, the receiving side: reading an export request (protobuf or
 * JSON, gzip or not, size-limited) and decoding it with the official
 * protobuf definitions (vendored in `proto/`) into flat records. Used by
 * `threadline dev` and by the project's test receiver.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import type { IConversionOptions, Root, Type } from 'protobufjs';
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';
import {
  BoundsError,
  checkJsonBounds,
  checkProtobufBounds,
  type DecodeLimits,
  FramingError,
  resolveLimits,
} from './bounds.js';

const gunzip = promisify(gunzipCallback);

/** One OTLP log record, flattened together with the resource and scope it was sent under. */
export interface ReceivedRecord {
  /** Resource attributes, AnyValue converted to plain JS values. */
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
  /** Nanoseconds since the epoch as a decimal string; '0' when absent. */
  timeUnixNano: string;
  /** Nanoseconds since the epoch as a decimal string; '0' when absent. */
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  /**
   * AnyValue converted to JS: string, number, boolean, array, object; int64 becomes a number when
   * it is a safe integer, otherwise its decimal string; bytes become a Buffer; a present but empty
   * AnyValue becomes null; an absent body is undefined.
   */
  body: unknown;
  attributes: Record<string, unknown>;
  /** Lowercase hex, '' when absent. */
  traceId: string;
  /** Lowercase hex, '' when absent. */
  spanId: string;
  flags: number;
  eventName: string;
  droppedAttributesCount: number;
}

/** One POST to /v1/logs that was decoded, whatever the receiver answered. */
export interface ReceivedRequest {
  encoding: 'json' | 'protobuf';
  /** Whether the body arrived with `Content-Encoding: gzip`. */
  gzip: boolean;
  headers: IncomingHttpHeaders;
  /** The body as received, before gunzip. */
  rawBody: Buffer;
  /** The body after gunzip (the same bytes as rawBody when not compressed). */
  body: Buffer;
  records: ReceivedRecord[];
  /**
   * Why each record that was decoded but refused was refused (a trace id not
   * of 16 bytes, a span id not of 8): the receiver reports them as OTLP
   * partial success and keeps the others.
   */
  rejected: string[];
}

/** Options of {@link readExportLogsRequest}. */
export interface ReadExportOptions {
  /** Largest accepted body, as received and after gunzip. @default 64 MiB */
  maxBodyBytes?: number;
  /** Bounds on what one request may decode to. @default DEFAULT_DECODE_LIMITS */
  limits?: Partial<DecodeLimits>;
  /**
   * Counts the bytes of the body as they arrive: returns false when that many
   * more cannot be held now, and the request is refused with 503 (retryable).
   */
  reserve?: (bytes: number) => boolean;
}

/** The OTLP/HTTP logs path. */
export const LOGS_PATH = '/v1/logs';
/** Largest accepted body, as received and after gunzip. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** The media types of the two OTLP/HTTP encodings. */
export const CONTENT_TYPES = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
} as const;

// Resolved from this file (src/ or dist/), not the working directory.
const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));
const SERVICE_PROTO = 'opentelemetry/proto/collector/logs/v1/logs_service.proto';
const REQUEST_TYPE = 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest';
const LOG_RECORD_TYPE = 'opentelemetry.proto.logs.v1.LogRecord';

// Strings for 64-bit values keep full precision; enums stay integers as in OTLP; bytes stay
// Buffers; defaults make absent scalars read as their zero values ('0', 0, '').
const TO_OBJECT: IConversionOptions = {
  longs: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

let requestType: Type | undefined;

function loadRequestType(): Type {
  if (requestType) return requestType;
  const root: Root = new protobuf.Root();
  // The vendored files import each other by their repository path, so anchor them to PROTO_DIR.
  root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(PROTO_DIR, target));
  root.loadSync(SERVICE_PROTO);
  const logRecord = root.lookupType(LOG_RECORD_TYPE);
  // The newest logs.proto the project could fetch from the official repository predates
  // `event_name` (field 12, opentelemetry-proto v1.5.0), which current exporters send. Adding the
  // field only when the schema lacks it makes this a no-op once newer protos are vendored.
  if (logRecord.fieldsById[12] === undefined) {
    logRecord.add(new protobuf.Field('eventName', 12, 'string'));
  }
  root.resolveAll();
  requestType = root.lookupType(REQUEST_TYPE);
  return requestType;
}

/** A plain record of whatever protobufjs' toObject produced; every field is checked on use. */
type Obj = Record<string, unknown>;

function asObj(value: unknown): Obj {
  return value !== null && typeof value === 'object' ? (value as Obj) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asString(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment, so a key named "__proto__" stays an ordinary property.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function int64ToJs(value: unknown): number | string {
  const text = asString(value, '0');
  const asNum = Number(text);
  return Number.isSafeInteger(asNum) ? asNum : text;
}

function toBuffer(value: unknown): Buffer {
  // Copy so records never alias the request body buffer they were decoded from.
  return value instanceof Uint8Array ? Buffer.from(value) : Buffer.alloc(0);
}

function anyValueToJs(anyValue: unknown): unknown {
  const av = asObj(anyValue);
  switch (av.value) {
    case 'stringValue':
      return asString(av.stringValue);
    case 'boolValue':
      return av.boolValue === true;
    case 'intValue':
      return int64ToJs(av.intValue);
    case 'doubleValue':
      return asNumber(av.doubleValue);
    case 'bytesValue':
      return toBuffer(av.bytesValue);
    case 'arrayValue':
      return asArray(asObj(av.arrayValue).values).map(anyValueToJs);
    case 'kvlistValue':
      return keyValuesToJs(asObj(av.kvlistValue).values);
    default:
      return null;
  }
}

function keyValuesToJs(keyValues: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of asArray(keyValues)) {
    const { key, value } = asObj(kv);
    setOwn(out, asString(key), anyValueToJs(value));
  }
  return out;
}

/**
 * An id as lowercase hex: '' when absent or all zeros (the W3C invalid id),
 * undefined when it has another length than `bytes` (the record is refused).
 */
function idToHex(value: unknown, bytes: number): string | undefined {
  if (!(value instanceof Uint8Array) || value.length === 0) return '';
  if (value.length !== bytes) return undefined;
  return value.every((b) => b === 0) ? '' : Buffer.from(value).toString('hex');
}

/** Records decoded from one request, and why each one left out was refused. */
export interface Decoded {
  records: ReceivedRecord[];
  rejected: string[];
}

function flattenRequest(request: Obj): Decoded {
  const out: ReceivedRecord[] = [];
  const rejected: string[] = [];
  for (const resourceLogs of asArray(request.resourceLogs)) {
    const rl = asObj(resourceLogs);
    const resource = keyValuesToJs(asObj(rl.resource).attributes);
    for (const scopeLogs of asArray(rl.scopeLogs)) {
      const sl = asObj(scopeLogs);
      const scopeMsg = asObj(sl.scope);
      const version = asString(scopeMsg.version);
      const scope = version
        ? { name: asString(scopeMsg.name), version }
        : { name: asString(scopeMsg.name) };
      for (const logRecord of asArray(sl.logRecords)) {
        const lr = asObj(logRecord);
        const traceId = idToHex(lr.traceId, 16);
        const spanId = idToHex(lr.spanId, 8);
        if (traceId === undefined || spanId === undefined) {
          rejected.push(
            traceId === undefined
              ? 'a trace id is not 16 bytes (32 hex digits)'
              : 'a span id is not 8 bytes (16 hex digits)',
          );
          continue;
        }
        out.push({
          resource,
          scope,
          timeUnixNano: asString(lr.timeUnixNano, '0'),
          observedTimeUnixNano: asString(lr.observedTimeUnixNano, '0'),
          severityNumber: asNumber(lr.severityNumber),
          severityText: asString(lr.severityText),
          // toObject with defaults yields null for an absent message field; keep "absent" distinct
          // from a present-but-empty AnyValue (which anyValueToJs maps to null).
          body: lr.body == null ? undefined : anyValueToJs(lr.body),
          attributes: keyValuesToJs(lr.attributes),
          traceId,
          spanId,
          flags: asNumber(lr.flags),
          eventName: asString(lr.eventName),
          droppedAttributesCount: asNumber(lr.droppedAttributesCount),
        });
      }
    }
  }
  return { records: out, rejected };
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

// One byte: no id has this length, so a record whose id is not hex is refused alone, as one
// whose id has the wrong length.
const NOT_AN_ID = Buffer.from([0]).toString('base64');

function hexIdToBase64(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return HEX.test(value) ? Buffer.from(value, 'hex').toString('base64') : NOT_AN_ID;
}

/**
 * OTLP/JSON is ProtoJSON except that trace and span ids are hex instead of base64, so rewrite just
 * those before handing the document to the ProtoJSON parser.
 */
function hexIdsToBase64(document: unknown): void {
  for (const resourceLogs of asArray(asObj(document).resourceLogs)) {
    for (const scopeLogs of asArray(asObj(resourceLogs).scopeLogs)) {
      for (const logRecord of asArray(asObj(scopeLogs).logRecords)) {
        const lr = asObj(logRecord);
        for (const key of ['traceId', 'trace_id', 'spanId', 'span_id']) {
          if (key in lr) lr[key] = hexIdToBase64(lr[key]);
        }
      }
    }
  }
}

function decodeProtobuf(body: Uint8Array, limits: DecodeLimits): Decoded {
  checkProtobufBounds(body, limits);
  const type = loadRequestType();
  return flattenRequest(type.toObject(type.decode(body), TO_OBJECT));
}

// What the SDKs' JSON serializers send that ProtoJSON refuses, mended while parsing:
// - a lone surrogate, which can only reach JSON.parse as a `\\uD800`–`\\uDFFF` escape (raw bytes of
//   one are not UTF-8 and read as U+FFFD) and which JSON.stringify writes for each (ES2019); the
//   ProtoJSON reader refuses it where protobuf carries U+FFFD, so it becomes U+FFFD;
// - an `intValue` that is a JSON number past 2^53 (the SDK sends any whole JS number as an int):
//   within int64 it is read as the int64 it names (as protobuf carries it), past it (2^63, -1e21)
//   as the `doubleValue` it is in JS.
const NEEDS_MENDING = /\\u[dD][89a-fA-F]|"intValue"\s*:\s*-?(?:\d{16}|\d[.\d]*[eE])/;

const INT64_MIN = -(2 ** 63);
const INT64_END = 2 ** 63;

function mend(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.isWellFormed() ? value : value.toWellFormed();
  if (key === 'intValue' && typeof value === 'number' && !Number.isSafeInteger(value)) {
    // Within int64 it is the int it says it is (as over protobuf); past it, the double it was.
    if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_END)
      return BigInt(value).toString();
    (this as Record<string, unknown>).doubleValue = value;
    return undefined;
  }
  return value;
}

/**
 * Decodes a request body (gunzipped) within `limits`: throws a BoundsError past them, a
 * FramingError for broken protobuf framing, another error for anything else it cannot decode.
 * @internal
 */
export function decodeRecords(
  body: Uint8Array,
  encoding: 'json' | 'protobuf',
  limits: DecodeLimits,
): Decoded {
  try {
    return decodeUnchecked(body, encoding, limits);
  } catch (error) {
    // protobufjs' own limit on message nesting, which ProtoJSON meets before the scan of the
    // encoded form can: a bound too.
    if ((error as Error)?.message === 'max depth exceeded') {
      throw new BoundsError(`values nested deeper than ${limits.maxDepth} levels`);
    }
    throw error;
  }
}

function decodeUnchecked(
  body: Uint8Array,
  encoding: 'json' | 'protobuf',
  limits: DecodeLimits,
): Decoded {
  if (encoding === 'protobuf') return decodeProtobuf(body, limits);
  checkJsonBounds(body, limits);
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const document: unknown = NEEDS_MENDING.test(text) ? JSON.parse(text, mend) : JSON.parse(text);
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new Error('OTLP/JSON body must be a JSON object');
  }
  hexIdsToBase64(document);
  const type = loadRequestType();
  // The OTLP spec requires JSON receivers to ignore unknown fields. Round-tripping through the
  // binary encoding lets both encodings share one normalisation path.
  const message = protojson.fromJson(type, document, { ignoreUnknownFields: true });
  return decodeProtobuf(type.encode(message).finish(), limits);
}

/**
 * Decodes an `ExportLogsServiceRequest` body (already gunzipped) into flattened records, with the
 * same normalisation the receiver applies. Throws when the body is not a valid request, or when it
 * would decode to more than `limits` allow. Records whose trace or span id has the wrong length
 * are left out.
 *
 * @param body - the request body
 * @param encoding - 'protobuf' for `application/x-protobuf`, 'json' for OTLP/JSON
 * @param limits - bounds on what it may decode to; DEFAULT_DECODE_LIMITS by default
 */
export function decodeExportLogsRequest(
  body: Buffer,
  encoding: 'json' | 'protobuf',
  limits?: Partial<DecodeLimits>,
): ReceivedRecord[] {
  return decodeRecords(body, encoding, resolveLimits(limits)).records;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/**
 * The body of a 200 answer, an `ExportLogsServiceResponse`: empty (zero bytes
 * in protobuf, `{}` in JSON), or with `partial_success` counting the records
 * refused and saying why (the first five reasons).
 *
 * @param rejected - why each refused record was refused
 */
export function exportLogsResponse(
  encoding: 'json' | 'protobuf',
  rejected: string[],
): string | Buffer {
  if (rejected.length === 0) return encoding === 'json' ? '{}' : Buffer.alloc(0);
  const kinds = [...new Set(rejected)];
  const count = rejected.length === 1 ? '1 record' : `${rejected.length} records`;
  const message = `${count} refused: ${kinds.slice(0, 5).join('; ')}`.slice(0, 1024);
  if (encoding === 'json') {
    return JSON.stringify({
      partialSuccess: { rejectedLogRecords: String(rejected.length), errorMessage: message },
    });
  }
  // partial_success (1) { rejected_log_records (1, varint), error_message (2, string) }
  const text = Buffer.from(message);
  const inner = Buffer.concat([
    Buffer.from([0x08, ...varint(rejected.length), 0x12, ...varint(text.length)]),
    text,
  ]);
  return Buffer.concat([Buffer.from([0x0a, ...varint(inner.length)]), inner]);
}

/** A request the receiver refuses, with the HTTP status to answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Headers to answer with, such as `retry-after`. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function readBody(
  req: IncomingMessage,
  maxBytes: number,
  reserve: (bytes: number) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused: HttpError | undefined;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) return;
      // Keep draining a refused body rather than cutting the connection, so the client reads a
      // clean answer instead of a reset.
      if (size > maxBytes) refused = new HttpError(413, `body exceeds ${maxBytes} bytes`);
      else if (!reserve(chunk.length)) refused = busy();
      if (refused) chunks.length = 0;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) reject(refused);
      else resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
    // A client gone before the end of its body: settle, so what it held is given back.
    req.on('close', () => {
      if (!req.complete) reject(new HttpError(400, 'the body ended before its end'));
    });
  });
}

/** At most `size` tasks at once; the others wait their turn, first come first served. @internal */
export class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A slot is handed straight from the task that ends to the first waiting.
    if (this.running < this.size) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * Bodies gunzipped and decoded at once. Each gunzipped body may reach the body
 * limit, so this bounds what the gunzipped bodies hold; the others wait their
 * turn with their compressed bodies (counted by `reserve`).
 */
export const MAX_CONCURRENT_DECODES = 2;
const inProcessDecodes = new Slots(MAX_CONCURRENT_DECODES);

/** The body gunzipped, or as it is when it is not compressed. @internal */
export async function decompress(raw: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
  if (encoding === '' || encoding === 'identity') return raw;
  if (encoding !== 'gzip') throw new HttpError(415, `unsupported Content-Encoding: ${encoding}`);
  try {
    return await gunzip(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(413, `body exceeds ${maxBytes} bytes after gunzip`);
    }
    throw new HttpError(400, `invalid gzip body: ${(error as Error).message}`);
  }
}

/** 503 with a Retry-After: the exporter keeps the records and sends them again. */
export function busy(): HttpError {
  return new HttpError(503, 'the receiver is busy with other requests; retry', {
    'retry-after': '1',
  });
}

/** An export request's body as received, not gunzipped nor decoded yet. */
export interface RawExport {
  encoding: 'json' | 'protobuf';
  /** `Content-Encoding`, lower-cased: '' when absent. */
  contentEncoding: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

/**
 * Reads one OTLP/HTTP logs export, refusing what {@link readExportLogsRequest}
 * refuses before gunzipping.
 * @internal
 */
export async function readRawExport(
  req: IncomingMessage,
  options: ReadExportOptions = {},
): Promise<RawExport> {
  const { maxBodyBytes = DEFAULT_MAX_BODY_BYTES, reserve = () => true } = options;
  const contentType = mediaType(req.headers['content-type']);
  const encoding =
    contentType === CONTENT_TYPES.protobuf
      ? 'protobuf'
      : contentType === CONTENT_TYPES.json
        ? 'json'
        : undefined;
  const rawBody = await readBody(req, maxBodyBytes, reserve);
  if (encoding === undefined) {
    throw new HttpError(415, `unsupported Content-Type: ${req.headers['content-type'] ?? ''}`);
  }
  const contentEncoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  return { encoding, contentEncoding, headers: req.headers, rawBody };
}

/** The HTTP answer to a decoding error: 413 past the bounds, 400 otherwise. @internal */
export function decodeError(
  encoding: 'json' | 'protobuf',
  kind: 'bounds' | 'framing' | 'other',
  message: string,
): HttpError {
  if (kind === 'bounds') return new HttpError(413, message);
  const what = kind === 'framing' ? `broken ${encoding} framing` : `undecodable ${encoding} body`;
  return new HttpError(400, `${what}: ${message}`);
}

/** The kind of a decoding error, for {@link decodeError}. @internal */
export function decodeErrorKind(error: unknown): 'bounds' | 'framing' | 'other' {
  if (error instanceof BoundsError) return 'bounds';
  return error instanceof FramingError ? 'framing' : 'other';
}

/**
 * Reads, decompresses and decodes one OTLP/HTTP logs export. Throws an
 * `HttpError` with the status the OTLP spec asks for: 415 for an unknown
 * content type or encoding, 413 past `maxBodyBytes` (as received or after
 * gunzip) or past `limits`, 400 for a body that cannot be decoded, 503 when
 * `reserve` refuses to hold the body.
 *
 * @param options - the options, or just `maxBodyBytes`
 */
export async function readExportLogsRequest(
  req: IncomingMessage,
  options: ReadExportOptions | number = {},
): Promise<ReceivedRequest> {
  const resolved = typeof options === 'number' ? { maxBodyBytes: options } : options;
  const { maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = resolved;
  const limits = resolveLimits(resolved.limits);
  const raw = await readRawExport(req, resolved);
  return inProcessDecodes.run(async () => {
    const body = await decompress(raw.rawBody, raw.contentEncoding, maxBodyBytes);
    let decoded: Decoded;
    try {
      decoded = decodeRecords(body, raw.encoding, limits);
    } catch (error) {
      throw decodeError(raw.encoding, decodeErrorKind(error), (error as Error).message);
    }
    return {
      encoding: raw.encoding,
      gzip: raw.contentEncoding === 'gzip',
      headers: raw.headers,
      rawBody: raw.rawBody,
      body,
      records: decoded.records,
      rejected: decoded.rejected,
    };
  });
}
