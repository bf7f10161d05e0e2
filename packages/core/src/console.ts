/**
 * Opt-in console capture: for legacy code paths that still call `console.*`,
 * each call also becomes a record in the pipeline (with the trace context and
 * scope of the moment). What the console prints is unchanged.
 */
import { formatWithOptions } from 'node:util';
import { emitBridged } from './internal/logger.js';
import { SEVERITY_NUMBER } from './severity.js';

const METHODS = {
  debug: SEVERITY_NUMBER.debug,
  log: SEVERITY_NUMBER.info,
  info: SEVERITY_NUMBER.info,
  warn: SEVERITY_NUMBER.warn,
  error: SEVERITY_NUMBER.error,
} as const;
type Method = keyof typeof METHODS;

// Set while a captured call is being forwarded: anything the pipeline itself
// prints to the console then (a diagnostics function using console.error,
// say) is not captured again.
let forwarding = false;
let active: (() => void) | undefined;

/**
 * Captures `console.debug/log/info/warn/error` into the pipeline (severity
 * DEBUG, INFO, INFO, WARN, ERROR; the formatted message as body; under the
 * instrumentation scope `console`). Returns a function that restores the
 * console. Calling it again while active returns the same restore function.
 *
 * @example
 * const restore = captureConsole();
 * console.warn('legacy path hit', { id }); // printed as before, and exported
 */
export function captureConsole(): () => void {
  if (active) return active;
  const originals = new Map<Method, (...args: unknown[]) => void>();
  for (const method of Object.keys(METHODS) as Method[]) {
    const original = console[method] as (...args: unknown[]) => void;
    originals.set(method, original);
    console[method] = function threadlineConsole(...args: unknown[]) {
      original.apply(console, args);
      if (forwarding) return;
      forwarding = true;
      try {
        emitBridged('console', {
          severityNumber: METHODS[method],
          body: formatWithOptions(
            { colors: false, breakLength: Number.POSITIVE_INFINITY },
            ...args,
          ),
        });
      } finally {
        forwarding = false;
      }
    };
  }
  active = () => {
    for (const [method, original] of originals) console[method] = original as never;
    active = undefined;
  };
  return active;
}
