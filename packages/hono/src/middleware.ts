/**
 * Hono adapter: the shared HTTP correlation of @threadline/core, through
 * node:http's request and response on `@hono/node-server`, and through the
 * Fetch API's where there are none (`app.request()`), plus Hono's route
 * template and the errors its `onError` handles.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { createHttpCorrelator, type HttpRequestHooks } from '@threadline/core';
import { optionError } from '@threadline/core/internal';
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { METHOD_NAME_ALL } from 'hono/router';
import type { CorrelateMiddleware, CorrelateOptions } from './types.js';

/**
 * Middleware that puts every request on its own trace: the incoming trace
 * context (under `trust`), a span id of its own (or the active server span of
 * a tracing SDK), the request's attributes on every log line written while
 * handling it, and one `request completed` line with the route template,
 * status, duration and outcome. An error a handler throws is logged
 * (`request failed`, with `exception.*`) as Hono hands it to `onError`. Add
 * it first.
 *
 * @example
 * import { Hono } from 'hono';
 * import { correlate } from '@threadline/hono';
 * const app = new Hono();
 * app.use(correlate({ ignore: ['/healthz'] }));
 * app.get('/orders/:id', (c) => { log.info('loading order'); return c.json({}); });
 */
export function correlate(options: CorrelateOptions = {}): CorrelateMiddleware {
  const correlator = createHttpCorrelator(options);
  const getClientAddress = options.getClientAddress;
  if (getClientAddress !== undefined && typeof getClientAddress !== 'function') {
    throw optionError('getClientAddress', getClientAddress, 'a function (c) => string | undefined');
  }
  return async function threadlineCorrelate(c, next) {
    const hooks: HttpRequestHooks = {
      route: () => routeOf(c),
      clientAddress: getClientAddress && (() => getClientAddress(c)),
    };
    // `@hono/node-server` hands over node:http's pair as `c.env`: the
    // response's `close` then tells when it was sent, or abandoned, as with
    // Express and Koa. Elsewhere (`app.request()`), the Fetch API's.
    const env = c.env as { incoming?: unknown; outgoing?: unknown } | undefined;
    const incoming = env?.incoming;
    const outgoing = env?.outgoing;
    if (incoming instanceof IncomingMessage && outgoing instanceof ServerResponse) {
      const scope = correlator.begin(incoming, outgoing, hooks);
      await context.with(scope.context, () => handle(c, next, scope.fail));
      return;
    }
    const scope = correlator.beginFetch(c.req.raw, hooks);
    await context.with(scope.context, () => handle(c, next, scope.fail));
    const sent = scope.respond(c.res);
    if (sent !== c.res) c.res = sent;
  };
}

/**
 * Runs the rest of the request. Hono hands an `Error` a handler throws to
 * `onError` itself and keeps it as `c.error`; anything else thrown comes
 * back through `next()`, and is re-thrown unchanged.
 */
async function handle(c: Context, next: () => Promise<void>, fail: (error: unknown) => void) {
  try {
    await next();
  } catch (error) {
    fail(error);
    throw error;
  }
  if (c.error !== undefined) fail(c.error);
}

/**
 * The template of the route whose handler answered: the matched route at
 * `c.req.routeIndex` once the handlers have run (what `routePath(c)` of
 * `hono/route` gives there). None when that is middleware (`app.use()`, so
 * method ALL, with a handler taking `next`): Hono's not-found answer, or
 * middleware answering by itself, have no route, as with Express and Koa.
 */
function routeOf(c: Context): string | undefined {
  const route = matchedRoutes(c)[c.req.routeIndex];
  if (route === undefined) return undefined;
  if (route.method === METHOD_NAME_ALL && route.handler.length >= 2) return undefined;
  return route.path;
}
