/**
 * `@threadline/core/internal`: helpers Threadline's own packages share with
 * core, so that each rule is written once. Not part of the public API: they
 * may change in any release, in step with the packages that use them.
 */
export {
  assertFunction,
  bad as optionError,
  describe as describeValue,
  oneOfOption,
} from './internal/options.js';
export { setOwn } from './internal/serialize.js';
