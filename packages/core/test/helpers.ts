import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { QUIET } from '@threadline/testing/pipeline';
import { afterAll, beforeAll, beforeEach } from 'vitest';
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
    ...QUIET,
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
 * {@link startInMemory} for the tests of one file: started before them, shut
 * down after them, with the records of earlier tests flushed and cleared
 * before each.
 */
export function useInMemory(options: ThreadlineOptions = {}): ReturnType<typeof startInMemory> & {
  /** The records written since the last call (or since the test began). */
  flushed(): Promise<ReadableLogRecord[]>;
} {
  let started: ReturnType<typeof startInMemory> | undefined;
  const get = () => {
    if (started === undefined) throw new Error('useInMemory(): Threadline starts in beforeAll');
    return started;
  };
  beforeAll(() => {
    started = startInMemory(options);
  });
  afterAll(async () => {
    await started?.handle.shutdown();
  });
  beforeEach(async () => {
    await get().handle.forceFlush();
    get().exporter.reset();
  });
  return {
    get handle() {
      return get().handle;
    },
    get exporter() {
      return get().exporter;
    },
    records: () => get().records(),
    flushed: async () => {
      const records = [...(await get().records())];
      get().exporter.reset();
      return records;
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
