/**
 * The pino bridge. No monkey-patching: a `mixin` (pino's own hook) writes the
 * trace fields onto each line, and a destination stream (given to pino with
 * `pino.multistream`) forwards each finished line, after pino's serializers,
 * bindings and `redact`, into the pipeline.
 */
import {
  diagnoseOnce,
  emitBridgedRecord,
  type LogAttributes,
  SEVERITY_NUMBER,
  type TraceFieldProfile,
  type TraceFields,
  traceFields,
} from '@threadline/core';
import { optionError, setOwn } from '@threadline/core/internal';
import { APPENDING_HOOKS, call } from './handoff.js';
import { type MetadataLine, metadataReader } from './metadata.js';
import { checkLogger } from './otel-check.js';

/** Streams that set it get what each line is made of from pino, just before its write. */
const METADATA = Symbol.for('pino.metadata');

export interface PinoBridgeOptions {
  /**
   * Names of the trace fields on stdout lines: `otel` (`trace_id`,
   * `span_id`, `trace_flags`), `ecs` (`trace.id`, `span.id`), `datadog`
   * (`dd.trace_id`, `dd.span_id`) or your own. Use the same for the mixin and
   * the destination: the destination leaves these fields out of the record's
   * attributes (the ids are on the record itself). In a worker-thread
   * transport, fields that cannot be read back into a trace context
   * (`datadog`'s) stay as attributes instead.
   * @default 'otel'
   */
  profile?: TraceFieldProfile;
  /** Also write the scope's request id, job id, job name, attempt and cron run id onto lines (or the attributes listed). @default false */
  scopeAttributes?: boolean | readonly string[];
  /** pino's `messageKey`. @default 'msg' */
  messageKey?: string;
}

/**
 * A pino `mixin` that writes the current trace context (and, when asked, the
 * scope's ids) onto every line. The ids are taken in the thread that logs,
 * so they survive transports that run in worker threads.
 *
 * @example
 * const logger = pino({ mixin: threadlineMixin({ profile: 'ecs' }) });
 */
export function threadlineMixin(options: PinoBridgeOptions = {}): TraceFields {
  const fields = traceFields(options.profile ?? 'otel', {
    scopeAttributes: options.scopeAttributes ?? false,
  });
  const mixin = ((_merge: unknown, _level: unknown, logger: unknown) => {
    checkLogger(logger);
    const out = fields();
    call.mixinObject = out;
    return out;
  }) as TraceFields;
  for (const name of ['names', 'scoped', 'read', 'json'] as const)
    Object.defineProperty(mixin, name, { value: fields[name] });
  return mixin;
}

/** Options of {@link threadlineOptions} and {@link threadlineStreamWrite}. */
export interface ThreadlinePinoOptions extends PinoBridgeOptions {
  /** Your own `hooks.streamWrite`, run first (the destination then reads every line back: it cannot know what your hook changed). */
  streamWrite?: (line: string) => string;
}

/**
 * pino options (spread them into yours) that write the current trace context
 * (and, when asked, the scope's ids) onto every line, taken in the thread
 * that logs, for a logger with `threadlineDestination()`: the
 * `threadlineStreamWrite()` hook, and a `mixin` that adds no field: pino
 * copies each call's fields into the object it returns, which lets the
 * destination build the record from them (with a mixin of yours in its
 * place, the destination parses each line).
 *
 * @example
 * const logger = pino(
 *   { ...threadlineOptions(), level: 'debug' },
 *   pino.multistream([{ stream: process.stdout }, { stream: threadlineDestination() }]),
 * );
 */
export function threadlineOptions(options: ThreadlinePinoOptions = {}): {
  mixin: () => object;
  hooks: { streamWrite: (line: string) => string };
} {
  const mixin = (_merge?: unknown, _level?: unknown, logger?: unknown): object => {
    checkLogger(logger);
    const out = {};
    call.mixinObject = out;
    return out;
  };
  return { mixin, hooks: { streamWrite: threadlineStreamWrite(options) } };
}

/**
 * A pino `hooks.streamWrite` that appends the current trace context (and,
 * when asked, the scope's ids) to each serialized line, as one piece of text
 * built once for all the lines of a span, instead of having pino serialize
 * them field by field as `threadlineMixin()`'s are (cheaper: bench/README.md,
 * "Figures behind the code"). The ids are taken in the thread that logs:
 * for a worker-thread transport, or lines to stdout only. With
 * `threadlineDestination()`, use `threadlineOptions()`, which adds the
 * `mixin` the destination reads the call's fields through.
 *
 * The fields come last on the line; a field of the same name (a trace field,
 * or a scope attribute it appends) that a call or a binding writes itself is
 * then written twice (JSON readers keep the last: the trace context's or the
 * scope's). With `threadlineMixin()` instead, the call's own field wins.
 *
 * @example
 * const logger = pino({ hooks: { streamWrite: threadlineStreamWrite() } }, pino.transport({ … }));
 */
export function threadlineStreamWrite(
  options: ThreadlinePinoOptions = {},
): (line: string) => string {
  const fields = traceFields(options.profile ?? 'otel', {
    scopeAttributes: options.scopeAttributes ?? false,
  });
  const own = options.streamWrite;
  if (own !== undefined && typeof own !== 'function') {
    throw optionError('streamWrite', own, "a function (pino's hooks.streamWrite)");
  }
  const streamWrite =
    own === undefined
      ? (line: string): string => appendMembers(line, fields.json())
      : (line: string): string => appendMembers(own(line), fields.json());
  if (own === undefined)
    APPENDING_HOOKS.set(streamWrite, { trace: fields.names, scoped: fields.scoped });
  return streamWrite;
}

/**
 * `line` (pino's: a JSON object, `}`, then `\n`, or `\r\n` with `crlf`)
 * with `members` (each led by a comma) added at the end of its object. A
 * line that does not end so is left as it is.
 */
export function appendMembers(line: string, members: string): string {
  if (members === '' || typeof line !== 'string') return line;
  const n = line.length;
  if (line.charCodeAt(n - 1) !== 10) return line;
  let close = n - 2;
  let end = '}\n';
  if (line.charCodeAt(close) === 13) {
    close--;
    end = '}\r\n';
  }
  if (close < 1 || line.charCodeAt(close) !== 125) return line;
  // `{}`: the object has no member yet, so the first one takes no comma.
  const text = line.charCodeAt(close - 1) === 123 ? members.slice(1) : members;
  return line.slice(0, close) + text + end;
}

// pino's own fields, not attributes of the record.
const PINO_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'v']);

// pino's default level labels, for lines whose `formatters.level` writes the label.
const LEVELS = new Map([
  ['trace', 10],
  ['debug', 20],
  ['info', 30],
  ['warn', 40],
  ['error', 50],
  ['fatal', 60],
]);

/**
 * pino levels (10 trace … 60 fatal, custom ones in between; a default
 * label written by `formatters.level` too) → OpenTelemetry severity numbers.
 * Anything else is INFO.
 */
function severity(level: unknown): number {
  const n = typeof level === 'number' ? level : (LEVELS.get(level as string) ?? 30);
  if (n < 20) return SEVERITY_NUMBER.trace;
  if (n < 30) return SEVERITY_NUMBER.debug;
  if (n < 40) return SEVERITY_NUMBER.info;
  if (n < 50) return SEVERITY_NUMBER.warn;
  if (n < 60) return SEVERITY_NUMBER.error;
  return SEVERITY_NUMBER.fatal;
}

/**
 * A destination for pino that forwards every line into the Threadline
 * pipeline as one record: severity from the level, the message as body, the
 * time pino wrote, `err` as `exception.type` / `exception.message` /
 * `exception.stacktrace`, the other fields (bindings of child loggers
 * included, after pino's `redact`) as attributes, without the trace fields
 * (they are the record's own trace and span ids). Threadline's redaction
 * applies on top. Used with `pino.multistream`, it writes in the thread that
 * logs, so the record gets that moment's trace context and scope.
 *
 * @example
 * const logger = pino(
 *   { mixin: threadlineMixin() },
 *   pino.multistream([{ stream: process.stdout }, { stream: threadlineDestination() }]),
 * );
 */
export function threadlineDestination(options: PinoBridgeOptions = {}): {
  write(line: string): boolean;
} {
  const forward = lineForwarder(options, false);
  const fields = traceFields(options.profile ?? 'otel');
  const read = metadataReader(PINO_FIELDS, fields.names, options.messageKey ?? 'msg');
  // pino writes what the line is made of onto the stream just before each
  // write (see metadata.ts): the record is built from that when it can be,
  // from the line otherwise. Only what came with the mixin's object of this
  // call is read (see handoff.ts), and it is let go after the write.
  const destination = {
    [METADATA]: true,
    lastObj: undefined as unknown,
    lastMsg: undefined as unknown,
    lastLevel: undefined as unknown,
    lastTime: undefined as unknown,
    lastLogger: undefined as unknown,
    write(line: string): boolean {
      const d = destination;
      const fresh = d.lastObj !== undefined && d.lastObj === call.mixinObject;
      call.mixinObject = undefined;
      let m: MetadataLine | undefined;
      if (fresh) {
        try {
          m = read(d, line);
        } catch {
          m = undefined;
        }
      }
      const level = fresh ? d.lastLevel : undefined;
      checkLogger(d.lastLogger);
      d.lastObj = d.lastLogger = undefined;
      if (m === undefined) forward(line, level);
      else {
        emitBridgedRecord('pino', {
          severityNumber: severity(m.level),
          body: m.message,
          attributes: m.attributes as LogAttributes,
          timeMillis: m.timeMillis,
        });
      }
      return true;
    },
  };
  return destination;
}

/**
 * Forwards one line of pino's output (JSON) into the pipeline; anything else
 * is skipped, with one warning. `fromLine`: the trace context is read from the
 * line's fields (in a worker thread), not taken from the active context.
 * `level`: pino's numeric level when it is known (the line may hold a label,
 * or another field of that name).
 */
export function lineForwarder(
  options: PinoBridgeOptions,
  fromLine: boolean,
): (line: string, level?: unknown) => void {
  const fields = traceFields(options.profile ?? 'otel');
  const messageKey = options.messageKey ?? 'msg';
  // Not attributes: pino's own fields, the message and the trace fields (one lookup a key).
  const skip = new Set([...PINO_FIELDS, messageKey, ...fields.names]);
  // A line read in a worker thread whose trace fields give no span context
  // back (the datadog profile's 64-bit decimal ids cannot give the 128-bit
  // trace id) keeps them as attributes: the record's only correlation.
  const skipKeepingIds = new Set([...PINO_FIELDS, messageKey]);
  return (line, level) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      diagnoseOnce('pino-line', 'a pino line that is not JSON was not forwarded');
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
    const record = parsed as Record<string, unknown>;
    const spanContext = fromLine ? fields.read(record) : undefined;
    const skipped = fromLine && !spanContext ? skipKeepingIds : skip;
    const attributes: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      if (skipped.has(key)) continue;
      if (key === 'err' || key === 'error') {
        const err = record[key];
        if (err !== null && typeof err === 'object') {
          const e = err as { type?: unknown; message?: unknown; stack?: unknown };
          attributes['exception.type'] = typeof e.type === 'string' ? e.type : 'Error';
          if (typeof e.message === 'string') attributes['exception.message'] = e.message;
          if (typeof e.stack === 'string') attributes['exception.stacktrace'] = e.stack;
          continue;
        }
      }
      setOwn(attributes, key, record[key]);
    }
    const time = record.time;
    emitBridgedRecord('pino', {
      severityNumber: severity(typeof level === 'number' ? level : record.level),
      body: record[messageKey] ?? '',
      attributes,
      timeMillis:
        typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : undefined,
      ...(spanContext ? { spanContext } : {}),
    });
  };
}
