/**
 * The winston bridge, without monkey-patching: a format adds the trace
 * fields to each line, and a transport forwards each line into the pipeline.
 */
import { inspect } from 'node:util';
import { type Context, context } from '@opentelemetry/api';
import {
  emitBridgedRecord,
  SEVERITY_NUMBER,
  type TraceFieldProfile,
  traceFields,
} from '@threadline/core';
import TransportStream from 'winston-transport';

/** winston's npm levels → OpenTelemetry severity numbers. */
const SEVERITY: Record<string, number> = {
  error: SEVERITY_NUMBER.error,
  warn: SEVERITY_NUMBER.warn,
  info: SEVERITY_NUMBER.info,
  http: SEVERITY_NUMBER.info,
  verbose: SEVERITY_NUMBER.debug,
  debug: SEVERITY_NUMBER.debug,
  silly: SEVERITY_NUMBER.trace,
};

// winston's own fields, not attributes of the record.
const WINSTON_FIELDS = new Set(['level', 'message', 'timestamp', 'stack']);

const SPLAT = Symbol.for('splat');
// The head of a stack's first line: `RangeError`, or `TypeError [ERR_X]` as Node writes it.
const STACK_HEAD = /^([A-Za-z_$][\w$]*)(?: \[[\w-]+\])?(: |\n|$)/;

/**
 * The type of the error on a line. `format.errors()` copies only enumerable
 * fields, so a built-in error's `name` (on its prototype) is lost: then the
 * Error passed as metadata (`logger.error('msg', err)`) names it, or else the
 * stack's first line, `RangeError: <message>`, when its head is an
 * identifier and the line's message follows it (so a `stack` field that is
 * not the error's own gives no type).
 */
function exceptionType(info: Record<string | symbol, unknown>, stack: string): string {
  if (typeof info.name === 'string' && info.name !== '') return info.name;
  const splat = info[SPLAT];
  if (Array.isArray(splat)) {
    for (const meta of splat) {
      if (meta instanceof Error && meta.stack === stack && typeof meta.name === 'string') {
        return meta.name;
      }
    }
  }
  const head = STACK_HEAD.exec(stack);
  if (head?.[1]) {
    const message = typeof info.message === 'string' ? info.message : '';
    const follows =
      head[2] === ': '
        ? message !== '' && stack.startsWith(message, head[0].length)
        : message === '';
    if (follows) return head[1];
  }
  return 'Error';
}

// The trace context of the logging call, put on each line by `threadlineMeta()`.
// Symbol-keyed: JSON output and Object.keys (the record's attributes) skip it.
const LINE_CONTEXT = Symbol('threadline.lineContext');

/**
 * The captured context, in a holder that prints short: winston
 * puts `defaultMeta` on the caller's own object for `logger.error(err)` and
 * `logger.log({ … })`, and a later `console.log(err)` shows it.
 */
class LineContext {
  constructor(readonly context: Context) {}
  [inspect.custom](): string {
    return '[Threadline line context]';
  }
}

/**
 * Runs `fn` in the context the line was logged in, when `threadlineMeta()`
 * captured one that is not already the active one: winston formats and
 * transports queued lines later, under the context of whatever drains them.
 */
function inLineContext<T>(info: Record<string | symbol, unknown>, fn: () => T): T {
  const held = info[LINE_CONTEXT];
  if (!(held instanceof LineContext) || held.context === context.active()) return fn();
  return context.with(held.context, fn);
}

/**
 * winston's `defaultMeta` that keeps each line on the trace context it was
 * logged in, even when winston queues it behind a slow transport (`Http`, a
 * `File` waiting for its stream) and formats and forwards it later. winston
 * merges `defaultMeta` into every line inside the logging call, with
 * `Object.assign`: a getter here reads the active context at that moment.
 * Your own `meta` fields are kept (getters too); child loggers inherit it.
 *
 * @example
 * const logger = winston.createLogger({
 *   defaultMeta: threadlineMeta({ service: 'orders' }),
 *   format: winston.format.combine(threadlineFormat(), winston.format.json()),
 *   transports: [new winston.transports.Http({ host: 'logs' }), new ThreadlineTransport()],
 * });
 */
export function threadlineMeta<T extends object>(meta?: T): T {
  const own = Object.defineProperties({}, Object.getOwnPropertyDescriptors(meta ?? {})) as T;
  return Object.defineProperty(own, LINE_CONTEXT, {
    enumerable: true, // Object.assign copies only enumerable properties
    get: () => new LineContext(context.active()),
  });
}

/** A winston line (logform's `TransformableInfo`). */
interface WinstonInfo {
  level: string;
  message: unknown;
  [key: string | symbol]: unknown;
}

interface FormatOptions {
  /** Field names of the trace context: `otel`, `ecs`, `datadog` or your own. @default 'otel' */
  profile?: TraceFieldProfile;
  /** Also add the scope's request id, job id, job name, attempt and cron run id (or the attributes listed). @default false */
  scopeAttributes?: boolean | readonly string[];
}

/**
 * A winston format that adds the current trace context (and, when asked, the
 * scope's ids) to every line. Put it before the output format.
 *
 * @example
 * const logger = winston.createLogger({
 *   format: winston.format.combine(threadlineFormat(), winston.format.json()),
 *   transports: [new winston.transports.Console(), new ThreadlineTransport()],
 * });
 */
export function threadlineFormat(options: FormatOptions = {}) {
  const fields = traceFields(options.profile ?? 'otel', {
    scopeAttributes: options.scopeAttributes ?? false,
  });
  return {
    transform(info: WinstonInfo): WinstonInfo {
      Object.assign(info, inLineContext(info, fields));
      // Hidden from the formats after this one (prettyPrint would print the
      // whole context) and from a transport's own format (it copies the line);
      // still there for ThreadlineTransport, which gets this very object.
      if (Object.hasOwn(info, LINE_CONTEXT)) {
        Object.defineProperty(info, LINE_CONTEXT, { enumerable: false });
      }
      return info;
    },
  };
}

export interface ThreadlineTransportOptions extends TransportStream.TransportStreamOptions {
  /** The profile of `threadlineFormat`, so that its fields are left out of the record's attributes. @default 'otel' */
  profile?: TraceFieldProfile;
}

/**
 * A winston transport that forwards every line into the Threadline pipeline
 * as one record: severity from the level, the message as body, an Error
 * (logged directly, under `err`/`error`, or by `format.errors()`) as
 * `exception.*`, the other fields as attributes (without the trace fields:
 * the ids are the record's own), with Threadline's redaction. It runs in the
 * thread that logs, so the record gets that moment's trace context and scope
 * (the logging call's, with `defaultMeta: threadlineMeta()`, even for lines
 * winston queued behind a slow transport).
 */
type WriteFn = (
  info: Record<string | symbol, unknown>,
  encoding: BufferEncoding,
  callback: (error?: Error | null) => void,
) => void;
type WritevFn = (
  chunks: Array<{ chunk: Record<string | symbol, unknown>; encoding: BufferEncoding }>,
  callback: (error?: Error | null) => void,
) => void;
const baseWrite = (TransportStream.prototype as unknown as { _write: WriteFn })._write;
const baseWritev = (TransportStream.prototype as unknown as { _writev: WritevFn })._writev;
const noop = (): void => {};

export class ThreadlineTransport extends TransportStream {
  private readonly names: ReadonlySet<string>;

  constructor(options: ThreadlineTransportOptions = {}) {
    super(options);
    this.names = traceFields(options.profile ?? 'otel').names;
  }

  // A transport's own `format` works on a copy of the line without the
  // captured context: the whole write (format, then log) runs in it instead.
  override _write(
    info: Record<string | symbol, unknown>,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    inLineContext(info, () => baseWrite.call(this, info, encoding, callback));
  }

  override _writev(
    chunks: Array<{ chunk: Record<string | symbol, unknown>; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    try {
      // One line at a time, each in its own context. (Node's buffered writes
      // carry their callbacks too; winston-transport calls each one.)
      for (const c of chunks) inLineContext(c.chunk, () => baseWritev.call(this, [c], noop));
    } finally {
      callback(null);
    }
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    const attributes: Record<string, unknown> = {};
    for (const key of Object.keys(info)) {
      if (WINSTON_FIELDS.has(key) || this.names.has(key)) continue;
      attributes[key] = info[key];
    }
    if (typeof info.stack === 'string') {
      attributes['exception.type'] = exceptionType(info, info.stack);
      attributes['exception.message'] = String(info.message ?? '');
      attributes['exception.stacktrace'] = info.stack;
      delete attributes.name;
    }
    const level = String(info[Symbol.for('level')] ?? info.level ?? 'info');
    const timestamp = info.timestamp;
    // In the line's context already: _write and _writev run log in it.
    emitBridgedRecord('winston', {
      severityNumber: SEVERITY[level] ?? SEVERITY_NUMBER.info,
      body: info.message ?? '',
      attributes,
      timeMillis: typeof timestamp === 'string' ? Date.parse(timestamp) : undefined,
    });
    callback();
  }
}
