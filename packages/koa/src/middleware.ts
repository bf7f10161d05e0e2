/**
 * Koa adapter: the shared HTTP correlation of @threadline/core, plus the
 * route template from `@koa/router` and Koa's thrown errors.
 */
import { context } from '@opentelemetry/api';
import { createHttpCorrelator } from '@threadline/core';
import type { CorrelateMiddleware, CorrelateOptions, KoaContext } from './types.js';

/**
 * Middleware that puts every request on its own trace: the incoming trace
 * context (under `trust`), a span id of its own (or the active server span of
 * a tracing SDK), the request's attributes on every log line written while
 * handling it, and one `request completed` line with the route template,
 * status, duration and outcome. An error thrown downstream is logged
 * (`request failed`, with `exception.*`) and re-thrown unchanged. Add it
 * first.
 *
 * @example
 * import Koa from 'koa';
 * import { correlate } from '@threadline/koa';
 * const app = new Koa();
 * app.use(correlate({ ignore: ['/healthz'] }));
 * app.use(router.routes());
 */
export function correlate(options: CorrelateOptions = {}): CorrelateMiddleware {
  const correlator = createHttpCorrelator(options);
  return function threadlineCorrelate(ctx, next) {
    const scope = correlator.begin(ctx.req, ctx.res, {
      route: () => routeOf(ctx),
      clientAddress: () => ctx.ip,
    });
    return context.with(scope.context, () =>
      next().then(
        () => undefined,
        (error: unknown) => {
          scope.fail(error);
          throw error;
        },
      ),
    );
  };
}

function routeOf(ctx: KoaContext): string | undefined {
  const route = ctx._matchedRoute;
  return typeof route === 'string' ? route : undefined;
}
