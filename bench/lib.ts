// Helpers shared by the benchmark drivers.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { startThreadline, type ThreadlineHandle } from '@threadline/core';

export const args = process.argv.slice(2);

/** `--name N` from the command line, or `fallback`. */
export function arg(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** `--name text` from the command line, or `fallback`. */
export function textArg(name: string): string | undefined;
export function textArg(name: string, fallback: string): string;
export function textArg(name: string, fallback?: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : fallback;
}

/** A file of this folder, as a path. */
export const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** The next IPC message of `type` from `child`; rejects if it exits first. */
export function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`process exited (${code}) waiting for ${type}`));
    const on = (m: { type: string }) => {
      if (m.type === type) {
        child.off('message', on);
        child.off('exit', onExit);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.once('exit', onExit);
  });
}

/**
 * Measures `count` variants of a benchmark, each in a fresh process of
 * `script` (run with `--child <index> --url <receiver> ...extra`, answering
 * through {@link answerAsChild}), interleaved within each of `rounds`, with
 * a counting receiver for their exports. Returns each variant's figures.
 */
export async function interleaved(
  script: string,
  count: number,
  rounds: number,
  extra: string[],
): Promise<number[][]> {
  const receiver = await forkReceiver();
  const results = Array.from({ length: count }, () => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < count; i++) {
      const c = fork(here(script), ['--child', String(i), '--url', receiver.url, ...extra], {
        execArgv: ['--import', 'tsx'],
      });
      const { us } = await once<{ us: number }>(c, 'result');
      results[i]?.push(us);
    }
  }
  receiver.close();
  return results;
}

/** In a process of {@link interleaved}: measures its variant, sends the figure, exits. */
export async function answerAsChild(
  measure: (index: number, url: string) => Promise<number>,
): Promise<never> {
  const us = await measure(arg('child', 0), args[args.indexOf('--url') + 1] as string);
  process.send?.({ type: 'result', us });
  process.exit(0);
}

export const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The counting OTLP receiver (receiver-process.ts) in its own process, ready. */
export interface Receiver {
  /** Its OTLP/HTTP logs endpoint. */
  url: string;
  /** Its process id (for its CPU time). */
  pid: number | undefined;
  /** Sends `{ type }` and waits for its answer of the same type (`count`, `reset`, `down`, `up`). */
  ask<T>(type: string): Promise<T>;
  /** Records counted and body bytes received so far. */
  count(): Promise<{ count: number; bytes: number }>;
  /** Sets both counters back to 0. */
  reset(): Promise<void>;
  /** The count once it stops moving: two reads `pauseMs` apart that agree. */
  settled(pauseMs: number): Promise<number>;
  /** Asks it to close its server and exit (does not wait). */
  close(): void;
}

/** Forks receiver-process.ts (under tsx) and waits until it listens. */
export async function forkReceiver(): Promise<Receiver> {
  const child = fork(here('./receiver-process.ts'), [], { execArgv: ['--import', 'tsx'] });
  const { url } = await once<{ url: string }>(child, 'ready');
  const ask = async <T>(type: string): Promise<T> => {
    const p = once<T>(child, type);
    child.send({ type });
    return p;
  };
  const count = () => ask<{ count: number; bytes: number }>('count');
  return {
    url,
    pid: child.pid,
    ask,
    count,
    reset: async () => {
      await ask('reset');
    },
    settled: async (pauseMs) => {
      let last = -1;
      for (;;) {
        const { count: now } = await count();
        if (now === last) return now;
        last = now;
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    },
    close: () => {
      child.send({ type: 'close' });
    },
  };
}

/** What a pinned pino process reported: µs a line until exported and on the logging thread, minor page faults. */
export interface PinnedRun {
  total: number;
  thread: number;
  faults: number | undefined;
}

/**
 * Runs `node [nodeArgs…]` (a pino scenario that sends `{ writeMs, totalMs }`
 * for `lines` lines) pinned to core 0 under `/usr/bin/time`, waits for it to
 * exit and for `receiver` to settle, and returns its figures.
 */
export async function runPinned(
  nodeArgs: string[],
  lines: number,
  receiver: Receiver,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PinnedRun> {
  const child = spawn(
    'taskset',
    ['-c', '0', '/usr/bin/time', '-f', 'FAULTS %R', process.execPath, ...nodeArgs],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = await new Promise<{ writeMs: number; totalMs: number }>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) =>
      reject(new Error(`${nodeArgs.join(' ')}: exited (${code}) ${stderr}`)),
    );
  });
  await new Promise((resolve) => child.once('exit', resolve));
  await receiver.settled(100);
  const faults = /FAULTS (\d+)/.exec(stderr);
  return {
    total: (done.totalMs * 1000) / lines,
    thread: (done.writeMs * 1000) / lines,
    faults: faults ? Number(faults[1]) : undefined,
  };
}

/**
 * Starts Threadline with an exporter that keeps what it is given (nothing
 * sent), in batches of `batch`: records as the pipeline makes them, for the
 * benchmarks that take them apart.
 */
export function startCapturing(batch: number): {
  handle: ThreadlineHandle;
  records: () => ReadableLogRecord[];
} {
  let records: ReadableLogRecord[] = [];
  const capture: LogRecordExporter = {
    export: (r, done) => {
      records = records.concat(r);
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  const handle = startThreadline({
    serviceName: 'bench',
    exporter: capture,
    maxExportBatchSize: batch,
    handleSignals: false,
    logStartup: false,
    diagnostics: 'silent',
    env: {},
  });
  return { handle, records: () => records };
}
