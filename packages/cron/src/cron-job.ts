/**
 * cronJob(): a scheduled function on a thread of its own per run, for any
 * scheduler (node-cron, croner, cron, setInterval), on core's job scope.
 */
import { randomUUID } from 'node:crypto';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { diagnoseOnce, getLogger, withJobScope } from '@threadline/core';
import { assertFunction, oneOfOption } from '@threadline/core/internal';
import type { CronJobOptions, CronRunner } from './types.js';

/** `threadline.cron.run_id`: one id per run. */
export const ATTR_CRON_RUN_ID = 'threadline.cron.run_id';
/** `threadline.cron.schedule`: the schedule given in the options. */
export const ATTR_CRON_SCHEDULE = 'threadline.cron.schedule';
/** `threadline.cron.scheduled_time`: when the run was due (ISO 8601). */
export const ATTR_CRON_SCHEDULED_TIME = 'threadline.cron.scheduled_time';
/** `threadline.cron.lag_ms`: how late the run started. */
export const ATTR_CRON_LAG_MS = 'threadline.cron.lag_ms';
/** `threadline.cron.overlaps_run_id`: the run still running when this one started (or was skipped). */
export const ATTR_CRON_OVERLAPS_RUN_ID = 'threadline.cron.overlaps_run_id';
/** `threadline.cron.consecutive_failures`: on a failed line, failures in a row including this one. */
export const ATTR_CRON_CONSECUTIVE_FAILURES = 'threadline.cron.consecutive_failures';

/**
 * Wraps `fn` for a scheduler. Each run is a new root trace (never the context
 * of whoever scheduled it) with a run id, the job's name, the schedule, the
 * scheduled time and lag when known, and one `cron run started` and one
 * `cron run completed` or `cron run failed` line (duration, exception,
 * consecutive failures). A throwing or rejecting `fn` is logged and never
 * becomes an unhandled rejection: the scheduler keeps going.
 *
 * @example
 * import cron from 'node-cron';
 * import { cronJob } from '@threadline/cron';
 * cron.schedule('0 3 * * *', cronJob('nightly-report', async () => { await buildReport(); }, { schedule: '0 3 * * *' }));
 */
export function cronJob<A extends unknown[]>(
  name: string,
  fn: (...args: A) => unknown,
  options: CronJobOptions<A> = {},
): CronRunner<A> {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError(
      `Threadline: cronJob(name, fn) needs a non-empty name; got ${JSON.stringify(name)}`,
    );
  }
  assertFunction('cronJob(name, fn)', fn);
  const overlap = oneOfOption('overlap', options.overlap ?? 'allow', ['allow', 'skip']);
  const logger = options.logger ?? getLogger('threadline.cron');
  const running = new Set<string>();
  let consecutiveFailures = 0;

  return async function threadlineCronRun(...args: A): Promise<void> {
    const runId = randomUUID();
    const attributes: Record<string, unknown> = {
      ...options.attributes,
      [ATTR_CRON_RUN_ID]: runId,
    };
    if (options.schedule) attributes[ATTR_CRON_SCHEDULE] = options.schedule;
    const due = scheduledTime(options, args);
    if (due !== undefined) {
      attributes[ATTR_CRON_SCHEDULED_TIME] = new Date(due).toISOString();
      attributes[ATTR_CRON_LAG_MS] = Math.max(0, Date.now() - due);
    }
    const previous = [...running].at(-1);
    if (previous !== undefined) attributes[ATTR_CRON_OVERLAPS_RUN_ID] = previous;
    try {
      // From the root: a timer inherits the context of whoever scheduled it,
      // a tracing SDK's span included, and a run is never on that trace.
      await context.with(ROOT_CONTEXT, () =>
        withJobScope(
          {
            name,
            mode: 'root',
            attributes,
            logger,
            messages:
              previous !== undefined && overlap === 'skip'
                ? { started: '', completed: '', failed: '' }
                : {
                    started: 'cron run started',
                    completed: 'cron run completed',
                    failed: 'cron run failed',
                  },
            failureAttributes: () => ({ [ATTR_CRON_CONSECUTIVE_FAILURES]: ++consecutiveFailures }),
          },
          async () => {
            if (previous !== undefined && overlap === 'skip') {
              logger.warn('cron run skipped', {
                'threadline.cron.reason': 'the previous run is still running',
              });
              return;
            }
            running.add(runId);
            try {
              await fn(...args);
              consecutiveFailures = 0;
            } finally {
              running.delete(runId);
            }
          },
        ),
      );
    } catch {
      // Logged as `cron run failed`; a scheduler must never see it.
    }
  };
}

function scheduledTime<A extends unknown[]>(
  options: CronJobOptions<A>,
  args: A,
): number | undefined {
  let value: unknown;
  try {
    if (options.scheduledTime) value = options.scheduledTime(...args);
    else {
      // node-cron 4 passes a context whose `date` is the time the run was due.
      const first = args[0] as { date?: unknown } | undefined;
      if (first && typeof first === 'object' && first.date instanceof Date) value = first.date;
    }
  } catch (error) {
    diagnoseOnce('cron-scheduled-time', `the scheduledTime option threw: ${String(error)}`);
    return undefined;
  }
  const ms = value instanceof Date ? value.getTime() : value;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}
