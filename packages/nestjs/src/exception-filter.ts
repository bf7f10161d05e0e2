/**
 * The exception a request ends with, logged once in the request's scope.
 *
 * Nest catches every exception a guard, pipe, interceptor or handler throws
 * and hands it to one exception filter, the most specific whose `@Catch()`
 * matches, before the HTTP platform sees it: neither Express's error
 * middleware (`logErrors()`) nor Fastify's `onError` hook is reached. The
 * filter is therefore where the exception is known.
 */
import type { ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { tryGetHttpRequestScope } from '@threadline/core';

/**
 * A global exception filter (it catches everything: a filter with no
 * `@Catch()` list does) that records the exception on the request it ended
 * (`request failed`, with `exception.type`, `exception.message` and
 * `exception.stacktrace` with the `cause` chain; WARN for an
 * `HttpException` of a 4xx status such as a guard's `ForbiddenException`,
 * ERROR otherwise; and `error.type` on the `request completed` line), then
 * answers as Nest's own filter does. Run it with the platform's Threadline
 * adapter, `correlate()` of @threadline/express or the `threadline` plugin
 * of @threadline/fastify, which open the request's scope.
 *
 * A filter of your own that answers an exception itself takes its place for
 * that exception: record it there with
 * `tryGetHttpRequestScope()?.fail(exception)` from @threadline/core (an
 * exception recorded twice is written once).
 *
 * @example
 * const { httpAdapter } = app.get(HttpAdapterHost);
 * app.useGlobalFilters(new ThreadlineExceptionFilter(httpAdapter));
 */
export class ThreadlineExceptionFilter<T = unknown> extends BaseExceptionFilter<T> {
  override catch(exception: T, host: ArgumentsHost): void {
    if (host.getType() === 'http') tryGetHttpRequestScope()?.fail(exception);
    super.catch(exception, host);
  }
}
