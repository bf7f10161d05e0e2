/**
 * The public loggers.
 */
import { ThreadlineLogger } from './internal/logger.js';
import { warnOnce } from './internal/state.js';
import type { Logger } from './types.js';

/**
 * The default logger. Usable before {@link startThreadline}: up to 1000
 * records are kept and sent once it starts; later ones are dropped and
 * counted (`stats().dropped.beforeStart`). Never throws.
 *
 * @example
 * import { log } from '@threadline/core';
 * log.info('cache warmed', { entries: 1200 });
 */
export const log: Logger = new ThreadlineLogger('threadline');

const loggers = new Map<string, Logger>();
/** Distinct names cached; past it (a name per request, say) loggers are not kept. */
const MAX_CACHED_LOGGERS = 1000;

/**
 * A logger whose records are exported under instrumentation scope `name`
 * (e.g. a module or component), with an optional version.
 *
 * @example
 * const db = getLogger('orders.db');
 * db.warn('slow query', { 'db.query.duration_ms': 812 });
 */
export function getLogger(name: string, version?: string): Logger {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `Threadline: getLogger(name) needs a non-empty string; got ${JSON.stringify(name)}`,
    );
  }
  const key = version === undefined ? name : `${name}@${version}`;
  let logger = loggers.get(key);
  if (!logger) {
    logger = new ThreadlineLogger(name, undefined, version);
    if (loggers.size < MAX_CACHED_LOGGERS) loggers.set(key, logger);
    else {
      warnOnce(
        'many-loggers',
        `getLogger() was called with more than ${MAX_CACHED_LOGGERS} names; use one logger per component and put per-request values in attributes`,
      );
    }
  }
  return logger;
}
