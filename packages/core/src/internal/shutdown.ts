/**
 * Flush on the way out without changing how the process ends: on SIGTERM or
 * SIGINT, flush within the deadline; then, if nobody else listens for the
 * signal, re-raise it so the process ends exactly as it would have without
 * Threadline (same signal, same exit status). Never `process.exit`.
 */
import type { ThreadlineHandle } from '../types.js';
import { thrownValue } from './serialize.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installShutdownHooks(
  handle: ThreadlineHandle,
  options: {
    signals: boolean;
    uncaught: boolean;
    timeoutMillis: number;
    hasQueued: () => boolean;
  },
): () => void {
  const removers: Array<() => void> = [];

  if (options.uncaught) {
    // An uncaught exception, or a rejection nobody handles (Node raises it as
    // one by default): log it, and flush before the process dies.
    const onUncaught = (error: unknown, origin: string): void => {
      const rejection = origin === 'unhandledRejection';
      try {
        handle.logger.fatal(
          rejection ? 'unhandled rejection' : 'uncaught exception',
          thrownValue(error).attributes,
        );
      } catch {
        // Never stand between the process and its error.
      }
      if (process.listenerCount('uncaughtException') > 1) {
        // The application handles it and decides what happens next.
        void handle.forceFlush(options.timeoutMillis).catch(() => undefined);
        return;
      }
      // Node would end the process now. Flush within the deadline, then hand
      // the error back to Node unhandled, so it prints it and exits (status 1)
      // exactly as it would have.
      process.off('uncaughtException', onUncaught);
      void handle
        .shutdown(options.timeoutMillis)
        .catch(() => undefined)
        .then(() => {
          setImmediate(() => {
            if (rejection) void Promise.reject(error);
            else throw error;
          });
        });
    };
    process.on('uncaughtException', onUncaught);
    removers.push(() => process.off('uncaughtException', onUncaught));
  }

  if (options.signals) {
    for (const signal of SIGNALS) {
      const onSignal = (): void => {
        // Ours runs first (prepended), so a `once` handler of the application
        // is still registered here and counts.
        if (process.listenerCount(signal) > 1) {
          // The application ends the process itself: flush, and keep logging
          // for its own shutdown (it calls `shutdown()` when it is done).
          void handle.forceFlush(options.timeoutMillis).catch(() => undefined);
          return;
        }
        // `shutdown()` removes this listener at once: a second signal while
        // flushing gets the default action and ends the process without waiting.
        void handle
          .shutdown(options.timeoutMillis)
          .catch(() => undefined)
          .then(() => {
            // The default action, now that nothing listens: the process ends by this signal.
            if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
          });
      };
      process.prependListener(signal, onSignal);
      removers.push(() => process.removeListener(signal, onSignal));
    }
  }

  // A process that simply runs out of work would exit with records still
  // queued (the export timer is unref'd): flush once more before it goes.
  let lastAttemptExported = -1;
  const onBeforeExit = (): void => {
    if (!options.hasQueued()) return;
    const exported = handle.stats().exported;
    if (exported === lastAttemptExported) return; // no progress last time: let it exit
    lastAttemptExported = exported;
    void handle.forceFlush(options.timeoutMillis);
  };
  process.on('beforeExit', onBeforeExit);
  removers.push(() => process.removeListener('beforeExit', onBeforeExit));

  return () => {
    for (const r of removers.splice(0)) r();
  };
}
