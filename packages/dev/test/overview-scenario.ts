// Records of known figures, for the overview's tests (store, CLI and page):
// two versions of `orders` serving requests of known durations and statuses,
// a `worker` whose queue and cron job end in known ways.
import type { ReceivedRecord } from '../src/index.js';

/** The end of the window the figures are read at: 2026-12-06 12:00:00 UTC. */
export const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const MIN = 60_000;

export const OLD_COMMIT = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
export const NEW_COMMIT = '1f0c2e9aa1b2c3d4e5f60718293a4b5c6d7e8f90';

let n = 0;
const hex = (width: number, i: number) => i.toString(16).padStart(width, '0');

function record(
  atMs: number,
  resource: Record<string, unknown>,
  body: string,
  attributes: Record<string, unknown>,
  severityNumber = 9,
): ReceivedRecord {
  n++;
  return {
    resource,
    scope: { name: 'threadline' },
    timeUnixNano: String(BigInt(atMs) * 1_000_000n),
    observedTimeUnixNano: '0',
    severityNumber,
    severityText: severityNumber >= 17 ? 'ERROR' : severityNumber >= 13 ? 'WARN' : 'INFO',
    body,
    attributes,
    traceId: hex(32, n),
    spanId: hex(16, n),
    flags: 1,
    eventName: '',
    droppedAttributesCount: 0,
  };
}

const orders = (version: string, commit: string, instance: string) => ({
  'service.name': 'orders',
  'service.version': version,
  'service.instance.id': instance,
  'vcs.ref.head.revision': commit,
  'threadline.owner': 'team-checkout',
  'threadline.runbook.url': 'https://runbooks.example.com/orders',
});
const worker = {
  'service.name': 'worker',
  'service.version': '2.0.0',
  'service.instance.id': 'w-1',
  'threadline.owner': 'team-fulfilment',
};

function completed(
  atMs: number,
  resource: Record<string, unknown>,
  method: string,
  route: string,
  status: number,
  ms: number,
): ReceivedRecord {
  return record(
    atMs,
    resource,
    'request completed',
    {
      'http.request.method': method,
      'http.route': route,
      'http.response.status_code': status,
      'threadline.duration_ms': ms,
    },
    status >= 500 ? 17 : status >= 400 ? 13 : 9,
  );
}

/**
 * - orders 1.4.0 (instance o-1, started 50 min before NOW): 100 `GET
 *   /orders/:id`, 1 to 100 ms, one a minute-ish from 50 to 20 min before;
 *   #7 answered 500, #3 and #4 404.
 * - orders 1.4.1 (instance o-2, started 20 min before, started again 10 min
 *   before): 50 `POST /checkout`, 10 to 500 ms, every 20 s from 19 min
 *   before; #5, #15, #25, #45 answered 503. The last 8 (430–500 ms, #45 among
 *   them) fall in the last 5 minutes.
 * - worker: queue `emails` with 3 started (waits 5, 10, 200 ms), 2
 *   completed, 1 retried, 1 failed for good, 1 postponed, 1 stalled; cron job
 *   `nightly-report` completed (lag 12 ms), then failed twice (lags 40 and
 *   1500 ms, 1 and 2 failures in a row).
 */
export function scenario(): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  const v0 = orders('1.4.0', OLD_COMMIT, 'o-1');
  const v1 = orders('1.4.1', NEW_COMMIT, 'o-2');
  out.push(record(NOW - 50 * MIN, v0, 'service started', {}));
  for (let i = 0; i < 100; i++) {
    const status = i === 6 ? 500 : i === 2 || i === 3 ? 404 : 200;
    out.push(completed(NOW - 50 * MIN + i * 18_000, v0, 'GET', '/orders/:id', status, i + 1));
  }
  out.push(record(NOW - 20 * MIN, v1, 'service started', {}));
  out.push(record(NOW - 10 * MIN, v1, 'service started', {}));
  for (let i = 0; i < 50; i++) {
    const status = [4, 14, 24, 44].includes(i) ? 503 : 201;
    out.push(completed(NOW - 19 * MIN + i * 20_000, v1, 'POST', '/checkout', status, (i + 1) * 10));
  }
  const job = (at: number, body: string, attributes: Record<string, unknown>, severity = 9) =>
    record(
      NOW - at * MIN,
      worker,
      body,
      {
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'emails',
        'messaging.message.id': 'j1',
        ...attributes,
      },
      severity,
    );
  out.push(job(30, 'job started', { 'threadline.job.wait_ms': 5 }));
  out.push(job(30, 'job completed', { 'threadline.duration_ms': 3 }));
  out.push(job(25, 'job started', { 'threadline.job.wait_ms': 10 }));
  out.push(job(25, 'job failed', { 'threadline.job.will_retry': true }, 17));
  out.push(job(24, 'job started', { 'threadline.job.wait_ms': 200 }));
  out.push(job(24, 'job completed', { 'threadline.duration_ms': 4 }));
  out.push(job(23, 'job failed', { 'threadline.job.will_retry': false }, 17));
  out.push(job(22, 'job postponed', { 'threadline.job.postponed_by': 'DelayedError' }));
  out.push(job(21, 'job stalled', {}, 13));
  const cron = (
    at: number,
    run: string,
    body: string,
    attributes: Record<string, unknown>,
    severity = 9,
  ) =>
    record(
      NOW - at * MIN,
      worker,
      body,
      {
        'threadline.job.name': 'nightly-report',
        'threadline.cron.run_id': run,
        ...attributes,
      },
      severity,
    );
  out.push(cron(40, 'r1', 'cron run started', { 'threadline.cron.lag_ms': 12 }));
  out.push(cron(40, 'r1', 'cron run completed', { 'threadline.cron.lag_ms': 12 }));
  out.push(cron(30, 'r2', 'cron run started', { 'threadline.cron.lag_ms': 40 }));
  out.push(
    cron(
      30,
      'r2',
      'cron run failed',
      {
        'threadline.cron.lag_ms': 40,
        'threadline.cron.consecutive_failures': 1,
      },
      17,
    ),
  );
  out.push(cron(15, 'r3', 'cron run started', { 'threadline.cron.lag_ms': 1500 }));
  out.push(
    cron(
      15,
      'r3',
      'cron run failed',
      {
        'threadline.cron.lag_ms': 1500,
        'threadline.cron.consecutive_failures': 2,
      },
      17,
    ),
  );
  return out;
}
