/**
 * startThreadline(): the whole pipeline in one call.
 */
import { type Attributes, logs, propagation } from '@opentelemetry/api';
import {
  CompositePropagator,
  type ExportResult,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
  type ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import { DEFAULT_ENDPOINT } from './defaults.js';
import { detectDeployment } from './deployment.js';
import { displayEndpoint, type ResolvedConfig, resolveConfig } from './internal/config.js';
import { ConsoleExporter } from './internal/console-exporter.js';
import { detectResource } from './internal/host.js';
import { makeRecord, type ThreadlineLogRecord } from './internal/logger.js';
import { changedOptions, unknownOptionWarnings } from './internal/option-check.js';
import type { Env } from './internal/options.js';
import { type ExportResponseHooks, ThreadlineOtlpExporter } from './internal/otlp-exporter.js';
import { ThreadlineExportProcessor } from './internal/processor.js';
import { createRedaction } from './internal/redaction.js';
import { ensureContextManager } from './internal/scope.js';
import { DEFAULT_LIMITS, RECORD_OVERHEAD_BYTES, Serializer } from './internal/serialize.js';
import { installShutdownHooks } from './internal/shutdown.js';
import { globalState, warnOnce } from './internal/state.js';
import { log } from './logger-api.js';
import type {
  ExporterKind,
  ThreadlineHandle,
  ThreadlineOptions,
  ThreadlineStats,
} from './types.js';

const PACKAGE_VERSION = '0.1.0';

/** An exporter that accepts everything and sends nothing (`OTEL_LOGS_EXPORTER=none`). */
const noneExporter: LogRecordExporter = {
  export: (_records, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
  forceFlush: async () => {},
};

function createExporter(
  config: ResolvedConfig,
  hooks: ExportResponseHooks,
  env: Env,
): {
  exporter: LogRecordExporter;
  destination: string;
} {
  if (config.disabled)
    return { exporter: noneExporter, destination: `none (${config.disabledBy}=true)` };
  const e = config.exporter;
  if (!Array.isArray(e))
    return { exporter: e as LogRecordExporter, destination: 'custom exporter' };
  const parts: Array<{ exporter: LogRecordExporter; destination: string }> = [];
  for (const kind of e as readonly ExporterKind[]) {
    if (kind === 'console') {
      parts.push({ exporter: new ConsoleExporter(env), destination: 'console' });
    } else if (kind === 'otlp' && config.grpcAskedBy !== undefined) {
      parts.push({
        exporter: noneExporter,
        destination: `none (${config.grpcAskedBy}=grpc is not supported)`,
      });
    } else if (kind === 'otlp') {
      const settings: ConstructorParameters<typeof ThreadlineOtlpExporter>[0] = {
        url: config.endpoint,
        timeoutMillis: config.exportTimeoutMillis,
        compression: config.compression as never,
      };
      if (config.headers) settings.headers = config.headers;
      parts.push({
        exporter: new ThreadlineOtlpExporter(settings, config.protocol, hooks),
        destination: `otlp ${config.protocol} ${displayEndpoint(config.endpoint)}`,
      });
    }
  }
  if (parts.length === 0) return { exporter: noneExporter, destination: 'none' };
  if (parts.length === 1) return parts[0] as { exporter: LogRecordExporter; destination: string };
  return {
    exporter: fanOut(parts.map((p) => p.exporter)),
    destination: parts.map((p) => p.destination).join(' + '),
  };
}

/**
 * Several exporters as one: each gets every batch; the result is the first
 * failure, so the processor retries the batch (the console exporter prints a
 * record once, however often its batch is retried).
 */
function fanOut(exporters: LogRecordExporter[]): LogRecordExporter {
  return {
    export(records, done) {
      let pending = exporters.length;
      let failed: ExportResult | undefined;
      for (const exporter of exporters) {
        exporter.export(records, (result) => {
          if (result.code !== ExportResultCode.SUCCESS && failed === undefined) failed = result;
          if (--pending === 0) done(failed ?? { code: ExportResultCode.SUCCESS });
        });
      }
    },
    async shutdown() {
      await Promise.all(exporters.map((x) => x.shutdown()));
    },
    async forceFlush() {
      await Promise.all(exporters.map((x) => x.forceFlush?.()));
    },
  };
}

/**
 * Sets up Threadline: a LoggerProvider whose Resource carries the service and
 * deploy metadata, a bounded export queue and an OTLP exporter, chosen by
 * options or the standard `OTEL_*` environment. Registers the global
 * LoggerProvider, W3C propagators and an AsyncLocalStorage context manager
 * unless the application already registered its own. Call it once, first
 * thing; calling it again returns the running instance.
 *
 * @example
 * import { startThreadline, log } from '@threadline/core';
 * const threadline = startThreadline({ serviceName: 'orders' });
 * log.info('ready');
 * process.on('SIGTERM', async () => { await threadline.shutdown(); server.close(); });
 */
export function startThreadline(options: ThreadlineOptions = {}): ThreadlineHandle {
  const running = globalState().active as ThreadlineHandle | undefined;
  if (running) {
    const changed = changedOptions(globalState().activeOptions ?? {}, options);
    if (changed.length > 0) {
      warnOnce(
        `second-start:${changed.join(',')}`,
        `startThreadline() was called again with other ${changed.join(', ')}; the running instance keeps the options it started with (call shutdown() first to start anew)`,
      );
    }
    return running;
  }
  const config = resolveConfig(options);
  const env: Env = options.env ?? process.env;
  const deployment = detectDeployment(options, env);
  const s = globalState();
  s.stopped = false;
  s.diagnostic = config.diagnostic;
  for (const line of unknownOptionWarnings(options)) warnOnce(`unknown-option:${line}`, line);
  s.minSeverity = config.disabled ? Number.POSITIVE_INFINITY : config.minSeverity;

  const resource = resourceFromAttributes({
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.distro.name': 'threadline',
    'telemetry.distro.version': PACKAGE_VERSION,
    ...wellFormed({ ...detectResource(config.resourceDetectors), ...deployment.attributes }),
  });
  const redaction = createRedaction({
    keys: config.redactKeys,
    patterns: config.redactPatterns,
    allowKeys: config.redactAllowKeys,
  });
  const serializer = new Serializer(redaction, {
    ...DEFAULT_LIMITS,
    attributeCountLimit: config.attributeCountLimit,
    attributeValueLengthLimit: config.attributeValueLengthLimit,
  });
  const hooks: ExportResponseHooks = {};
  const { exporter, destination } = createExporter(config, hooks, env);
  const processor = new ThreadlineExportProcessor({
    exporter,
    maxQueueBytes: config.maxQueueBytes,
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: config.maxExportBatchSize,
    scheduledDelayMillis: config.scheduledDelayMillis,
    exportTimeoutMillis: config.batchTimeoutMillis,
    maxConcurrentExports: config.maxConcurrentExports,
    destination,
    diagnosticIntervalMillis: config.diagnosticIntervalMillis,
    diagnostic: config.diagnostic,
    connectionRefusedHint:
      config.endpoint === DEFAULT_ENDPOINT
        ? 'nothing listens at the default endpoint: to see the records locally, install @threadline/dev and run `npx threadline dev`, or set OTEL_LOGS_EXPORTER=console to print them'
        : undefined,
    estimateBytes: (r) => estimateForeign(r),
    sanitizeForeign: (r) => sanitizeForeign(r, serializer),
  });
  hooks.onPartialSuccess = (n, message) => processor.partiallyRejected(n, message);
  const provider = new LoggerProvider({
    resource,
    processors: [processor],
    logRecordLimits: {
      attributeCountLimit: config.attributeCountLimit,
      attributeValueLengthLimit: config.attributeValueLengthLimit,
    },
  });

  let registeredProvider = false;
  if (config.registerGlobals && !config.disabled) {
    ensureContextManager();
    registeredProvider = logs.setGlobalLoggerProvider(provider);
    if (propagation.fields().length === 0) {
      propagation.setGlobalPropagator(
        new CompositePropagator({
          propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
        }),
      );
    }
  }

  s.pipeline = {
    processor,
    resource,
    serializer,
    keepAttributesApart:
      !config.disabled && exporter instanceof ThreadlineOtlpExporter && exporter.protobuf,
  };
  // Replay what was written before start, now that the resource, the level
  // and the redaction rules are known.
  for (const record of s.pending) {
    if ((record.severityNumber ?? 0) < s.minSeverity) continue;
    const again = replayed(record, serializer, resource);
    processor.enqueue(again.record, again.bytes);
  }
  s.pending = [];
  // A warning may be an error's message, which names Threadline already: the prefix says it once.
  for (const w of [...deployment.warnings, ...config.warnings, ...destinationWarnings(config)])
    config.diagnostic(`[threadline] ${w.replace(/^Threadline: /, '')}`);

  // A process that ends with records still queued (a script that runs out of
  // work with the collector down, `process.exit()` in a signal handler) says so.
  const onExit = (): void => processor.reportAtExit();
  process.on('exit', onExit);
  let shutdownPromise: Promise<void> | undefined;
  let removeHooks: () => void = () => {};
  const handle: ThreadlineHandle = {
    logger: log,
    resourceAttributes: Object.freeze({
      ...(resource.attributes as Record<string, string | number | boolean>),
    }),
    destination,
    stats(): ThreadlineStats {
      const c = processor.snapshot();
      return {
        queued: c.queued,
        queuedBytes: c.queuedBytes,
        accepted: c.accepted,
        exported: c.exported,
        dropped: {
          queueFull: c.droppedQueueFull,
          bySeverity: c.droppedBySeverity,
          rejected: c.droppedRejected,
          beforeStart: s.droppedBeforeStart,
          afterShutdown: c.droppedAfterShutdown,
        },
        failedExports: c.failedExports,
        lastError: c.lastError,
      };
    },
    forceFlush(timeoutMillis = config.batchTimeoutMillis): Promise<void> {
      return processor.forceFlush({ timeoutMillis });
    },
    shutdown(timeoutMillis = config.shutdownTimeoutMillis): Promise<void> {
      if (shutdownPromise) return shutdownPromise;
      removeHooks();
      shutdownPromise = (async () => {
        // Lines logged while the queue drains (the last requests, the
        // application's own shutdown) are still taken, then counted as
        // dropped after shutdown once it stops accepting.
        await processor.shutdown({ timeoutMillis });
        process.off('exit', onExit);
        s.stopped = true;
        // The provider's own shutdown has no deadline; our processor's has run already.
        void provider.shutdown().catch(() => undefined);
        if (registeredProvider) logs.disable();
        if (s.pipeline?.processor === processor) s.pipeline = undefined;
        if (s.active === handle) {
          s.active = undefined;
          s.activeOptions = undefined;
        }
      })();
      return shutdownPromise;
    },
  };
  removeHooks = installShutdownHooks(handle, {
    signals: config.handleSignals,
    uncaught: config.handleUncaught,
    timeoutMillis: config.shutdownTimeoutMillis,
    hasQueued: () => processor.snapshot().queued > 0,
  });
  s.active = handle;
  s.activeOptions = options;

  if (config.logStartup) {
    log.info('service started', {
      'process.pid': process.pid,
      'process.runtime.version': process.versions.node,
      'threadline.exporter': destination,
    });
  }
  return handle;
}

/** What a person must know about where records go, said once at start-up. */
function destinationWarnings(config: ResolvedConfig): string[] {
  if (config.disabled) {
    return [`${config.disabledBy}=true: Threadline writes and exports no records`];
  }
  if (
    config.grpcAskedBy !== undefined &&
    Array.isArray(config.exporter) &&
    config.exporter.includes('otlp')
  ) {
    return [
      `${config.grpcAskedBy}=grpc: Threadline sends OTLP over HTTP only, so it exports nothing over OTLP; ` +
        'set OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/protobuf and point OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ' +
        "at the collector's OTLP/HTTP port (4318 by default)",
    ];
  }
  return [];
}

/** A record written before start, normalised again by the configured serializer. */
function replayed(
  record: ReadableLogRecord,
  serializer: Serializer,
  resource: ThreadlineLogRecord['resource'],
): { record: ThreadlineLogRecord; bytes: number } {
  const n = serializer.attributes(record.attributes);
  const b = serializer.body(record.body);
  return {
    record: makeRecord({
      hrTime: record.hrTime,
      spanContext: record.spanContext,
      severityNumber: record.severityNumber ?? 0,
      severityText: record.severityText ?? '',
      body: b.body,
      base: undefined,
      own: n.attributes,
      dropped: record.droppedAttributesCount + n.dropped,
      instrumentationScope: record.instrumentationScope,
      resource,
      keepApart: false,
    }),
    bytes: RECORD_OVERHEAD_BYTES + n.bytes + b.bytes,
  };
}

/**
 * The running instance's handle, or undefined before `startThreadline()` (and
 * after its shutdown). For code that must flush without owning the instance,
 * such as an adapter in a process that is about to be ended.
 *
 * @example
 * await tryGetThreadline()?.forceFlush(2000);
 */
export function tryGetThreadline(): ThreadlineHandle | undefined {
  return globalState().active as ThreadlineHandle | undefined;
}

/**
 * Resource attributes with well-formed keys and strings: the Resource is
 * encoded once and sent with every batch, so one lone surrogate in an
 * environment variable would cost every batch over OTLP/JSON.
 */
function wellFormed(attributes: Attributes): Attributes {
  const out: Attributes = {};
  const fix = (v: unknown): unknown => (typeof v === 'string' ? v.toWellFormed() : v);
  for (const [key, value] of Object.entries(attributes)) {
    out[key.toWellFormed()] = (
      Array.isArray(value) ? value.map(fix) : fix(value)
    ) as Attributes[string];
  }
  return out;
}

function estimateForeign(record: ReadableLogRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES;
  const body = record.body;
  bytes += typeof body === 'string' ? body.length : 64;
  for (const k in record.attributes) {
    const v = record.attributes[k];
    bytes += k.length + (typeof v === 'string' ? v.length : 16);
  }
  return bytes;
}

/** Redaction and safe values for records that other code emitted through the global provider. */
function sanitizeForeign(record: ReadWriteLogRecord, serializer: Serializer): void {
  const attrs = record.attributes;
  if (attrs && Object.keys(attrs).length > 0) {
    const n = serializer.attributes(attrs);
    for (const k of Object.keys(attrs)) delete (attrs as Record<string, unknown>)[k];
    Object.assign(attrs, n.attributes);
  }
  if (record.body !== undefined) record.setBody(serializer.body(record.body).body);
}
