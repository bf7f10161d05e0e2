// The lines correlateProcessor writes around a job, written by hand: the
// by-hand variant of job-throughput.ts and job-steps.ts.
import { log } from '@threadline/core';

/** What the lines read of a BullMQ job. */
export interface JobFields {
  id?: string;
  name: string;
  queueName: string;
  attemptsMade: number;
  timestamp: number;
  data: { n: number };
  opts: { attempts?: number };
}

/**
 * The wrapper's three lines and attributes (the job's six on each line, the
 * wait on the first and last, the duration) without its scope, and so
 * without trace context: what is left of the wrapper's cost is the scope's.
 */
export async function wrapperLinesByHand(job: JobFields): Promise<void> {
  const started = performance.now();
  const wait = Math.max(0, Date.now() - job.timestamp);
  const attributes = {
    'messaging.system': 'bullmq',
    'messaging.destination.name': job.queueName,
    'messaging.message.id': job.id,
    'threadline.job.name': job.name,
    'threadline.job.attempt': job.attemptsMade + 1,
    'threadline.job.max_attempts': Math.max(1, job.opts.attempts ?? 1),
  };
  log.info('job started', { ...attributes, 'threadline.job.wait_ms': wait });
  log.info('job processed', { ...attributes, n: job.data.n });
  log.info('job completed', {
    ...attributes,
    'threadline.duration_ms': Math.round((performance.now() - started) * 1000) / 1000,
    'threadline.job.wait_ms': wait,
  });
}
