/**
 * Public types of @threadline/core.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, SpanContext } from '@opentelemetry/api';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';

/** Log levels, lowest first. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Attributes passed to a log call: any values; they are serialised safely. */
export type LogAttributes = Record<string, unknown>;

/**
 * A Threadline logger. Every record it writes carries the trace and span ids
 * and the attributes of the active scope.
 *
 * @example
 * import { log } from '@threadline/core';
 * log.info('order placed', { orderId: 'o-123', items: 3 });
 * log.error('payment failed', err); // exception.type/message/stacktrace
 */
export interface Logger {
  /** The instrumentation scope name records are exported under. */
  readonly name: string;
  /**
   * Writes a record: `attributes` are its attributes, or an Error (written as
   * `exception.type`, `exception.message` and `exception.stacktrace`).
   */
  trace(message: string, attributes?: LogAttributes | Error): void;
  /**
   * Whatever a `catch` caught (`unknown` under `strict`): an Error as
   * `exception.*`, an object as attributes, anything else as
   * `exception.message`.
   */
  trace(message: string, thrown: unknown): void;
  debug(message: string, attributes?: LogAttributes | Error): void;
  debug(message: string, thrown: unknown): void;
  info(message: string, attributes?: LogAttributes | Error): void;
  info(message: string, thrown: unknown): void;
  warn(message: string, attributes?: LogAttributes | Error): void;
  warn(message: string, thrown: unknown): void;
  error(message: string, attributes?: LogAttributes | Error): void;
  error(message: string, thrown: unknown): void;
  fatal(message: string, attributes?: LogAttributes | Error): void;
  fatal(message: string, thrown: unknown): void;
  /** A logger whose records also carry `attributes`. */
  child(attributes: LogAttributes): Logger;
  /** Whether records of `level` are written under the current threshold. */
  isLevelEnabled(level: LogLevel): boolean;
}

/** Trace context of the active scope, for printing next to your own lines. */
export interface TraceIds {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  /** W3C trace flags (bit 0: sampled). */
  traceFlags: number;
}

/** Export protocol. */
export type ExportProtocol = 'http/protobuf' | 'http/json';

/** Where records go. `console` prints one readable line a record in a terminal, JSON lines otherwise. */
export type ExporterKind = 'otlp' | 'console' | 'none';

/** Resource detectors Threadline runs at start-up, as the OpenTelemetry SDK's of the same names. */
export type ResourceDetectorName = 'host' | 'os' | 'process';

/**
 * Deploy metadata given explicitly. Every field is optional; what is missing is
 * detected (see {@link detectDeployment}). A field of the wrong type or an empty
 * string makes {@link detectDeployment} throw a TypeError.
 *
 * @example
 * const options: DeploymentOptions = {
 *   serviceName: 'orders',
 *   environment: 'production',
 *   owner: 'team-payments',
 *   runbookUrl: 'https://runbooks.example.com/orders',
 *   resourceAttributes: { 'cloud.region': 'eu-west-1' },
 * };
 */
export interface DeploymentOptions {
  /** `service.name`. Default: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, the nearest package.json `name` (npm scope kept), else `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. Default: `OTEL_RESOURCE_ATTRIBUTES`, `THREADLINE_SERVICE_VERSION`, the nearest package.json `version`. */
  serviceVersion?: string;
  /** `service.namespace`. Default: `OTEL_RESOURCE_ATTRIBUTES`. */
  serviceNamespace?: string;
  /** `service.instance.id`. Default: `OTEL_RESOURCE_ATTRIBUTES`, else a random UUID generated once per process. */
  serviceInstanceId?: string;
  /** `deployment.environment.name` (production, staging, test, development, …). Default: `OTEL_RESOURCE_ATTRIBUTES`, `THREADLINE_ENVIRONMENT`, platform variables, `NODE_ENV`. */
  environment?: string;
  /** `deployment.id`. Default: `OTEL_RESOURCE_ATTRIBUTES`, `THREADLINE_DEPLOYMENT_ID`, platform variables. */
  deploymentId?: string;
  /** `vcs.ref.head.revision`: a commit hash of 7–64 hex characters (stored lower-cased). Default: `THREADLINE_COMMIT`, CI/platform variables. */
  commit?: string;
  /** `vcs.repository.url.full`: an http(s), `ssh://` or `git@host:owner/repo` URL, stored as `https://host/owner/repo` without credentials or `.git`. Default: CI/platform variables. */
  repositoryUrl?: string;
  /** `threadline.owner`: team that owns the service. Default: `THREADLINE_OWNER`. */
  owner?: string;
  /** `threadline.runbook.url`: an absolute http(s) URL. Default: `THREADLINE_RUNBOOK_URL`. */
  runbookUrl?: string;
  /** More resource attributes. They rank just below the named options above, and above every environment variable. */
  resourceAttributes?: Record<string, string | number | boolean>;
}

/**
 * What {@link detectDeployment} found.
 *
 * @example
 * const { attributes, sources, warnings } = detectDeployment({}, { GITHUB_SHA: 'A1B2C3D4E5F6' });
 * attributes['vcs.ref.head.revision']; // 'a1b2c3d4e5f6'
 * sources['vcs.ref.head.revision']; // 'GITHUB_SHA'
 * warnings; // []
 */
export interface DetectedDeployment {
  /** Resource attributes, ready for `resourceFromAttributes()`. */
  attributes: Record<string, string | number | boolean>;
  /** Problems with the environment or package.json; each one was ignored. Never thrown. */
  warnings: string[];
  /**
   * Attribute key → where its value came from: `'option'`, `'resourceAttributes'`,
   * `'OTEL_SERVICE_NAME'`, `'OTEL_RESOURCE_ATTRIBUTES'`, an environment variable name
   * (two joined by `+` when a value is built from both), `'package.json'`, or
   * `'default'` / `'generated'` for the fallbacks.
   */
  sources: Record<string, string>;
}

/** Options of {@link startThreadline}. Where a standard `OTEL_*` (or `THREADLINE_*`) variable exists, it is the fallback for the option (table in the README). */
export interface ThreadlineOptions extends DeploymentOptions {
  /** Lowest level written. @default 'info' (`THREADLINE_LOG_LEVEL`) */
  level?: LogLevel;

  /**
   * `otlp`, `console`, `none`, a list such as `['otlp', 'console']`, or an
   * exporter of your own. @default `OTEL_LOGS_EXPORTER` (a comma-separated
   * list), else 'otlp'
   */
  exporter?: ExporterKind | readonly ExporterKind[] | LogRecordExporter;
  /**
   * Resource attributes detected at start-up: `host` (host.name, host.arch),
   * `os` (os.type, os.version), `process` (process.pid, executable, command,
   * owner, runtime; not the command's arguments, which may hold secrets).
   * `[]` turns detection off. @default `OTEL_NODE_RESOURCE_DETECTORS`, else all three
   */
  resourceDetectors?: readonly ResourceDetectorName[];
  /** OTLP protocol. @default `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`, else 'http/protobuf' */
  protocol?: ExportProtocol;
  /** Full logs URL. @default `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/logs`, else http://localhost:4318/v1/logs */
  endpoint?: string;
  /** Extra HTTP headers (e.g. an API key). Never logged. @default `OTEL_EXPORTER_OTLP_[LOGS_]HEADERS` */
  headers?: Record<string, string>;
  /** Gzip request bodies. @default `OTEL_EXPORTER_OTLP_[LOGS_]COMPRESSION`, else 'none' */
  compression?: 'gzip' | 'none';
  /** Per-export HTTP timeout including the exporter's own retries, ms. @default 10000 (`OTEL_EXPORTER_OTLP_[LOGS_]TIMEOUT`) */
  exportTimeoutMillis?: number;

  /** Memory budget of the export queue, in estimated heap bytes (records in flight included); past it the least severe records are dropped first. @default 67108864 (64 MiB) */
  maxQueueBytes?: number;
  /** Queue budget in records. @default 262144 (`OTEL_BLRP_MAX_QUEUE_SIZE`) */
  maxQueueSize?: number;
  /** Records per export request. @default 2048 (`OTEL_BLRP_MAX_EXPORT_BATCH_SIZE`) */
  maxExportBatchSize?: number;
  /** Delay before a partial batch is sent, ms. @default 1000 (`OTEL_BLRP_SCHEDULE_DELAY`) */
  scheduledDelayMillis?: number;
  /** Export requests in flight at once. @default 2 */
  maxConcurrentExports?: number;

  /** Attributes per record. @default 128 (`OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT`) */
  attributeCountLimit?: number;
  /** Characters per attribute value (and per message). @default 16384 (`OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT`) */
  attributeValueLengthLimit?: number;

  /**
   * More keys whose values are replaced by `[REDACTED]`, compared as the
   * default ones are (case-insensitive, `-`, `_` and `.` ignored, the whole
   * key or its last dotted segment). They win over the allow-list.
   * @default [] (the defaults, `DEFAULT_REDACT_KEYS`, always apply)
   */
  redactKeys?: string[];
  /** Keys matching any of these are redacted too; they win over the allow-list. @default [] */
  redactPatterns?: RegExp[];
  /**
   * More keys exempt from the default secret keys and words, compared as
   * `redactKeys` are: for keys that hold a secret word but no secret
   * (`redactAllowKeys: ['secret_name']`). Values are still searched for
   * tokens and credentials.
   * @default [] (the defaults, `DEFAULT_REDACT_ALLOW_KEYS`, always apply)
   */
  redactAllowKeys?: string[];

  /** Flush on SIGTERM/SIGINT, then let the process end as it would have. @default true */
  handleSignals?: boolean;
  /**
   * Log an uncaught exception or an unhandled rejection (FATAL, with
   * `exception.*`) and flush before the process dies; then Node prints the
   * error and exits with status 1 as it would have. With a handler of the
   * application's, only log and flush.
   * @default true
   */
  handleUncaught?: boolean;
  /** Deadline for the flush at shutdown, ms. @default 3000 */
  shutdownTimeoutMillis?: number;
  /** Write one `service started` record. @default true */
  logStartup?: boolean;
  /** Register the global LoggerProvider, propagator and context manager when none is registered. @default true */
  registerGlobals?: boolean;
  /** Where Threadline's own warnings go (rate-limited). @default a line on stderr */
  diagnostics?: 'stderr' | 'silent' | ((line: string) => void);
  /** Minimum time between two export-health lines, ms. @default 30000 */
  diagnosticIntervalMillis?: number;
  /** Environment to read (tests). @default process.env */
  env?: Record<string, string | undefined>;
}

/** Counters of the export pipeline. */
export interface ThreadlineStats {
  /** Records waiting or in flight. */
  queued: number;
  /** Their estimated encoded size. */
  queuedBytes: number;
  /** Records accepted into the queue. */
  accepted: number;
  /** Records the collector acknowledged. */
  exported: number;
  dropped: {
    /** Records dropped because the queue budget was full. */
    queueFull: number;
    /** The same, by severity class. */
    bySeverity: { debug: number; info: number; warn: number; error: number };
    /** Records the collector refused for good (400, 413, 500, …, or rejected in a partial success). */
    rejected: number;
    /** Records written before start past the pre-start buffer. */
    beforeStart: number;
    /** Records emitted to the provider after shutdown. */
    afterShutdown: number;
  };
  /** Export requests that failed (each is retried unless refused for good). */
  failedExports: number;
  /** The last export error, if any. */
  lastError: string | undefined;
}

/** What {@link startThreadline} returns. */
export interface ThreadlineHandle {
  /** The root logger (same as `log`). */
  readonly logger: Logger;
  /** Resource attributes sent with every batch (service, deploy metadata). */
  readonly resourceAttributes: Readonly<Record<string, string | number | boolean>>;
  /** Where records go, e.g. `otlp http/protobuf http://localhost:4318/v1/logs`. */
  readonly destination: string;
  /** Export counters. */
  stats(): ThreadlineStats;
  /** Exports everything queued; resolves (never rejects) when done or after `timeoutMillis`. */
  forceFlush(timeoutMillis?: number): Promise<void>;
  /**
   * Flushes within the deadline and stops. Idempotent. Lines logged while it
   * drains are sent, or counted in `dropped.afterShutdown`; once it has
   * resolved, logging is a silent no-op.
   */
  shutdown(timeoutMillis?: number): Promise<void>;
}

/**
 * What to do with trace context that arrives with a request or message:
 * `continue` it (inside a private network), `restart` (a new trace; the
 * incoming ids are kept as `threadline.link.*` attributes — for public edges),
 * or `ignore` it.
 */
export type TrustPolicy = 'continue' | 'restart' | 'ignore';

/** Incoming headers or message metadata: a plain object (Node's `req.headers`) or anything with `get(name)` (`Headers`). */
export type HeaderCarrier =
  | Record<string, string | string[] | number | undefined>
  | { get(name: string): string | null | undefined };

/** Options shared by `correlate()` in every adapter. */
export interface HttpCorrelationOptions {
  /**
   * What to do with incoming `traceparent`/`tracestate`/`baggage`: `continue`
   * the caller's trace (services inside your network), `restart` (public
   * edges: a new trace, the incoming ids kept as `threadline.link.*`), or
   * `ignore`.
   * @default 'continue'
   */
  trust?: TrustPolicy;
  /**
   * Requests that get no `request completed` line (health checks, metrics
   * scrapes): exact paths, regular expressions tested against the path, or a
   * function of the path and method. Their lines still carry the trace.
   * @default []
   */
  ignore?: ReadonlyArray<string | RegExp> | ((path: string, method: string) => boolean);
  /**
   * Level of the `request completed` line.
   * @default `defaultHttpSeverity`: 5xx error, 4xx and aborted warn, else info
   */
  severity?: (statusCode: number, aborted: boolean) => LogLevel;
  /** Write one `request completed` line per request. @default true */
  logCompleted?: boolean;
  /** Put the `User-Agent` header (cut to 512 characters) on every line as `user_agent.original`. @default false */
  userAgent?: boolean;
  /** Put the client's address on every line as `client.address` (the framework's view, proxies included when it trusts them). @default false */
  clientAddress?: boolean;
  /**
   * Header carrying the request id (read, validated, else generated). `false`:
   * no request id.
   * @default 'x-request-id'
   */
  requestIdHeader?: string | false;
  /**
   * Headers put on the response so that whoever reports a problem can quote
   * an id (off by default: one more response header is a measurable share of
   * a tiny handler's cost, bench/http-throughput.ts): `requestId` echoes
   * the request id under `requestIdHeader`;
   * `traceResponse` sets W3C `traceresponse` (`00-<trace id>-<span id>-<flags>`);
   * `traceIdHeader` names a header for the bare trace id (e.g. `'x-trace-id'`).
   * Headers the application set itself are left alone; they are set again
   * on an error response if the framework cleared them.
   * @default { requestId: false, traceResponse: false, traceIdHeader: false }
   */
  responseHeaders?: {
    requestId?: boolean;
    traceResponse?: boolean;
    traceIdHeader?: string | false;
  };
  /** Logger for `request completed` and `request failed`. @default getLogger('threadline.http') */
  logger?: Logger;
}

/** What the framework adapter knows better than `node:http`. */
export interface HttpRequestHooks {
  /** The matched route template (e.g. `/users/:id`), read when the response ends. */
  route?: () => string | undefined;
  /** The client's address as the framework sees it (`req.ip`, `ctx.ip`). */
  clientAddress?: () => string | undefined;
}

/** One request in progress. */
export interface HttpRequestScope {
  /** The context to run the request's handlers in (trace, span and scope attributes). */
  readonly context: Context;
  /** The request id (validated incoming, or generated); `''` when request ids are off. */
  readonly requestId: string;
  /**
   * Records an error raised while handling the request: one `request failed`
   * line (with `exception.*`) per distinct error, and `error.type` on the
   * completed line. ERROR, or WARN for an HTTP error with a 4xx `status` or
   * `statusCode` (`ctx.throw(404)`, http-errors). Never throws.
   */
  fail(error: unknown): void;
}

/** Made once per middleware by {@link createHttpCorrelator}. */
export interface HttpCorrelator {
  /**
   * Opens the request's scope and arranges its response headers and completed
   * line. Run the rest of the request in `context.with(scope.context, …)`.
   * Never throws: on a failure it returns the active context and warns once.
   */
  begin(req: IncomingMessage, res: ServerResponse, hooks?: HttpRequestHooks): HttpRequestScope;
}

/** One attempt of a background job, for `withJobScope`. Every field is optional. */
export interface JobScopeOptions {
  /** `messaging.system`: `bullmq`, `rabbitmq`, `sqs`, … */
  system?: string;
  /** `messaging.destination.name`: the queue. */
  queue?: string;
  /** `messaging.message.id`: the job's id, the same for every attempt of the same work. */
  id?: string | number;
  /** `threadline.job.name` */
  name?: string;
  /** `threadline.job.attempt`: 1 for the first attempt. */
  attempt?: number;
  /** `threadline.job.max_attempts` */
  maxAttempts?: number;
  /** `threadline.job.parent_id`: the parent job, in a flow. */
  parentId?: string | number;
  /** When the job was enqueued (epoch ms): `threadline.job.wait_ms` on the started line. */
  enqueuedAt?: number;
  /** Trace context carried with the job (`traceparent`, `tracestate`, `baggage`), as headers or metadata. */
  carrier?: HeaderCarrier | null;
  /**
   * `parent`: continue the carried trace; `link`: a new trace per attempt, the
   * carried trace id kept as `threadline.link.trace_id`; `root`: a new trace,
   * whatever was carried.
   * @default 'parent'
   */
  mode?: 'parent' | 'link' | 'root';
  /** More attributes on every line of the job. */
  attributes?: LogAttributes;
  /** For the failed line: will another attempt follow this error? (`threadline.job.will_retry`) */
  willRetry?: (error: unknown) => boolean;
  /** More attributes for the failed line, from the error. */
  failureAttributes?: (error: unknown) => LogAttributes | undefined;
  /**
   * Whether an error `fn` threw postpones the job rather than failing it: the
   * queue runs it again later, as with BullMQ's `DelayedError`. Such an error
   * is logged as `job postponed` (INFO, `threadline.job.postponed_by`: the
   * error's name, no exception) instead of `job failed`, and re-thrown
   * unchanged. `willRetry` and `failureAttributes` are not called for it.
   * @default every error is a failure
   */
  postponed?: (error: unknown) => boolean;
  /** Messages of the three lines; an empty string leaves that line out. @default 'job started', 'job completed', 'job failed' */
  messages?: { started?: string; completed?: string; failed?: string };
  /** Logger of the three lines. @default getLogger('threadline.job') */
  logger?: Logger;
}

/** Field names of the trace context on stdout lines: a profile, or your own names. */
export type TraceFieldProfile =
  | 'otel'
  | 'ecs'
  | 'datadog'
  | { traceId: string; spanId: string; traceFlags?: string };

/** A line of another logger (pino, winston), for `emitBridgedRecord`. */
export interface BridgedRecord {
  /** OpenTelemetry severity number: 1 TRACE, 5 DEBUG, 9 INFO, 13 WARN, 17 ERROR, 21 FATAL. */
  severityNumber: number;
  severityText?: string;
  /** The message. */
  body: unknown;
  /** The rest of the line; an Error (or `{ type, message, stack }` under `err`, as pino writes it) becomes `exception.*` when the bridge maps it. */
  attributes?: LogAttributes;
  /** When the line was written, epoch ms (records of the same millisecond keep the order they were emitted in). @default now */
  timeMillis?: number;
  /** The trace context taken when the line was written, when it is read elsewhere (a worker thread). @default the active context's */
  spanContext?: SpanContext;
}
