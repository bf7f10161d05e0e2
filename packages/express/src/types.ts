/**
 * Public types of @threadline/express. Structural, so that using the package
 * needs no `@types/express`, and fits Express 4 and 5 alike: the `Request`,
 * `Response` and `NextFunction` of `@types/express` 4.17 and 5 fit them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpCorrelationOptions, Logger } from '@threadline/core';

/** Options of {@link correlate}: the shared HTTP options of `@threadline/core`. */
export type CorrelateOptions = HttpCorrelationOptions;

/** Options of {@link logErrors}. */
export interface LogErrorsOptions {
  /** Logger for the `request failed` line when `correlate()` did not run for the request. @default getLogger('threadline.http') */
  logger?: Logger;
}

/** What the middleware reads from Express's request. */
export interface ExpressRequest extends IncomingMessage {
  /** Set by Express's router to the matched route. */
  route?: { path?: unknown };
  /** The path that matched the mount path of the router that matched (ids included). */
  baseUrl?: string;
  /** The (sub-)app handling the request: its router names the mount paths. */
  app?: unknown;
  /** The client address, proxies included when `trust proxy` is set. */
  ip?: string;
}

/** Express's `next`. */
export type ExpressNext = (error?: unknown) => void;

/** The request middleware returned by {@link correlate}. */
export type CorrelateMiddleware = (
  req: ExpressRequest,
  res: ServerResponse,
  next: ExpressNext,
) => void;

/** The error middleware returned by {@link logErrors}. */
export type LogErrorsMiddleware = (
  error: unknown,
  req: ExpressRequest,
  res: ServerResponse,
  next: ExpressNext,
) => void;
