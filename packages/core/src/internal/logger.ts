/**
 * The logger: builds one compact record per call (message, attributes, scope
 * attributes, trace context of the active scope) and hands it to the export
 * queue. Levels below the threshold return before doing any work.
 */
import {
  type AnyValue,
  type Context,
  context,
  type HrTime,
  isSpanContextValid,
  type SpanContext,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { LOG_LEVELS, SEVERITY_NUMBER, severityName, severityText } from '../severity.js';
import type { BridgedRecord, LogAttributes, Logger, LogLevel } from '../types.js';
import { activeSpanContext, createScope, current, getScope, type ScopeData } from './scope.js';
import { currentSerializer, RECORD_OVERHEAD_BYTES, trimToLimit } from './serialize.js';
import { globalState, MAX_PENDING_RECORDS, warnOnce } from './state.js';

const SEVERITY = SEVERITY_NUMBER;
// The texts by level, looked up on every call: an object literal (one fast shape), not a call.
const SEVERITY_TEXT: Record<LogLevel, string> = {
  trace: severityText('trace'),
  debug: severityText('debug'),
  info: severityText('info'),
  warn: severityText('warn'),
  error: severityText('error'),
  fatal: severityText('fatal'),
};

// Resolved once: the state object lives as long as the process.
const state = globalState();

/**
 * The record Threadline's logger queues, made by `makeRecord`.
 *
 * Its attributes may be kept in two parts: `base`, the scope's (and child
 * logger's) attributes, shared by every record written in that scope and
 * never changed once shared, and `own`, the call's. That saves an object a
 * record (measured: GC was the largest cost a job scope added per BullMQ
 * job), and only Threadline's OTLP/protobuf encoder reads the two parts: for
 * a pipeline exporting anything else, `makeRecord` merges them, and `base` is
 * undefined. When `base` is set, `attributes` holds the call's part only.
 */
export interface ThreadlineLogRecord extends ReadableLogRecord {
  readonly spanContext: SpanContext | undefined;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: AnyValue;
  /** Shared attributes (scope, child logger); `own` wins over them. Set only when kept apart. */
  readonly base: Record<string, AnyValue> | undefined;
  readonly own: Record<string, AnyValue>;
  resource: Resource;
}

/**
 * A record, as a plain object of one shape. Not a class instance: records
 * wait in the queue until their export, and V8 pretenures an object
 * literal's allocation site once it sees its objects survive, so they are
 * allocated where they will stay instead of being copied out of the young
 * generation (which also grows, page by page, to hold them). A constructor
 * call is never pretenured. Measured side by side with bench/pino-ab.ts
 * (figures: bench/README.md, "Figures behind the code"); with
 * `--no-allocation-site-pretenuring` the gain goes.
 */
export function makeRecord(parts: RecordParts): ThreadlineLogRecord {
  const { base, own, hrTime } = parts;
  const apart = base !== undefined && parts.keepApart;
  return {
    hrTime,
    hrTimeObserved: hrTime,
    spanContext: parts.spanContext,
    severityNumber: parts.severityNumber,
    severityText: parts.severityText,
    body: parts.body,
    // Spread, not Object.assign: it copies a `__proto__` key as a key (see setOwn).
    attributes: base === undefined || apart ? own : { ...base, ...own },
    base: apart ? base : undefined,
    own,
    droppedAttributesCount: parts.dropped,
    instrumentationScope: parts.instrumentationScope,
    resource: parts.resource,
    eventName: undefined,
  };
}

/** What {@link makeRecord} makes a record of. */
export interface RecordParts {
  hrTime: HrTime;
  spanContext: SpanContext | undefined;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  /** Shared attributes (the scope's, a child logger's), or undefined. */
  base: Record<string, AnyValue> | undefined;
  /** The call's own attributes; they win over `base`. */
  own: Record<string, AnyValue>;
  /** Attributes dropped by the limits. */
  dropped: number;
  instrumentationScope: InstrumentationScope;
  resource: Resource;
  /** Keep `base` apart from `own`: the pipeline's exporter reads them apart. */
  keepApart: boolean;
}

/**
 * True when the record's attributes were kept in two parts, `base` and
 * `own` (a record {@link makeRecord} made for an exporter that reads them
 * so, which only Threadline's OTLP/protobuf encoder does). Otherwise, and
 * for records made elsewhere, `attributes` holds them all.
 */
export function hasAttributesApart(
  record: ReadableLogRecord,
): record is ThreadlineLogRecord & { base: Record<string, AnyValue> } {
  return (record as Partial<ThreadlineLogRecord>).base !== undefined;
}

// Records written in the same millisecond get increasing nanoseconds, so a
// process's records sort in the order they were written.
let lastMs = 0;
let sameMsCount = 0;
function now(): HrTime {
  return at(Date.now(), true);
}

/**
 * The time of a record written at epoch `ms`. A millisecond other than the
 * last record's starts a new count when it is the clock's (`fromClock`, also
 * when the clock stepped back), or a bridged line's whole millisecond that is
 * later than the last record's and not ahead of the clock (a line's time is
 * pino's or winston's `Date.now()`): lines of one millisecond keep their
 * order. Other bridged times (fractions, a line read back in a worker, a
 * date in the future) are taken as they are, and leave the count alone.
 */
function at(ms: number, fromClock = false): HrTime {
  const secs = Math.floor(ms / 1000);
  if (ms === lastMs) sameMsCount++;
  else if (fromClock || (ms > lastMs && Number.isInteger(ms) && ms <= Date.now())) {
    lastMs = ms;
    sameMsCount = 0;
  } else return [secs, Math.round((ms - secs * 1000) * 1_000_000)];
  return [secs, (ms - secs * 1000) * 1_000_000 + Math.min(sameMsCount, 999_999)];
}

export function parseLogLevel(value: unknown, source: string): number {
  if (typeof value === 'string' && value.toLowerCase() in SEVERITY) {
    return SEVERITY[value.toLowerCase() as LogLevel];
  }
  throw new TypeError(
    `Threadline: ${source} must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(value)}`,
  );
}

export class ThreadlineLogger implements Logger {
  readonly name: string;
  private bindings: ScopeData | undefined;
  // The last scope + bindings merge, reused while neither changes.
  private lastScopeAttributes: object | undefined;
  private lastBindingAttributes: object | undefined;
  private lastMerged: Record<string, AnyValue> | undefined;
  private readonly scope: InstrumentationScope;

  constructor(name: string, bindings?: ScopeData, version?: string) {
    this.name = name;
    this.bindings = bindings;
    // The scope's name and version go on the wire as they are: well-formed (see Serializer#string).
    const scopeName = name.toWellFormed();
    this.scope =
      version === undefined
        ? { name: scopeName }
        : { name: scopeName, version: version.toWellFormed() };
  }

  trace(message: string, attributes?: unknown): void {
    if (1 >= state.minSeverity) this.write('trace', message, attributes);
  }
  debug(message: string, attributes?: unknown): void {
    if (5 >= state.minSeverity) this.write('debug', message, attributes);
  }
  info(message: string, attributes?: unknown): void {
    if (9 >= state.minSeverity) this.write('info', message, attributes);
  }
  warn(message: string, attributes?: unknown): void {
    if (13 >= state.minSeverity) this.write('warn', message, attributes);
  }
  error(message: string, attributes?: unknown): void {
    if (17 >= state.minSeverity) this.write('error', message, attributes);
  }
  fatal(message: string, attributes?: unknown): void {
    if (21 >= state.minSeverity) this.write('fatal', message, attributes);
  }

  isLevelEnabled(level: LogLevel): boolean {
    return SEVERITY[level] >= state.minSeverity;
  }

  child(attributes: LogAttributes): Logger {
    try {
      return new ThreadlineLogger(
        this.name,
        createScope(attributes, this.bindings),
        this.scope.version,
      );
    } catch (error) {
      warnOnce('child-failed', `child() could not read its attributes: ${String(error)}`);
      return this;
    }
  }

  /** The scope's attributes under the child logger's, one object per pair (shared by their records). */
  private merge(
    scopeAttributes: Record<string, AnyValue>,
    bindingAttributes: Record<string, AnyValue>,
  ): Record<string, AnyValue> {
    if (
      this.lastMerged === undefined ||
      this.lastScopeAttributes !== scopeAttributes ||
      this.lastBindingAttributes !== bindingAttributes
    ) {
      this.lastScopeAttributes = scopeAttributes;
      this.lastBindingAttributes = bindingAttributes;
      this.lastMerged = { ...scopeAttributes, ...bindingAttributes };
    }
    return this.lastMerged;
  }

  private write(level: LogLevel, message: unknown, attributes: unknown, inContext?: Context): void {
    this.emit(
      SEVERITY[level],
      SEVERITY_TEXT[level],
      message,
      attributes,
      undefined,
      undefined,
      inContext,
    );
  }

  /** A line written as if `ctx` were the active context (without making it so). */
  writeIn(ctx: Context, level: LogLevel, message: string, attributes: unknown): void {
    if (this.isLevelEnabled(level)) this.write(level, message, attributes, ctx);
  }

  /**
   * Builds one record and queues it. `hrTime` and `explicitContext` carry
   * what a bridged line already knows: the time it was written and, from
   * another thread, its trace context (then the active scope is not this
   * record's). `inContext`: the context to read the scope and span from,
   * instead of the active one.
   */
  emit(
    severityNumber: number,
    severityText: string,
    message: unknown,
    attributes: unknown,
    hrTime?: HrTime,
    explicitContext?: SpanContext,
    inContext?: Context,
  ): void {
    const s = state;
    if (s.stopped) return;
    try {
      const pipeline = s.pipeline;
      const serializer = pipeline?.serializer ?? currentSerializer();
      const ctx = inContext ?? context.active();
      let scope = explicitContext ? undefined : getScope(ctx);
      if (scope !== undefined && scope.serializer !== serializer)
        scope = current(scope, serializer);
      let bindings = this.bindings;
      if (bindings !== undefined && bindings.serializer !== serializer) {
        bindings = this.bindings = current(bindings, serializer);
      }
      let spanContext = explicitContext ?? activeSpanContext(ctx);
      if (spanContext !== undefined && !validSpanContext(spanContext)) spanContext = undefined;

      const n = serializer.attributes(attributes);
      let own = n.attributes;
      let base: Record<string, AnyValue> | undefined;
      let bytes = RECORD_OVERHEAD_BYTES + n.bytes;
      let dropped = n.dropped;
      if (scope !== undefined || bindings !== undefined) {
        base =
          scope !== undefined && bindings !== undefined
            ? this.merge(scope.attributes, bindings.attributes)
            : (scope ?? bindings)?.attributes;
        bytes += (scope?.bytes ?? 0) + (bindings?.bytes ?? 0);
        const limit = serializer.limits.attributeCountLimit;
        // Past the limit (rare), the record gets its own merged, trimmed copy.
        if ((scope?.count ?? 0) + (bindings?.count ?? 0) + n.count > limit) {
          own = { ...base, ...own };
          base = undefined;
          dropped += trimToLimit(own, limit);
        }
      }

      let body: AnyValue;
      if (typeof message === 'string' && message.length < 256 && serializer.isPlain(message)) {
        body = message;
        bytes += message.length;
      } else {
        const b = serializer.body(message);
        body = b.body;
        bytes += b.bytes;
      }

      const record = makeRecord({
        hrTime: hrTime ?? now(),
        spanContext,
        severityNumber,
        severityText,
        body,
        base,
        own,
        dropped,
        instrumentationScope: this.scope,
        resource: pipeline?.resource as Resource,
        keepApart: pipeline?.keepAttributesApart === true,
      });
      if (pipeline) pipeline.processor.enqueue(record, bytes);
      else if (s.pending.length < MAX_PENDING_RECORDS) s.pending.push(record);
      else s.droppedBeforeStart++;
    } catch (error) {
      warnOnce(
        'write-failed',
        `a log record could not be written and was dropped: ${String(error)}`,
      );
    }
  }
}

/**
 * `logger[level](message, attributes)` written in `ctx`: without making it
 * the active context (one AsyncLocalStorage run less) when the logger is
 * Threadline's own.
 */
export function writeInContext(
  ctx: Context,
  logger: Logger,
  level: LogLevel,
  message: string,
  attributes: unknown,
): void {
  if (logger instanceof ThreadlineLogger) logger.writeIn(ctx, level, message, attributes);
  else context.with(ctx, () => logger[level](message, attributes as LogAttributes));
}

// The ids of the last valid span context: the records of one span repeat them.
// Nothing at first, not even '' (a span context of empty or missing ids is not valid).
const NONE = Symbol('none');
let lastTraceId: unknown = NONE;
let lastSpanId: unknown = NONE;

/** isSpanContextValid, checking the hex of ids only when they are not the last valid ones. */
function validSpanContext(sc: SpanContext): boolean {
  const { traceId, spanId } = sc;
  if (traceId === lastTraceId && spanId === lastSpanId) return true;
  if (!isSpanContextValid(sc)) return false;
  lastTraceId = traceId;
  lastSpanId = spanId;
  return true;
}

// One logger per bridged instrumentation scope ('pino', 'winston'), kept.
const bridgeLoggers = new Map<string, ThreadlineLogger>();
let lastBridge: ThreadlineLogger | undefined;

/** A line from another logger, as one record (see emitBridgedRecord). */
export function emitBridged(scopeName: string, r: BridgedRecord): void {
  try {
    const severityNumber = r.severityNumber;
    if (!(severityNumber >= state.minSeverity)) return;
    let logger = scopeName === lastBridge?.name ? lastBridge : bridgeLoggers.get(scopeName);
    if (!logger) {
      logger = new ThreadlineLogger(scopeName);
      if (bridgeLoggers.size < 100) bridgeLoggers.set(scopeName, logger);
    }
    lastBridge = logger;
    const ms = r.timeMillis;
    logger.emit(
      severityNumber,
      r.severityText ?? severityName(severityNumber),
      r.body,
      r.attributes,
      typeof ms === 'number' && Number.isFinite(ms) ? at(ms) : undefined,
      r.spanContext,
    );
  } catch (error) {
    warnOnce('bridge-failed', `a bridged log line was dropped: ${String(error)}`);
  }
}
