/**
 * Fastify's request logger, in the request's scope.
 *
 * Fastify makes each request's logger (`request.log`, a pino child with the
 * request's `reqId`) before any hook runs, and writes two of its lines
 * outside the hooks: `incoming request` before the first one, `request
 * completed` from the response's `finish` event. The child logger factory
 * here opens the request's scope while Fastify makes that logger (through
 * the correlator's `open`, since the reply does not exist yet) and hands
 * Fastify a logger whose calls run in the scope. A bridge that reads the
 * active context, @threadline/pino's, then puts the request's trace on
 * every line of `request.log`, wherever Fastify or the application writes it.
 */
import type { IncomingMessage } from 'node:http';
import { context } from '@opentelemetry/api';
import {
  type EarlyHttpCorrelator,
  type HttpRequestScope,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  type OpenedHttpRequest,
  tryGetHttpRequestScope,
} from '@threadline/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** Fastify's child logger factory (`setChildLoggerFactory`), whose type Fastify does not export by name. */
type ChildLoggerFactory = FastifyInstance['childLoggerFactory'];

const kOpened = Symbol('threadline.openedRequest');
const kBase = Symbol('threadline.baseLogger');

/** `request.log` as the factory makes it: Fastify's child, with its level methods run in the scope. */
interface ScopedLogger {
  readonly [kOpened]: OpenedHttpRequest;
  readonly [kBase]: Record<string, (...args: unknown[]) => unknown>;
}

type LogMethod = (this: ScopedLogger, ...args: unknown[]) => unknown;

/**
 * Runs `fn` in the request's scope: as things are when the active context
 * is already the request's (a tracing SDK's span active inside it stays
 * active), else in the scope's own context.
 */
export function runInScope<A extends unknown[], R>(
  scope: HttpRequestScope,
  fn: (...args: A) => R,
  thisArg: unknown,
  args: A,
): R {
  if (tryGetHttpRequestScope() === scope) return fn.apply(thisArg, args);
  return context.with(scope.context, fn, thisArg, ...args);
}

/**
 * Raw requests whose scope the factory opened (until a hook takes the
 * request: `null`), for requests Fastify answers before any hook.
 */
export type RequestStates = WeakMap<IncomingMessage, OpenedHttpRequest | null>;

/** The request the factory opened for this `request.log`, if the factory made it. */
export function openedRequestOf(log: unknown): OpenedHttpRequest | undefined {
  if (log === null || typeof log !== 'object') return undefined;
  return (log as Partial<ScopedLogger>)[kOpened];
}

/**
 * A child logger factory (Fastify's `setChildLoggerFactory`) that opens each
 * request's scope and returns the logger `previous` makes, its level methods
 * (`levels`: pino's and any custom ones) run in that scope, and so are those
 * of the loggers its `child()` makes. The methods are made once; per logger,
 * one object over the logger pino made holds them.
 */
export function scopedChildLoggers(
  correlator: EarlyHttpCorrelator,
  previous: ChildLoggerFactory,
  levels: Iterable<string>,
  requests: RequestStates | undefined,
): ChildLoggerFactory {
  const methods: Array<[string, LogMethod]> = [...new Set(levels)].map((level) => [
    level,
    function threadlineLog(this: ScopedLogger, ...args: unknown[]) {
      const write = this[kBase][level] as (...a: unknown[]) => unknown;
      return runInScope(this[kOpened].scope, write, this, args);
    },
  ]);
  /**
   * Over `logger` (pino's), the same logger with its level methods run in
   * the request's scope. Its level methods are the ones pino gave `logger`:
   * the object only adds the scope.
   */
  function scopedOver(logger: object, opened: OpenedHttpRequest): FastifyBaseLogger {
    const scoped = Object.create(logger) as Record<PropertyKey, unknown>;
    scoped[kBase] = logger;
    scoped[kOpened] = opened;
    for (const [level, method] of methods) scoped[level] = method;
    scoped.child = threadlineChild;
    return scoped as unknown as FastifyBaseLogger;
  }
  // A child is made by pino from the logger pino made (pino 9 gives each
  // child level methods of its own, which would pass over ours), then
  // scoped in turn.
  function threadlineChild(this: ScopedLogger, ...args: unknown[]): FastifyBaseLogger {
    const base = this[kBase];
    const made = (base.child as (...a: unknown[]) => object).apply(base, args);
    return scopedOver(made, this[kOpened]);
  }
  return function threadlineChildLogger(logger, bindings, options, rawRequest) {
    const child = previous.call(this, logger, bindings, options, rawRequest);
    const opened = correlator.open(rawRequest);
    requests?.set(rawRequest, opened);
    return scopedOver(child, opened);
  };
}

/**
 * A Threadline logger that writes each line with the `request.log` of the
 * request whose scope is active (`loggers` says which), for the plugin's
 * `logger: 'request.log'`: an Error goes to pino as `err`, attributes as the
 * line's fields. Outside a known request it writes nothing: the correlator
 * writes only inside one.
 */
export function requestLogWriter(loggers: WeakMap<HttpRequestScope, FastifyBaseLogger>): Logger {
  const writer = (level: LogLevel) =>
    function threadlineRequestLine(message: string, attributes?: unknown): void {
      const scope = tryGetHttpRequestScope();
      const log = scope && (loggers.get(scope) as unknown as Record<LogLevel, unknown>);
      const write = log?.[level];
      if (typeof write !== 'function') return;
      write.call(
        log,
        attributes instanceof Error ? { err: attributes } : (attributes ?? {}),
        message,
      );
    };
  const logger: Logger = {
    name: 'request.log',
    trace: writer('trace'),
    debug: writer('debug'),
    info: writer('info'),
    warn: writer('warn'),
    error: writer('error'),
    fatal: writer('fatal'),
    child: () => logger,
    // Each request's logger applies its own level when the line is written.
    isLevelEnabled: () => true,
  };
  return logger;
}

/** pino's level names and the custom ones of `log`, whose calls are run in the scope. */
export function levelNames(log: unknown): string[] {
  const custom = (log as { levels?: { values?: Record<string, unknown> } } | undefined)?.levels
    ?.values;
  return [...LOG_LEVELS, ...Object.keys(custom ?? {})];
}
