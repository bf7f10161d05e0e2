/**
 * Nest's logger, exported: every line written with Nest's `Logger` (yours
 * and Nest's own) becomes a Threadline record, with the trace of the request
 * being handled when it is written.
 *
 * Built on Nest's `ConsoleLogger`, as Nest asks custom loggers to be, so the
 * arguments of a call mean what they mean to Nest (the last string is the
 * context, a stack after the message, Nest 12's structured parameters) and
 * the levels set with `logLevels` or `app.useLogger()` apply: every line
 * passes through `printMessages()`, after the level check, which exports it
 * and prints it.
 */
import { ConsoleLogger, type LogLevel as NestLogLevel } from '@nestjs/common';
import { getLogger, type LogLevel, tryGetHttpRequestScope } from '@threadline/core';
import type { ThreadlineLoggerOptions } from './types.js';

/** Records of lines written without a context go under this instrumentation scope name. */
export const DEFAULT_LOGGER_NAME = 'nestjs';

/**
 * The context of the logger Nest's `BaseExceptionFilter` reports an
 * unexpected exception with, once it has answered the request with a 500.
 */
const EXCEPTIONS_HANDLER = 'ExceptionsHandler';

const SEVERITY: Record<NestLogLevel, LogLevel> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * A Nest logger (`LoggerService`) that exports every line it is given as a
 * Threadline record, under the line's context as the instrumentation scope
 * name (`OrdersService`), with the trace ids and attributes of the request,
 * job or cron run being handled, and prints it as Nest's `ConsoleLogger`
 * does (`print: false` to export only).
 *
 * - `logger.log('order loaded', { orderId })`: Nest 12's structured
 *   parameters become the record's attributes.
 * - `logger.error(err)`: `exception.type`, `exception.message` and
 *   `exception.stacktrace`; `logger.error('payment failed', err.stack)`:
 *   `exception.stacktrace`.
 * - The line Nest's `ExceptionsHandler` writes for an exception that ended
 *   a request with a 500 is not exported as a line of its own: the
 *   exception is recorded as the request's `request failed` line, once,
 *   however many times it is reported (see {@link ThreadlineExceptionFilter}).
 *
 * @example
 * const app = await NestFactory.create(AppModule, { logger: new ThreadlineLogger() });
 * // in a controller or a service, as usual:
 * private readonly logger = new Logger(OrdersService.name);
 * this.logger.log('order loaded', { orderId: id });
 */
export class ThreadlineLogger extends ConsoleLogger {
  private readonly printing: boolean;

  constructor(options: ThreadlineLoggerOptions = {}) {
    const { print = true, ...consoleOptions } = options;
    super(consoleOptions);
    this.printing = print;
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: NestLogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    try {
      exportLines({ messages, context, level: logLevel, stack: errorStack, params });
    } catch {
      // Never let telemetry fail a log call.
    }
    if (this.printing) {
      super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
    }
  }

  protected override printStackTrace(stack: string): void {
    if (this.printing) super.printStackTrace(stack);
  }
}

/** One call's lines, as `ConsoleLogger` has read its arguments. */
interface Lines {
  messages: unknown[];
  context: string;
  level: NestLogLevel;
  stack: unknown;
  params: Record<string, unknown> | undefined;
}

function exportLines({ messages, context, level, stack, params }: Lines): void {
  const severity = SEVERITY[level] ?? 'info';
  if (context === EXCEPTIONS_HANDLER && severity === 'error') {
    // Recorded on the request it ended: one `request failed` line per
    // exception, whoever else reported it (ThreadlineExceptionFilter first).
    const request = tryGetHttpRequestScope();
    if (request !== undefined) {
      for (const message of messages) request.fail(message);
      return;
    }
  }
  const logger = getLogger(context === '' ? DEFAULT_LOGGER_NAME : context);
  if (!logger.isLevelEnabled(severity)) return;
  for (const message of messages) {
    const attributes: Record<string, unknown> = { ...params };
    let body: string;
    if (message instanceof Error) {
      body = message.message;
      attributes.err = message;
    } else {
      body = typeof message === 'string' ? message : text(message);
      if (typeof stack === 'string' && stack !== '') attributes['exception.stacktrace'] = stack;
    }
    logger[severity](body, attributes);
  }
}

/** What a message that is not a string says, as Nest prints an object: JSON. */
function text(message: unknown): string {
  if (typeof message === 'function') return `[function ${message.name}]`;
  try {
    return JSON.stringify(message) ?? String(message);
  } catch {
    return String(message);
  }
}
