/**
 * Worker side: each attempt of a job in a job scope of its own (core's
 * `withJobScope`), continuing the trace carried in the job's metadata.
 */
import {
  diagnoseOnce,
  getLogger,
  type JobScopeOptions,
  type Logger,
  tryGetThreadline,
  withJobScope,
} from '@threadline/core';
import { assertFunction, oneOfOption } from '@threadline/core/internal';
import { assertQueueLibraryCanRun } from './driver-check.js';
import { parseMetadata } from './telemetry.js';
import type { BullJob, CorrelateProcessorOptions } from './types.js';

/**
 * Wraps a BullMQ processor: every attempt runs in a job scope whose lines
 * carry `messaging.system` = `bullmq`, the queue, the job id, name, attempt
 * and max attempts, and the parent job id for flows, on the trace of the
 * request that added the job (`parent` mode) or on a trace of its own that
 * keeps the origin's trace id (`link` mode). Writes `job started` (with the
 * wait since the job was added), `job completed` (duration and wait) and
 * `job failed` (exception, and whether BullMQ will retry it), or
 * `job postponed` (INFO) when the processor throws one of the errors BullMQ
 * documents as the way to run a job later (`DelayedError`, `WaitingError`,
 * `WaitingChildrenError`, `Worker.RateLimitError()`), and returns or throws
 * exactly what the processor does. Missing or malformed carried context:
 * a fresh trace and one warning, never a failed job.
 *
 * Works as well in a sandboxed processor file (start Threadline at the top of
 * that file: it runs in its own process).
 *
 * @example
 * const worker = new Worker('emails', correlateProcessor(async (job) => {
 *   log.info('sending'); // the request's trace id, the job's id and attempt
 * }), { connection });
 */
export function correlateProcessor<J extends BullJob, A extends unknown[], R>(
  processor: (job: J, ...rest: A) => R | Promise<R>,
  options: CorrelateProcessorOptions = {},
): (job: J, ...rest: A) => Promise<R> {
  assertFunction('correlateProcessor(processor)', processor);
  const mode = oneOfOption('mode', options.mode ?? 'parent', ['parent', 'link']);
  assertQueueLibraryCanRun();
  const logger = options.logger ?? getLogger('threadline.bullmq');
  // Not `async`: withJobScope's promise is returned as it is, not wrapped in
  // another (measured: bench/README.md, "Figures behind the code"). Only a
  // sandboxed job waits for the flush.
  return function threadlineProcessor(job, ...rest) {
    try {
      const run = withJobScope(jobScope(job, mode, logger), () => processor(job, ...rest));
      return inSandbox(job) ? flushedAfter(run) : run;
    } catch (error) {
      // As an `async` function would: a rejected promise, never a throw.
      return Promise.reject(error);
    }
  };
}

/** The job scope of one attempt of `job`. */
function jobScope(job: BullJob, mode: 'parent' | 'link', logger: Logger): JobScopeOptions {
  const repeated = Boolean(job?.repeatJobKey || job?.opts?.repeat);
  const attempt = (job?.attemptsMade ?? 0) + 1;
  const maxAttempts = Math.max(1, job?.opts?.attempts ?? 1);
  return {
    system: 'bullmq',
    queue: job?.queueName,
    id: job?.id,
    name: job?.name,
    attempt,
    maxAttempts,
    parentId: job?.parent?.id ?? parentIdFromKey(job?.parentKey),
    enqueuedAt: job?.timestamp,
    // Each run of a scheduler gets a new trace: never one endless trace.
    mode: repeated ? 'root' : mode,
    carrier: repeated ? null : (parseMetadata(job?.opts?.telemetry?.metadata) ?? null),
    // BullMQ retries unless attempts are spent or the error says not to.
    willRetry: (error) =>
      attempt < maxAttempts && !(error instanceof Error && error.name === 'UnrecoverableError'),
    postponed: postponesJob,
    logger,
  };
}

/** The errors BullMQ's Worker takes as "run this job later", matched as it matches them: by name. */
const POSTPONING_ERRORS = new Set(['DelayedError', 'WaitingError', 'WaitingChildrenError']);
/** `Worker.RateLimitError()`'s message: BullMQ matches the rate limit by message alone. */
const RATE_LIMIT_MESSAGE = 'bullmq:rateLimitExceeded';

/**
 * Whether BullMQ will move the job back (delayed, waiting, waiting for its
 * children, rate-limited) rather than count a failed attempt (Worker's
 * `handleFailed`, bullmq 6).
 */
function postponesJob(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return (
    message === RATE_LIMIT_MESSAGE || (typeof name === 'string' && POSTPONING_ERRORS.has(name))
  );
}

/**
 * BullMQ ends a sandbox process with process.exit(): nothing queued would
 * survive it, so each job's records are sent before its result.
 */
async function flushedAfter<R>(run: Promise<R>): Promise<R> {
  try {
    return await run;
  } finally {
    await tryGetThreadline()?.forceFlush(SANDBOX_FLUSH_MILLIS);
  }
}

/** How long a sandboxed job waits at most for its records to be sent. */
const SANDBOX_FLUSH_MILLIS = 2000;

/** A job handed to a processor file in a process BullMQ forked (a `SandboxedJob`, not a `Job`). */
function inSandbox(job: BullJob): boolean {
  return (
    typeof process.send === 'function' &&
    job !== null &&
    typeof job === 'object' &&
    !('queue' in job)
  );
}

/** `bull:queue:id` → `id` */
function parentIdFromKey(key: string | undefined): string | undefined {
  if (!key) return undefined;
  const i = key.lastIndexOf(':');
  return i === -1 ? key : key.slice(i + 1);
}

/** What `logStalledJobs` needs of a BullMQ `Worker`. */
export interface StalledEmitter {
  name: string;
  on(event: 'stalled', listener: (jobId: string, previous: string) => void): unknown;
}

/**
 * Logs each job the worker finds stalled (its lock expired: the process
 * handling it died or blocked the event loop), as `job stalled` (WARN) with
 * the queue and job id. BullMQ moves it back to wait or fails it.
 *
 * @example
 * logStalledJobs(worker);
 */
export function logStalledJobs<W extends StalledEmitter>(
  worker: W,
  options: { logger?: Logger } = {},
): W {
  const logger = options.logger ?? getLogger('threadline.bullmq');
  worker.on('stalled', (jobId, previous) => {
    try {
      logger.warn('job stalled', {
        'messaging.system': 'bullmq',
        'messaging.destination.name': worker.name,
        'messaging.message.id': jobId,
        'threadline.job.previous_state': previous,
      });
    } catch (error) {
      diagnoseOnce('bullmq-stalled', `a job stalled line was lost: ${String(error)}`);
    }
  });
  return worker;
}
