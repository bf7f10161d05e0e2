import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** A scripted answer for one request; see {@link OtlpReceiver.respondWith}. */
export interface ReceiverResponse {
  status: number;
  /** Without a content-type here, the request's own content type is used. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering (or before destroying the socket). */
  delayMs?: number;
  /** Accept the request and never answer it; close() still tears the socket down. */
  hang?: boolean;
  /** Reset the socket instead of answering. */
  destroy?: boolean;
}

/** A scripting hook: return undefined to answer with the default 200 success. */
export type ReceiverScript = (
  req: ReceivedRequest,
  attempt: number,
) => ReceiverResponse | undefined;

/** A running OTLP/HTTP logs receiver; see {@link startOtlpReceiver}. */
export interface OtlpReceiver {
  /** The full export URL, `http://127.0.0.1:<port>/v1/logs`, ready for an exporter's `url`. */
  url: string;
  port: number;
  /** Every POST that was decoded, including those answered with a scripted failure. */
  requests: ReceivedRequest[];
  /** Records of the requests that were accepted (answered 2xx). */
  records: ReceivedRecord[];
  /** Every POST seen (any path, any outcome), counted from 1; reset() sets it back to 0. */
  attempts: number;
  /**
   * Scripts the answers. `attempt` is the value of {@link OtlpReceiver.attempts} for this request.
   * Pass undefined to go back to always answering 200.
   */
  respondWith(fn: ReceiverScript | undefined): void;
  /**
   * Resolves with a copy of {@link OtlpReceiver.records} once at least `count` were accepted;
   * rejects after `timeoutMs` (default 10000) saying how many arrived.
   */
  waitForRecords(count: number, timeoutMs?: number): Promise<ReceivedRecord[]>;
  /** Forgets captured requests and records, zeroes the attempt counter and drops the script. */
  reset(): void;
  /** Stops listening and destroys every open connection, hung ones included. */
  close(): Promise<void>;
}

/** Options for {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Largest accepted body, checked both as received and after gunzip; default 64 MiB. */
  maxBodyBytes?: number;
}

const LOGS_PATH = '/v1/logs';
const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_WAIT_MS = 10_000;
const CONTENT_TYPES = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

// Resolved from this file rather than the working directory so the receiver works from any
// package that imports @threadline/testing.
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

class HttpError extends Error {
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

interface Waiter {
  count: number;
  resolve: (records: ReceivedRecord[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class Receiver implements OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly records: ReceivedRecord[] = [];
  attempts = 0;
  url = '';
  port = 0;

  private script: ReceiverScript | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly delays = new Set<NodeJS.Timeout>();
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });

  constructor(private readonly maxBodyBytes: number) {}

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}${LOGS_PATH}`;
  }

  respondWith(fn: ReceiverScript | undefined): void {
    this.script = fn;
  }

  waitForRecords(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<ReceivedRecord[]> {
    if (this.records.length >= count) return Promise.resolve([...this.records]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `waitForRecords: expected ${count} record(s) within ${timeoutMs}ms, ` +
                `${this.records.length} arrived (${this.attempts} POST(s) seen, ` +
                `${this.requests.length} decoded)`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  reset(): void {
    // Truncate in place so arrays a test already holds keep reflecting the receiver.
    this.requests.length = 0;
    this.records.length = 0;
    this.attempts = 0;
    this.script = undefined;
  }

  async close(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('waitForRecords: receiver closed'));
    }
    this.waiters.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hung requests and idle keep-alive sockets would otherwise hold close() open forever.
    this.server.closeAllConnections();
    await closed;
  }

  private accept(records: ReceivedRecord[]): void {
    this.records.push(...records);
    for (const waiter of this.waiters) {
      if (this.records.length >= waiter.count) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve([...this.records]);
      }
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Aborted uploads surface as errors on the request; the outcome is already decided by then.
    req.on('error', () => {});
    if (req.method === 'POST') this.attempts++;
    const attempt = this.attempts;
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    if (path !== LOGS_PATH) {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('use POST');
      return;
    }

    let received: ReceivedRequest;
    try {
      received = await this.decode(req);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 400;
      res.writeHead(status, { 'content-type': 'text/plain' }).end((error as Error).message);
      return;
    }
    this.requests.push(received);

    const scripted = this.script?.(received, attempt);
    const response: ReceiverResponse = scripted ?? { status: 200 };
    if (response.hang) return;
    if (response.delayMs !== undefined && response.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.delays.delete(timer);
          resolve();
        }, response.delayMs);
        this.delays.add(timer);
      });
    }
    if (res.destroyed) return;
    if (response.destroy) {
      req.socket.destroy();
      return;
    }

    const ok = response.status >= 200 && response.status < 300;
    // A success without a scripted body gets an empty ExportLogsServiceResponse: zero bytes in
    // protobuf, `{}` in JSON, so exporters parse the reply exactly as they would a collector's.
    const emptyResponse = received.encoding === 'json' ? '{}' : Buffer.alloc(0);
    const body = response.body ?? (ok ? emptyResponse : undefined);
    const headers = { 'content-type': CONTENT_TYPES[received.encoding], ...response.headers };
    if (ok) this.accept(received.records);
    res.writeHead(response.status, headers).end(body);
  }

  private async decode(req: IncomingMessage): Promise<ReceivedRequest> {
    const contentType = mediaType(req.headers['content-type']);
    const encoding =
      contentType === CONTENT_TYPES.protobuf
        ? 'protobuf'
        : contentType === CONTENT_TYPES.json
          ? 'json'
          : undefined;
    const rawBody = await readBody(req, this.maxBodyBytes);
    if (encoding === undefined) {
      throw new HttpError(415, `unsupported Content-Type: ${req.headers['content-type'] ?? ''}`);
    }
    const contentEncoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    const body = await decompress(rawBody, contentEncoding, this.maxBodyBytes);
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
}

/**
 * Starts a real OTLP/HTTP logs receiver on 127.0.0.1 that decodes exports with the vendored
 * opentelemetry-proto definitions (protobuf and OTLP/JSON, optionally gzipped) and records them.
 * Close it when done.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  // Fail at start-up, not on the first request, if the vendored protos are missing or broken.
  loadRequestType();
  const receiver = new Receiver(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  await receiver.listen(options.port ?? 0);
  return receiver;
}
