/**
 * Public types of @threadline/fastify.
 */
import type { HttpCorrelationOptions, Logger } from '@threadline/core';

/**
 * Options of the {@link threadline} plugin: the shared HTTP options of
 * `@threadline/core` (as `correlate()` takes them in @threadline/express and
 * @threadline/koa), with one more choice for `logger`.
 */
export interface ThreadlineFastifyOptions extends Omit<HttpCorrelationOptions, 'logger'> {
  /**
   * Logger for `request completed` and `request failed`: a Threadline
   * logger, or `'request.log'`, each request's own Fastify logger (pino, with
   * Fastify's `reqId`), for a Fastify logger whose lines go to Threadline
   * through @threadline/pino: the lines are then printed with the others
   * and exported once, by the bridge. The Fastify instance must have a
   * logger for `'request.log'`.
   * @default getLogger('threadline.http')
   */
  logger?: Logger | 'request.log';
}
