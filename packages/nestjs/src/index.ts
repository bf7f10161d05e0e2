/**
 * @threadline/nestjs — Nest's lines and exceptions on the request's thread.
 */
export { ThreadlineExceptionFilter } from './exception-filter.js';
export { DEFAULT_LOGGER_NAME, ThreadlineLogger } from './logger.js';
export type { ThreadlineLoggerOptions } from './types.js';
