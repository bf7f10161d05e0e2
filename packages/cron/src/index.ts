/**
 * @threadline/cron — every cron run on a thread of its own, with any scheduler.
 */
export {
  ATTR_CRON_CONSECUTIVE_FAILURES,
  ATTR_CRON_LAG_MS,
  ATTR_CRON_OVERLAPS_RUN_ID,
  ATTR_CRON_RUN_ID,
  ATTR_CRON_SCHEDULE,
  ATTR_CRON_SCHEDULED_TIME,
  cronJob,
} from './cron-job.js';
export type { CronJobOptions, CronRunner } from './types.js';
