/**
 * Public types of @threadline/bullmq. Structural where possible: BullMQ's
 * `Job` and the sandboxed job of a processor file both fit `BullJob`.
 */
import type { Logger } from '@threadline/core';

/** What the processor wrapper reads from a job (a BullMQ `Job` or `SandboxedJob`). */
export interface BullJob {
  id?: string;
  name: string;
  queueName?: string;
  /** Attempts that failed before this one. */
  attemptsMade?: number;
  /** When the job was added (epoch ms). */
  timestamp?: number;
  opts?: {
    attempts?: number;
    repeat?: unknown;
    telemetry?: { metadata?: string; omitContext?: boolean };
  };
  parent?: { id?: string; queueKey?: string };
  parentKey?: string;
  /** Set on runs of a repeatable job or a job scheduler. */
  repeatJobKey?: string;
}

/** Options of {@link correlateProcessor}. */
export interface CorrelateProcessorOptions {
  /**
   * `parent`: each attempt continues the trace of whoever added the job (the
   * request); `link`: each attempt starts a trace of its own, the origin's
   * trace id kept as `threadline.link.trace_id` on every line. Runs of
   * repeatable jobs and job schedulers always start a new trace.
   * @default 'parent'
   */
  mode?: 'parent' | 'link';
  /** Logger of `job started` / `job completed` / `job failed`. @default getLogger('threadline.bullmq') */
  logger?: Logger;
}
