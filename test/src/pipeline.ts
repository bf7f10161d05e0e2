/**
 * The set-up every adapter's test file shares: a real OTLP receiver, the
 * running Threadline exporting to it, and a clean slate between tests.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type OtlpReceiver, type ReceivedRecord, startOtlpReceiver } from './receiver.js';

/**
 * The options of a Threadline started by a test: no signal handlers, no
 * `service started` record, no diagnostics, and no variables of the
 * machine's environment read. Spread them first: `startThreadline({ ...QUIET, endpoint })`.
 */
export const QUIET = {
  handleSignals: false,
  logStartup: false,
  diagnostics: 'silent',
  env: {},
} as const;

/** What the hooks need of a Threadline handle (`startThreadline()`'s). */
export interface FlushableHandle {
  forceFlush(timeoutMillis?: number): Promise<void>;
  shutdown(): Promise<void>;
}

export interface ReceiverPipeline {
  /** Flushes, then returns the records received since the test began, in the order they were written. */
  exported(): Promise<ReceivedRecord[]>;
  receiver(): OtlpReceiver;
}

/**
 * Registers `beforeAll` (start a receiver, then `start(endpoint)`),
 * `beforeEach` (flush what an earlier test left, reset the receiver) and
 * `afterAll` (shut both down). Call it at the top level of a test file.
 *
 * @example
 * const pipeline = useReceiverPipeline((endpoint) =>
 *   startThreadline({ endpoint, handleSignals: false, logStartup: false, diagnostics: 'silent', env: {} }),
 * );
 */
export function useReceiverPipeline(
  start: (endpoint: string) => FlushableHandle,
): ReceiverPipeline {
  let receiver: OtlpReceiver | undefined;
  let handle: FlushableHandle | undefined;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    handle = start(receiver.url);
  });
  afterAll(async () => {
    await handle?.shutdown();
    await receiver?.close();
  });
  beforeEach(async () => {
    // Whatever an earlier test left queued is not this test's.
    await handle?.forceFlush(5000);
    receiver?.reset();
  });
  return {
    async exported() {
      await handle?.forceFlush(5000);
      // A batch groups records by logger: put them back in the order they were written.
      return [...(receiver?.records ?? [])].sort((a, b) =>
        BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : 1,
      );
    },
    receiver() {
      if (!receiver) throw new Error('useReceiverPipeline: the receiver starts in beforeAll');
      return receiver;
    },
  };
}
