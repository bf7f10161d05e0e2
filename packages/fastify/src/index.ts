/**
 * @threadline/fastify — every Fastify request on its own thread.
 */
export { threadline } from './plugin.js';
export type { ThreadlineFastifyOptions } from './types.js';
