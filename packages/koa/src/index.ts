/**
 * @threadline/koa — every Koa request on its own thread.
 */
export { correlate } from './middleware.js';
export type { CorrelateMiddleware, CorrelateOptions, KoaContext, KoaNext } from './types.js';
