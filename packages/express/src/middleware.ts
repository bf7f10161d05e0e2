/**
 * Express adapter: the shared HTTP correlation of @threadline/core, plus
 * Express's route template and error chain.
 */
import { context } from '@opentelemetry/api';
import { createHttpCorrelator, getLogger, tryGetHttpRequestScope } from '@threadline/core';
import { mountTemplate } from './internal/mount-templates.js';
import type {
  CorrelateMiddleware,
  CorrelateOptions,
  ExpressRequest,
  LogErrorsMiddleware,
  LogErrorsOptions,
} from './types.js';

/**
 * Middleware that puts every request on its own trace: the incoming trace
 * context (under `trust`), a span id of its own (or the active server span of
 * a tracing SDK), the request's attributes on every log line written while
 * handling it, and one `request completed` line with the route template,
 * status, duration and outcome. Add it first.
 *
 * @example
 * import express from 'express';
 * import { correlate, logErrors } from '@threadline/express';
 * const app = express();
 * app.use(correlate({ ignore: ['/healthz'] }));
 * app.get('/orders/:id', (req, res) => { log.info('loading order'); res.json({}); });
 * app.use(logErrors());
 */
export function correlate(options: CorrelateOptions = {}): CorrelateMiddleware {
  const correlator = createHttpCorrelator(options);
  return function threadlineCorrelate(req, res, next) {
    const scope = correlator.begin(req, res, {
      route: () => routeOf(req),
      clientAddress: () => req.ip,
    });
    context.with(scope.context, next);
  };
}

/**
 * Error middleware that logs the error (`request failed`, ERROR, with
 * `exception.type`, `exception.message` and `exception.stacktrace`) in the
 * request's scope and passes it on unchanged to the next error handler. Add
 * it after your routes, before your own error handlers.
 *
 * @example
 * app.use(logErrors());
 * app.use((err, req, res, next) => res.status(500).json({ error: 'internal' }));
 */
export function logErrors(options: LogErrorsOptions = {}): LogErrorsMiddleware {
  const logger = options.logger ?? getLogger('threadline.http');
  return function threadlineLogErrors(error, _req, _res, next) {
    // Error handlers run in the context of the request that failed.
    const scope = tryGetHttpRequestScope();
    if (scope) scope.fail(error);
    else {
      logger.error(
        'request failed',
        error instanceof Error
          ? error
          : { 'exception.type': typeof error, 'exception.message': error },
      );
    }
    next(error);
  };
}

/**
 * The matched route template, behind the template of the path its router is
 * mounted at. `req.baseUrl` is the path that matched the mount (`/users/42`),
 * so it is named by its template (`/users/:uid`); when no template is known
 * for it, the route's own template alone: never the ids in the path.
 */
function routeOf(req: ExpressRequest): string | undefined {
  const path = req.route?.path;
  if (typeof path !== 'string') return undefined;
  const base = req.baseUrl;
  if (typeof base !== 'string' || base === '') return path;
  const mount = mountTemplate(req.app, base);
  return mount === undefined ? path : mount + path;
}
