import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/**
 * Runs `test/fixtures/<fixture>` in a process of its own, exporting to
 * `endpoint` (as ENDPOINT); its stderr is collected, and `ready` resolves on
 * its first IPC message.
 */
export function forkFixture(fixture: string, endpoint: string, env: Record<string, string> = {}) {
  const child = fork(fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)), {
    env: { ...process.env, ENDPOINT: endpoint, OTEL_SERVICE_NAME: '', ...env },
    stdio: 'pipe',
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
  return { child, exited, ready, stderr: () => stderr };
}
