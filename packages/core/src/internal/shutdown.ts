/**
 * Flush on the way out without changing how the process ends: on SIGTERM or
 * SIGINT, flush within the deadline; then, if nobody else listens for the
 * signal, re-raise it so the process ends exactly as it would have without
 * Threadline (same signal, same exit status). Never `process.exit`.
 */
import type { ThreadlineHandle } from '../types.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installShutdownHooks(
  handle: ThreadlineHandle,
  options: { signals: boolean; timeoutMillis: number; hasQueued: () => boolean },
): () => void {
  const removers: Array<() => void> = [];

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
