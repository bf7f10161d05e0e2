/**
 * The OTLP/HTTP exporter: OpenTelemetry's export delegate (`OTLPExporterBase`,
 * configuration from options and `OTEL_EXPORTER_OTLP_*`, headers, gzip, agent,
 * exporter metrics) with Threadline's protobuf encoder (or the SDK's JSON
 * serializer) and a single-attempt transport.
 *
 * Retries are not done here but by the export processor, which puts a failed
 * batch back in its bounded queue and backs off (see processor.ts): one retry
 * policy for the whole pipeline, with the queue's memory budget applying to
 * records waiting for a retry. The SDK's own retrying transport nests five
 * retries inside every export, reads a malformed or zero `Retry-After` as
 * "retry at once", and does not tell the caller what the collector asked for.
 */

import type { ExportResult } from '@opentelemetry/core';
import {
  createOtlpNetworkExportDelegate,
  type ExportResponse,
  type IExporterTransport,
  OTLPExporterBase,
  OTLPExporterError,
} from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExporterMetrics,
  type OTLPExporterNodeConfigBase,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportLogsServiceResponse,
  type ISerializer,
  JsonLogsSerializer,
  LogsExporterMetricsHelper,
  ProtobufLogsSerializer,
} from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { encodeLogsRequest, RecordEncoder, releaseRequestBody } from './otlp-protobuf.js';

/** The collector's answers the processor acts on. */
export interface ExportResponseHooks {
  /** A 2xx answer with `partial_success.rejected_log_records` > 0. */
  onPartialSuccess?: (rejected: number, message: string) => void;
}

/** An error the processor may retry; `retryAfterMillis` is the collector's valid `Retry-After`. */
export class RetryableExportError extends OTLPExporterError {
  readonly retryAfterMillis: number | undefined;
  constructor(message: string, code: number | undefined, retryAfterMillis: number | undefined) {
    super(message, code);
    this.retryAfterMillis = retryAfterMillis;
  }
}

/** Statuses after which OTLP/HTTP says the client may retry. */
export const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

const RETRYABLE_NETWORK_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);

/** The exporter reads at most this much of an answer (as the SDK's transport does). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` (RFC 9110 §10.2.3) as a delay in milliseconds: delay-seconds
 * or an HTTP-date. Undefined when absent, malformed, zero or in the past, so
 * that the caller's own backoff applies rather than an immediate retry.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) {
    const ms = Number(v) * 1000;
    return ms > 0 ? ms : undefined;
  }
  if (!(IMF_FIXDATE.test(v) || RFC850_DATE.test(v) || ASCTIME_DATE.test(v))) return undefined;
  const at = Date.parse(ASCTIME_DATE.test(v) ? `${v} GMT` : v);
  if (Number.isNaN(at)) return undefined;
  const delay = at - now;
  return delay > 0 ? delay : undefined;
}

interface TransportParameters {
  url: string;
  headers: () => Promise<Record<string, string>>;
  compression: 'gzip' | 'none';
  userAgent?: string;
  agentFactory: (protocol: string) => unknown;
}

type RequestFn = typeof import('node:http').request;

/**
 * Node's http or https module, loaded synchronously when the first export
 * needs it. A dynamic `import()` would start the ESM loader in a CommonJS
 * application, which costs the first export more than `require` (measured:
 * bench/README.md, "Figures behind the code").
 */
function httpModule(protocol: string): Pick<typeof import('node:http'), 'Agent' | 'request'> {
  return protocol === 'http:'
    ? process.getBuiltinModule('node:http')
    : (process.getBuiltinModule('node:https') as Pick<
        typeof import('node:http'),
        'Agent' | 'request'
      >);
}

/**
 * The agent of an exporter configured with no agent options and no TLS files
 * (`OTEL_EXPORTER_OTLP_[LOGS_]CERTIFICATE`, `…CLIENT_CERTIFICATE`,
 * `…CLIENT_KEY`): the keep-alive agent the OTLP exporter's configuration
 * would make, without its dynamic `import()` (see httpModule). Otherwise
 * that configuration's own factory, which reads the files.
 */
export function defaultAgentFactory(
  config: OTLPExporterNodeConfigBase,
  env: Record<string, string | undefined> = process.env,
): ((protocol: string) => unknown) | undefined {
  if (config.httpAgentOptions !== undefined || config.keepAlive !== undefined) return undefined;
  for (const name of ['CERTIFICATE', 'CLIENT_CERTIFICATE', 'CLIENT_KEY']) {
    if (env[`OTEL_EXPORTER_OTLP_LOGS_${name}`] || env[`OTEL_EXPORTER_OTLP_${name}`])
      return undefined;
  }
  return (protocol) => new (httpModule(protocol).Agent)({ keepAlive: true });
}

/** One POST per export, no retries; the answer classified as OTLP/HTTP says. */
class SingleAttemptHttpTransport implements IExporterTransport {
  private readonly p: TransportParameters;
  private utils: Promise<{ agent: unknown; request: RequestFn }> | undefined;

  constructor(parameters: TransportParameters) {
    this.p = parameters;
  }

  private load(): Promise<{ agent: unknown; request: RequestFn }> {
    this.utils ??= (async () => {
      const protocol = new URL(this.p.url).protocol;
      return { agent: await this.p.agentFactory(protocol), request: httpModule(protocol).request };
    })();
    return this.utils;
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const [{ agent, request }, headers] = await Promise.all([this.load(), this.p.headers()]);
    const { zlibBody, encoding } = await compress(data, this.p.compression);
    // The encoder's buffer can serve the next batch once the request is over
    // (at once when the body sent is the compressed copy).
    if (zlibBody !== data) releaseRequestBody(data);
    headers['User-Agent'] = this.p.userAgent
      ? `${this.p.userAgent} ${DEFAULT_USER_AGENT}`
      : DEFAULT_USER_AGENT;
    if (encoding) headers['Content-Encoding'] = encoding;
    headers['Content-Length'] = String(zlibBody.byteLength);
    return new Promise<ExportResponse>((resolve) => {
      let done = false;
      const finish = (response: ExportResponse) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(response);
      };
      const req = request(this.p.url, { method: 'POST', headers, agent: agent as never }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const status = res.statusCode ?? 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            finish({
              status: 'failure',
              error: new Error(`OTLP export response body exceeded ${MAX_RESPONSE_BYTES} bytes`),
            });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (status >= 200 && status <= 299) {
            finish({ status: 'success', data: body });
          } else if (RETRYABLE_STATUS.has(status)) {
            finish({
              status: 'retryable',
              error: new RetryableExportError(
                res.statusMessage || `HTTP ${status}`,
                status,
                parseRetryAfter(res.headers['retry-after']),
              ),
            });
          } else {
            finish({
              status: 'failure',
              error: new OTLPExporterError(
                res.statusMessage || `HTTP ${status}`,
                status,
                body.toString('utf8', 0, Math.min(body.length, 1024)),
              ),
            });
          }
        });
        // The connection broke while the answer was being read: whatever the
        // status said, the collector may not have committed the records.
        res.on('error', (error) => finish(retryable(error)));
        res.on('close', () => {
          if (!res.complete)
            finish(retryable(new Error('connection closed before the answer ended')));
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish(retryable(new Error(`request timed out after ${timeoutMillis} ms`)));
      }, timeoutMillis);
      timer.unref();
      req.on('error', (error: NodeJS.ErrnoException) => {
        finish(
          typeof error.code === 'string' && RETRYABLE_NETWORK_ERRORS.has(error.code)
            ? retryable(error)
            : { status: 'failure', error },
        );
      });
      // Closed, the request writes nothing more (an early answer can come
      // while its body is still being written): its buffer can be used again.
      if (zlibBody === data) req.once('close', () => releaseRequestBody(data));
      req.end(zlibBody);
    });
  }

  shutdown(): void {}
}

function retryable(error: Error): ExportResponse {
  const e = new RetryableExportError(error.message, undefined, undefined);
  (e as { cause?: unknown }).cause = error;
  return { status: 'retryable', error: e };
}

const DEFAULT_USER_AGENT = 'threadline-otlp-exporter (OTel-OTLP-Exporter-JavaScript)';

async function compress(
  data: Uint8Array,
  compression: 'gzip' | 'none',
): Promise<{ zlibBody: Uint8Array; encoding?: string }> {
  if (compression !== 'gzip') return { zlibBody: data };
  const { gzip } = process.getBuiltinModule('node:zlib');
  const zipped = await new Promise<Buffer>((resolve, reject) =>
    gzip(data, (err, out) => (err ? reject(err) : resolve(out))),
  );
  return { zlibBody: zipped, encoding: 'gzip' };
}

// A `\uD800`–`\uDFFF` escape that is one (led by an even run of backslashes).
// JSON.stringify writes a surrogate as an escape only when it is lone.
const LONE_SURROGATE_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi;

/**
 * The SDK's OTLP/JSON request, with every lone surrogate written as U+FFFD:
 * JSON.stringify writes one as an escape (`\ud83d`) that strict receivers
 * (protobufjs' protojson, `threadline dev`) refuse, with the whole batch,
 * where the OTLP/protobuf encoder writes U+FFFD. Records from Threadline's
 * logger are well-formed already; this covers the rest (the Resource,
 * instrumentation scopes, what other code emits), and costs one search of
 * the request when there is nothing to fix.
 */
export function serializeJsonRequest(records: ReadableLogRecord[]): Uint8Array | undefined {
  const body = JsonLogsSerializer.serializeRequest(records);
  if (body === undefined) return body;
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.indexOf('\\ud') < 0 && bytes.indexOf('\\uD') < 0) return body;
  const text = bytes.toString('utf8').replace(LONE_SURROGATE_ESCAPE, '\\ufffd');
  return Buffer.from(text, 'utf8');
}

function withResponseHooks(
  base: ISerializer<ReadableLogRecord[], IExportLogsServiceResponse>,
  encode: (records: ReadableLogRecord[]) => Uint8Array | undefined,
  hooks: ExportResponseHooks,
): ISerializer<ReadableLogRecord[], IExportLogsServiceResponse> {
  return {
    serializeRequest: encode,
    deserializeResponse: (data) => {
      const response = base.deserializeResponse(data);
      const partial = response?.partialSuccess;
      const rejected = Number(partial?.rejectedLogRecords ?? 0);
      if (rejected > 0) hooks.onPartialSuccess?.(rejected, String(partial?.errorMessage ?? ''));
      return response;
    },
  };
}

/**
 * OTLP/HTTP log exporter, `http/protobuf` (Threadline's encoder) or
 * `http/json` (the SDK's serializer), one attempt per export.
 */
export class ThreadlineOtlpExporter
  extends OTLPExporterBase<ReadableLogRecord[]>
  implements LogRecordExporter
{
  /** Encodes with Threadline's OTLP/protobuf encoder (which reads records' attributes in two parts). */
  readonly protobuf: boolean;

  constructor(
    config: OTLPExporterNodeConfigBase = {},
    protocol: 'http/protobuf' | 'http/json' = 'http/protobuf',
    hooks: ExportResponseHooks = {},
  ) {
    const json = protocol === 'http/json';
    const options = convertLegacyHttpOptions(config, 'LOGS', 'v1/logs', {
      'Content-Type': json ? 'application/json' : 'application/x-protobuf',
    });
    // Request bodies assembled by exportEncoded(), by the stand-in array it exports.
    const bodies = new WeakMap<readonly ReadableLogRecord[], Uint8Array>();
    const encode = (records: ReadableLogRecord[]) => {
      const body = bodies.get(records);
      if (body === undefined) return encodeLogsRequest(records);
      bodies.delete(records);
      return body;
    };
    const serializer = json
      ? withResponseHooks(JsonLogsSerializer, serializeJsonRequest, hooks)
      : withResponseHooks(ProtobufLogsSerializer, encode, hooks);
    super(
      createOtlpNetworkExportDelegate(
        options,
        serializer,
        createOtlpHttpExporterMetrics(
          json ? 'otlp_http_json_log_exporter' : 'otlp_http_log_exporter',
          LogsExporterMetricsHelper,
          options.url,
          undefined,
        ),
        new SingleAttemptHttpTransport({
          ...(options as unknown as TransportParameters),
          agentFactory: defaultAgentFactory(config) ?? options.agentFactory,
        }),
      ),
    );
    this.protobuf = !json;
    this.bodies = bodies;
  }

  private readonly bodies: WeakMap<readonly ReadableLogRecord[], Uint8Array>;
  private readonly encoder = new RecordEncoder();

  /**
   * `record` encoded now, for the queue to keep (a copy) until
   * `exportEncoded` (`http/protobuf` only; undefined for `http/json`). A view
   * valid until the next call.
   */
  encodeRecord(record: ReadableLogRecord): Uint8Array | undefined {
    return this.protobuf ? this.encoder.encode(record) : undefined;
  }

  /**
   * Exports records encoded by `encodeRecord`, as `export` does records:
   * each is a buffer and its place in it (see `RecordEncoder.assemble`).
   */
  exportEncoded(
    buffers: readonly Uint8Array[],
    places: readonly number[],
    done: (result: ExportResult) => void,
  ): void {
    // The export delegate counts what it exports by its length: a stand-in of the same length.
    const standIn = new Array<ReadableLogRecord>(buffers.length);
    this.bodies.set(standIn, this.encoder.assemble(buffers, places));
    this.export(standIn, done);
  }
}
