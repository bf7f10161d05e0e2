/**
 * What a record says for the incident overview, read once when it is
 * received: a finished request (route, status, duration), a job line (queue,
 * what happened, the wait), a cron run line (job name, what happened, lag,
 * failures in a row) or a service start. The lines are the ones Threadline's
 * packages write with their default messages (`request completed`,
 * `job started` … `job stalled`, `cron run started` … `cron run skipped`,
 * `service started`); a record that is none of them has no fact.
 */

/** A finished HTTP request: a `request completed` line. */
export interface RequestFact {
  readonly kind: 'request';
  /** `http.route`, or '' when no route matched. */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly ms: number;
}

/** What a job line says happened. `retried`: failed, with another attempt to come. */
export type JobEvent = 'started' | 'completed' | 'failed' | 'retried' | 'postponed' | 'stalled';

export interface JobFact {
  readonly kind: 'job';
  /** `messaging.destination.name`, or '' */
  readonly queue: string;
  readonly event: JobEvent;
  /** `threadline.job.wait_ms` on the started line: the wait before the attempt began. */
  readonly waitMs: number | undefined;
}

export type CronEvent = 'started' | 'completed' | 'failed' | 'skipped';

export interface CronFact {
  readonly kind: 'cron';
  /** `threadline.job.name`: the cron job's name. */
  readonly name: string;
  readonly event: CronEvent;
  readonly lagMs: number | undefined;
  /** `threadline.cron.consecutive_failures` on a failed line. */
  readonly failures: number | undefined;
}

/** A `service started` record. */
export interface StartFact {
  readonly kind: 'start';
}

export type Fact = RequestFact | JobFact | CronFact | StartFact;

/** What the resource says of the service: instance id, commit, owner, runbook link. */
export type ResourceFacts = readonly [
  instance: string,
  commit: string,
  owner: string,
  runbook: string,
];

const JOB_EVENTS: Readonly<Record<string, JobEvent>> = {
  'job started': 'started',
  'job completed': 'completed',
  'job failed': 'failed',
  'job postponed': 'postponed',
  'job stalled': 'stalled',
};

const CRON_EVENTS: Readonly<Record<string, CronEvent>> = {
  'cron run started': 'started',
  'cron run completed': 'completed',
  'cron run failed': 'failed',
  'cron run skipped': 'skipped',
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** The fact a record states, if any. */
export function factOf(body: unknown, attributes: Record<string, unknown>): Fact | undefined {
  if (typeof body !== 'string') return undefined;
  if (body === 'request completed') {
    const status = num(attributes['http.response.status_code']);
    const ms = num(attributes['threadline.duration_ms']);
    if (status === undefined || ms === undefined) return undefined;
    return {
      kind: 'request',
      route: str(attributes['http.route']),
      method: str(attributes['http.request.method']),
      status,
      ms: Math.max(0, ms),
    };
  }
  if (Object.hasOwn(CRON_EVENTS, body) && attributes['threadline.cron.run_id'] !== undefined) {
    return {
      kind: 'cron',
      name: str(attributes['threadline.job.name']),
      event: CRON_EVENTS[body] as CronEvent,
      lagMs: num(attributes['threadline.cron.lag_ms']),
      failures: num(attributes['threadline.cron.consecutive_failures']),
    };
  }
  if (Object.hasOwn(JOB_EVENTS, body)) {
    let event = JOB_EVENTS[body] as JobEvent;
    if (event === 'failed' && attributes['threadline.job.will_retry'] === true) event = 'retried';
    return {
      kind: 'job',
      queue: str(attributes['messaging.destination.name']),
      event,
      waitMs: event === 'started' ? num(attributes['threadline.job.wait_ms']) : undefined,
    };
  }
  if (body === 'service started') return { kind: 'start' };
  return undefined;
}

/** The service facts of a resource. */
export function resourceFactsOf(resource: Record<string, unknown>): ResourceFacts {
  return [
    str(resource['service.instance.id']),
    str(resource['vcs.ref.head.revision']),
    str(resource['threadline.owner']),
    str(resource['threadline.runbook.url']),
  ];
}
