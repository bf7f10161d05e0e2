/**
 * @threadline/hono — every Hono request on its own thread.
 */
export { correlate } from './middleware.js';
export type { CorrelateMiddleware, CorrelateOptions } from './types.js';
