import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { startThreadline, type ThreadlineHandle, type ThreadlineOptions } from '../src/index.js';

/** Starts Threadline with an in-memory exporter (unit tests; wire tests use a real receiver). */
export function startInMemory(options: ThreadlineOptions = {}): {
  handle: ThreadlineHandle;
  exporter: InMemoryLogRecordExporter;
  records: () => Promise<ReadableLogRecord[]>;
} {
  const exporter = new InMemoryLogRecordExporter();
  const handle = startThreadline({
    exporter,
    handleSignals: false,
    logStartup: false,
    diagnostics: 'silent',
    env: {},
    ...options,
  });
  return {
    handle,
    exporter,
    records: async () => {
      await handle.forceFlush(5000);
      return exporter.getFinishedLogRecords();
    },
  };
}
