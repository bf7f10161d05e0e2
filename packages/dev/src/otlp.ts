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

function bytesToHex(value: unknown): string {
  return value instanceof Uint8Array ? Buffer.from(value).toString('hex') : '';
}

function flattenRequest(request: Obj): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
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
          traceId: bytesToHex(lr.traceId),
          spanId: bytesToHex(lr.spanId),
          flags: asNumber(lr.flags),
          eventName: asString(lr.eventName),
          droppedAttributesCount: asNumber(lr.droppedAttributesCount),
        });
      }
    }
  }
  return out;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function hexIdToBase64(value: unknown, what: string): unknown {
  if (typeof value !== 'string') return value;
  if (!HEX.test(value)) throw new Error(`${what} is not hex: ${JSON.stringify(value)}`);
  return Buffer.from(value, 'hex').toString('base64');
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
          if (key in lr) lr[key] = hexIdToBase64(lr[key], key);
        }
      }
    }
  }
}

function decodeProtobuf(body: Uint8Array): ReceivedRecord[] {
  const type = loadRequestType();
  return flattenRequest(type.toObject(type.decode(body), TO_OBJECT));
}

/**
 * Decodes an `ExportLogsServiceRequest` body (already gunzipped) into flattened records, with the
 * same normalisation the receiver applies. Throws when the body is not a valid request.
 *
 * @param body - the request body
 * @param encoding - 'protobuf' for `application/x-protobuf`, 'json' for OTLP/JSON
 */
export function decodeExportLogsRequest(
  body: Buffer,
  encoding: 'json' | 'protobuf',
): ReceivedRecord[] {
  if (encoding === 'protobuf') return decodeProtobuf(body);
  const document: unknown = JSON.parse(body.toString('utf8'));
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new Error('OTLP/JSON body must be a JSON object');
  }
  hexIdsToBase64(document);
  const type = loadRequestType();
  // The OTLP spec requires JSON receivers to ignore unknown fields. Round-tripping through the
  // binary encoding lets both encodings share one normalisation path.
  const message = protojson.fromJson(type, document, { ignoreUnknownFields: true });
  return decodeProtobuf(type.encode(message).finish());
}

/** A request the receiver refuses, with the HTTP status to answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining an oversized body rather than cutting the connection, so the client reads a
      // clean 413 instead of a reset.
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new HttpError(413, `body exceeds ${maxBytes} bytes`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

async function decompress(raw: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
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

/**
 * Reads, decompresses and decodes one OTLP/HTTP logs export. Throws an
 * `HttpError` with the status the OTLP spec asks for: 415 for an unknown
 * content type or encoding, 413 past `maxBodyBytes` (as received or after
 * gunzip), 400 for a body that cannot be decoded.
 */
export async function readExportLogsRequest(
  req: IncomingMessage,
  maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<ReceivedRequest> {
  const contentType = mediaType(req.headers['content-type']);
  const encoding =
    contentType === CONTENT_TYPES.protobuf
      ? 'protobuf'
      : contentType === CONTENT_TYPES.json
        ? 'json'
        : undefined;
  const rawBody = await readBody(req, maxBodyBytes);
  if (encoding === undefined) {
    throw new HttpError(415, `unsupported Content-Type: ${req.headers['content-type'] ?? ''}`);
  }
  const contentEncoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  const body = await decompress(rawBody, contentEncoding, maxBodyBytes);
  let records: ReceivedRecord[];
  try {
    records = decodeExportLogsRequest(body, encoding);
  } catch (error) {
    throw new HttpError(400, `undecodable ${encoding} body: ${(error as Error).message}`);
  }
  return {
    encoding,
    gzip: contentEncoding === 'gzip',
    headers: req.headers,
    rawBody,
    body,
    records,
  };
}
