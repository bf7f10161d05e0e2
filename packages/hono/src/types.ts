/**
 * Public types of @threadline/hono.
 */
import type { HttpCorrelationOptions } from '@threadline/core';
import type { Context, MiddlewareHandler } from 'hono';

/** Options of {@link correlate}: the shared HTTP options of `@threadline/core`, and one of Hono's own. */
export interface CorrelateOptions extends HttpCorrelationOptions {
  /**
   * The client's address for `client.address` (when `clientAddress` is
   * true). Hono has no proxy setting of its own, so by default it is the
   * socket's peer address on `@hono/node-server`, and none under
   * `app.request()`; behind a proxy you trust, read the address it forwards
   * here.
   * @default undefined: the socket's peer address, when there is a socket
   */
  getClientAddress?: (c: Context) => string | undefined;
}

/** The middleware returned by {@link correlate}: Hono's own middleware type. */
export type CorrelateMiddleware = MiddlewareHandler;
