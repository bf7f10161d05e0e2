/**
 * Public types of @threadline/koa. Structural, so that Koa's own context and
 * `next` fit them without `@types/koa` being required.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpCorrelationOptions } from '@threadline/core';

/** Options of {@link correlate}: the shared HTTP options of `@threadline/core`. */
export type CorrelateOptions = HttpCorrelationOptions;

/** What the middleware reads from Koa's context. */
export interface KoaContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The client address, proxies included when `app.proxy` is set. */
  ip?: string;
  /** Set by `@koa/router` to the matched route template (prefix included). */
  _matchedRoute?: unknown;
}

/** Koa's `next`. */
export type KoaNext = () => Promise<unknown>;

/** The middleware returned by {@link correlate}. */
export type CorrelateMiddleware = (ctx: KoaContext, next: KoaNext) => Promise<void>;
