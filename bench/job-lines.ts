// The lines correlateProcessor writes around a job, written by hand: the
// by-hand variant of job-throughput.ts and job-steps.ts; and the floor of
// continuing the job's trace around them.
import { randomFillSync } from 'node:crypto';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { log } from '@threadline/core';

/** What the lines read of a BullMQ job. */
export interface JobFields {
  id?: string;
  name: string;
  queueName: string;
  attemptsMade: number;
  timestamp: number;
  data: { n: number };
  opts: { attempts?: number; telemetry?: { metadata?: string } };
}

/**
 * The wrapper's three lines and attributes (the job's six on each line, the
 * wait on the first and last, the duration) without its scope, and so
 * without trace context: what is left of the wrapper's cost is the scope's.
 */
export function wrapperLinesByHand(job: JobFields): Promise<void> {
  return lines(job, undefined);
}

async function lines(job: JobFields, parentSpanId: string | undefined): Promise<void> {
  const started = performance.now();
  const wait = Math.max(0, Date.now() - job.timestamp);
  const attributes: Record<string, unknown> = {
    'messaging.system': 'bullmq',
    'messaging.destination.name': job.queueName,
    'messaging.message.id': job.id,
    'threadline.job.name': job.name,
    'threadline.job.attempt': job.attemptsMade + 1,
    'threadline.job.max_attempts': Math.max(1, job.opts.attempts ?? 1),
  };
  if (parentSpanId !== undefined) attributes['threadline.parent_span_id'] = parentSpanId;
  log.info('job started', { ...attributes, 'threadline.job.wait_ms': wait });
  log.info('job processed', { ...attributes, n: job.data.n });
  log.info('job completed', {
    ...attributes,
    'threadline.duration_ms': Math.round((performance.now() - started) * 1000) / 1000,
    'threadline.job.wait_ms': wait,
  });
}

// Span ids from a pool of random bytes, refilled when used up.
const pool = Buffer.alloc(8 * 1024);
let used = pool.length;
function spanId(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 8;
  return pool.toString('hex', used - 8, used);
}

/**
 * The parent a Threadline producer names: the hop that sent the job, from
 * its `threadline=<hop>.<call>` tracestate member when the call is the
 * traceparent's parent id (its call id); otherwise that parent id.
 */
function parentOf(parentId: string, tracestate: unknown): string {
  if (typeof tracestate !== 'string') return parentId;
  // Where the member starts (the comma put in front finds a first member too).
  const at = `,${tracestate}`.indexOf(',threadline=');
  if (at < 0) return parentId;
  const entry = tracestate.slice(at + 11, at + 44);
  return entry.length === 33 && entry[16] === '.' && entry.slice(17) === parentId
    ? entry.slice(0, 16)
    : parentId;
}

/**
 * The floor of continuing a job's trace: the least any design does above
 * the lines by hand. The carried context read out of the job's metadata
 * (parsed; the ids sliced out of the traceparent, its form checked by its
 * length only; the parent hop found in the tracestate), a span id, one
 * context entry holding the span context, the lines written in it (each
 * record gets the trace and span ids) with the parent span id as one
 * attribute more: the wrapper's records, byte for byte as many. No scope, no
 * validation of the ids or the tracestate, no `started`/`completed` framing
 * of the job's outcome. A job without a traceparent gets the lines by hand
 * (the wrapper would start a trace).
 */
export function continuedLines(job: JobFields): Promise<void> {
  const metadata = job.opts.telemetry?.metadata;
  const carrier =
    typeof metadata === 'string'
      ? (JSON.parse(metadata) as { traceparent?: unknown; tracestate?: unknown })
      : undefined;
  const tp = carrier?.traceparent;
  if (typeof tp !== 'string' || tp.length !== 55) return lines(job, undefined);
  const ctx = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: tp.slice(3, 35),
    spanId: spanId(),
    traceFlags: Number.parseInt(tp.slice(53, 55), 16) & 0x03,
  });
  return context.with(ctx, lines, undefined, job, parentOf(tp.slice(36, 52), carrier?.tracestate));
}
