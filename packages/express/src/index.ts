/**
 * @threadline/express — every Express request on its own thread.
 */
export { correlate, logErrors } from './middleware.js';
export type {
  CorrelateMiddleware,
  CorrelateOptions,
  ExpressNext,
  ExpressRequest,
  LogErrorsMiddleware,
  LogErrorsOptions,
} from './types.js';
