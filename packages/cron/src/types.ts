/** Public types of @threadline/cron. */
import type { LogAttributes, Logger } from '@threadline/core';

/** Options of {@link cronJob}. */
export interface CronJobOptions<A extends unknown[] = unknown[]> {
  /** The schedule, for the lines (`threadline.cron.schedule`), e.g. `'0 3 * * *'` or `'every 5 min'`. */
  schedule?: string;
  /**
   * A run that starts while the previous one is still running: `allow` runs
   * it (both run ids on its started line), `skip` logs `cron run skipped`
   * (WARN, with both run ids) and does not run it.
   * @default 'allow'
   */
  overlap?: 'allow' | 'skip';
  /**
   * When this run was due, for `threadline.cron.scheduled_time` and
   * `threadline.cron.lag_ms`, from the arguments the scheduler passed. By
   * default, node-cron's context (`{ date }`) is understood; for another
   * scheduler, return its scheduled time here.
   */
  scheduledTime?: (...args: A) => Date | number | undefined;
  /** More attributes on every line of every run. */
  attributes?: LogAttributes;
  /** Logger of the run lines. @default getLogger('threadline.cron') */
  logger?: Logger;
}

/** What {@link cronJob} returns: hand it to the scheduler. It never rejects. */
export type CronRunner<A extends unknown[]> = (...args: A) => Promise<void>;
