/**
 * The collector fails in every way it can while an Express service (its own
 * process) serves paced load from this one. For each fault: requests keep
 * their latency, the queue stays within its budget, nothing is delivered
 * twice, every record that was not dropped arrives once the collector
 * recovers, and every drop is counted and reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  byRequest,
  type Fault,
  FaultCollector,
  type LoadResult,
  runLoad,
  Service,
  type ServiceStats,
} from './src/harness.js';

const RATE = 300; // requests/s, two records each
const FAULT_MS = 3000;
const MAX_QUEUE_BYTES = 2 * 1024 * 1024;
/** Latency target: p99 within 1.2× the healthy run's… */
const P99_RATIO = 1.2;
/**
 * …or within this many ms of it. The service, the load generator and the
 * collector share two cores here. A p99 over 3 s at 300 req/s is the 9th
 * slowest of 900 requests, and moves with whatever else the machine does: on
 * one CI machine the healthy p99 was 3–4 ms; on another 5–8 ms, with fault
 * runs anywhere from 4.5 to 20 ms and no pattern by fault, all for a ~1 ms
 * median. What a fault must never do, hold a request for a retry pause
 * (≥ 750 ms) or the export timeout (1.5 s), is far beyond this bound. The
 * figures of every run are printed, 1.2× is reported there. 50 ms, not 25:
 * on one machine a single fault's p99 reached 37–38 ms, once with this
 * session's code and once with the commit before it (413 and 429-for-a-day,
 * every other fault 6–19 ms), which failed the run.
 */
const P99_SLACK_MS = 50;

function p99Limit(): number {
  const h = healthy?.p99 ?? 0;
  return Math.max(P99_RATIO * h, h + P99_SLACK_MS);
}

const collector = new FaultCollector();
let service: Service;
let healthy: LoadResult | undefined;
const figures: string[] = [];

function env(): Record<string, string> {
  return {
    ENDPOINT: collector.url,
    MAX_QUEUE_BYTES: String(MAX_QUEUE_BYTES),
    EXPORT_TIMEOUT_MS: '1500',
  };
}

beforeAll(async () => {
  await collector.up();
  service = await Service.start(env());
  await runLoad(service.url, { rate: RATE, durationMs: 1000 }); // warm-up
  // The reference is the slower of two healthy runs: a p99 measured over a
  // few seconds moves with whatever else the machine did meanwhile.
  for (let i = 0; i < 2; i++) {
    const run = await runLoad(service.url, { rate: RATE, durationMs: FAULT_MS });
    figures.push(`healthy: p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms`);
    if (!healthy || run.p99 > healthy.p99) healthy = run;
  }
  await service.waitFor((s) => s.stats.queued === 0, 10_000);
});

afterAll(async () => {
  await service?.kill();
  await collector.down();
  console.log(`fault suite latencies\n${figures.join('\n')}`);
});

interface Outcome {
  load: LoadResult;
  before: ServiceStats;
  peak: ServiceStats;
  after: ServiceStats;
  startedAt: number;
}

/**
 * Runs the load for FAULT_MS with `apply` in force (plus `onTick` for faults
 * that change over time), then restores a healthy collector and waits until
 * the service's queue is empty.
 */
async function underFault(
  name: string,
  apply: () => Promise<void> | void,
  options: { onTick?: (ms: number) => void; recoverMs?: number; target?: Service } = {},
): Promise<Outcome> {
  const target = options.target ?? service;
  const before = await target.stats();
  const startedAt = Date.now();
  await apply();
  const load = await runLoad(target.url, {
    rate: RATE,
    durationMs: FAULT_MS,
    ...(options.onTick ? { onTick: options.onTick } : {}),
  });
  const peak = await target.stats();
  collector.fault = { kind: 'ok' };
  await collector.up();
  const after = await target.waitFor((s) => s.stats.queued === 0, options.recoverMs ?? 15_000);
  figures.push(
    `${name}: p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms, ` +
      `queue peak ${(peak.stats.queuedBytes / 1024).toFixed(0)} KiB, ` +
      `dropped ${after.stats.dropped.queueFull - before.stats.dropped.queueFull + after.stats.dropped.rejected - before.stats.dropped.rejected}`,
  );
  return { load, before, peak, after, startedAt };
}

/** What every fault must keep true. */
function expectHeldUp(o: Outcome): void {
  const { load, before, peak, after } = o;
  // Every request answered, at its usual speed.
  expect(load.failed).toBe(0);
  expect(load.ok).toBe(load.sent);
  expect(load.p99).toBeLessThanOrEqual(p99Limit());
  // Within the memory budget.
  expect(peak.stats.queuedBytes).toBeLessThanOrEqual(MAX_QUEUE_BYTES);
  // Recovered, and every record accounted for.
  expect(after.stats.queued).toBe(0);
  const d = (f: (s: ServiceStats) => number) => f(after) - f(before);
  expect(d((s) => s.stats.accepted)).toBe(
    d((s) => s.stats.exported) + d((s) => s.stats.dropped.queueFull + s.stats.dropped.rejected),
  );
}

/** Every request served during the fault has both its lines at the collector, once. */
function expectAllDelivered(o: Outcome): void {
  const { bodies, duplicates } = byRequest(collector.records);
  expect(duplicates).toBe(0);
  const missing = o.load.served.filter((id) => (bodies.get(id)?.length ?? 0) !== 2);
  expect(missing).toEqual([]);
}

/** Attempts grouped into retry rounds (exports started together fail together). */
function rounds(since: number, kind: Fault['kind']): number[] {
  const starts: number[] = [];
  for (const a of collector.attemptsSince(since)) {
    if (a.fault !== kind) continue;
    const last = starts[starts.length - 1];
    if (last === undefined || a.at - last > 300) starts.push(a.at);
  }
  return starts;
}

function gaps(starts: number[]): number[] {
  return starts.slice(1).map((t, i) => t - (starts[i] as number));
}

describe('collector faults under load', () => {
  it('collector down mid-run: records wait in the queue and all arrive after it comes back', async () => {
    const o = await underFault('down mid-run', () => {}, {
      onTick: (ms) => {
        if (ms > 500 && collector.isUp) void collector.down();
      },
    });
    expectHeldUp(o);
    expectAllDelivered(o);
    expect(o.after.stats.failedExports).toBeGreaterThan(o.before.stats.failedExports);
    expect(service.stderr.some((l) => l.includes('failing') && l.includes(collector.url))).toBe(
      true,
    );
    expect(service.stderr.some((l) => l.includes('recovered after'))).toBe(true);
  });

  it('collector flapping every second', async () => {
    const o = await underFault('flapping', () => {}, {
      onTick: (ms) => {
        const shouldBeUp = Math.floor(ms / 1000) % 2 === 1;
        if (shouldBeUp !== collector.isUp) void (shouldBeUp ? collector.up() : collector.down());
      },
    });
    expectHeldUp(o);
    expectAllDelivered(o);
  });

  it('collector accepting connections but never answering', async () => {
    const o = await underFault('never answers', () => {
      collector.fault = { kind: 'hang' };
    });
    expectHeldUp(o);
    expectAllDelivered(o);
    expect(o.after.stats.lastError).toMatch(/timed out/);
  });

  it('collector resetting the connection after the headers', async () => {
    const o = await underFault('reset after headers', () => {
      collector.fault = { kind: 'reset-after-headers' };
    });
    expectHeldUp(o);
    expectAllDelivered(o);
  });

  const retryable: Array<{
    status: number;
    label: string;
    retryAfter?: () => string;
    minGap: number;
    maxGap: number;
    /** The least gap after the first, where it differs from minGap. */
    laterMinGap?: number;
    /** Retry-After is a date: the second round must come at it (not before, at most 1.3 s after). */
    retryAt?: boolean;
  }> = [
    { status: 429, label: 'no Retry-After', minGap: 750, maxGap: 1300 },
    { status: 502, label: 'Retry-After: 2', retryAfter: () => '2', minGap: 1950, maxGap: 2400 },
    {
      status: 503,
      label: 'Retry-After as an HTTP-date 3 s ahead',
      retryAfter: () => new Date(Date.now() + 3000).toUTCString(),
      // The date has whole seconds, so it is 2–3 s ahead; the first retry is
      // checked against the date itself (retryAt), these only bound the gap.
      minGap: 1500,
      maxGap: 3400,
      retryAt: true,
      // The date is fixed when the fault starts: by the second failure it has
      // passed and is ignored, so the backoff applies, from its first step
      // (1 s ±20%): a pause the collector asked for does not double it. One CI
      // run saw 895 ms there, which the earlier bound of 1.6 s wrongly failed.
      laterMinGap: 750,
    },
    { status: 504, label: 'Retry-After: 0', retryAfter: () => '0', minGap: 750, maxGap: 1300 },
    {
      status: 503,
      label: 'malformed Retry-After',
      retryAfter: () => 'soon',
      minGap: 750,
      maxGap: 1300,
    },
  ];
  for (const r of retryable) {
    it(`${r.status} with ${r.label}: retried after the spec's delay, nothing lost`, async () => {
      const retryAfter = r.retryAfter?.();
      const o = await underFault(`${r.status} ${r.label}`, () => {
        collector.fault = {
          kind: 'status',
          status: r.status,
          ...(retryAfter ? { retryAfter } : {}),
        };
      });
      expectHeldUp(o);
      expectAllDelivered(o);
      const starts = rounds(o.startedAt, 'status');
      const g = gaps(starts);
      expect(g.length).toBeGreaterThanOrEqual(1);
      if (r.retryAt && retryAfter) {
        const at = Date.parse(retryAfter);
        expect(starts[1]).toBeGreaterThanOrEqual(at - 50);
        expect(starts[1]).toBeLessThanOrEqual(at + 1300);
      }
      // The first gap: after one failure the backoff is 1 s ±20%; later ones double.
      expect(g[0]).toBeGreaterThanOrEqual(r.minGap);
      expect(g[0]).toBeLessThanOrEqual(r.maxGap);
      for (const gap of g.slice(1)) expect(gap).toBeGreaterThanOrEqual(r.laterMinGap ?? r.minGap);
    });
  }

  it('429 with a Retry-After of a day: tried again after 30 s, not a day, nothing lost', async () => {
    const o = await underFault(
      '429 Retry-After: 86400',
      () => {
        collector.fault = { kind: 'status', status: 429, retryAfter: '86400' };
      },
      { recoverMs: 35_000 },
    );
    expectHeldUp(o);
    expectAllDelivered(o);
    expect(rounds(o.startedAt, 'status')).toHaveLength(1);
    const recovered = collector.attemptsSince(o.startedAt).find((a) => a.fault === 'ok');
    const firstFailure = collector.attemptsSince(o.startedAt)[0];
    expect((recovered?.at ?? 0) - (firstFailure?.at ?? 0)).toBeGreaterThanOrEqual(29_000);
  }, 60_000);

  for (const status of [400, 413, 500]) {
    it(`${status}: the refused batches are dropped and counted once, never retried`, async () => {
      const o = await underFault(`${status}`, () => {
        collector.fault = { kind: 'status', status };
      });
      expectHeldUp(o);
      const refused = collector
        .attemptsSince(o.startedAt)
        .filter((a) => a.fault === 'status')
        .reduce((n, a) => n + a.records, 0);
      expect(refused).toBeGreaterThan(0);
      expect(o.after.stats.dropped.rejected - o.before.stats.dropped.rejected).toBe(refused);
      expect(o.after.stats.lastError).toContain(String(status));
      expect(service.stderr.some((l) => l.includes('refused a batch'))).toBe(true);
    });
  }

  it('partial success: the rejected records are counted, the rest delivered', async () => {
    const o = await underFault('partial success', () => {
      collector.fault = { kind: 'partial', rejected: 1 };
    });
    expectHeldUp(o);
    const answered = collector.attemptsSince(o.startedAt).filter((a) => a.fault === 'partial');
    expect(answered.length).toBeGreaterThan(0);
    expect(o.after.stats.dropped.rejected - o.before.stats.dropped.rejected).toBe(answered.length);
    expect(o.after.stats.lastError).toContain('attribute value too long');
  });

  it('an outage longer than the memory budget: what does not fit is dropped, counted and reported, the rest delivered', async () => {
    const before = await service.stats();
    await collector.down();
    const load = await runLoad(service.url, { rate: RATE * 2, durationMs: 6000 });
    const peak = await service.stats();
    await collector.up();
    const after = await service.waitFor((s) => s.stats.queued === 0, 20_000);
    figures.push(
      `down past the budget (${RATE * 2} req/s, 6 s): p99 ${load.p99.toFixed(2)} ms, ` +
        `queue peak ${(peak.stats.queuedBytes / 1024).toFixed(0)} KiB, dropped ${after.stats.dropped.queueFull - before.stats.dropped.queueFull}`,
    );
    expect(load.failed).toBe(0);
    expect(peak.stats.queuedBytes).toBeLessThanOrEqual(MAX_QUEUE_BYTES);
    const dropped = after.stats.dropped.queueFull - before.stats.dropped.queueFull;
    expect(dropped).toBeGreaterThan(0);
    // Records of the same severity as a full queue's are not let in (counted as
    // dropped, not accepted); everything accepted is delivered.
    const accepted = after.stats.accepted - before.stats.accepted;
    expect(after.stats.exported - before.stats.exported).toBe(accepted);
    expect(accepted + dropped).toBe(2 * load.ok);
    expect(service.stderr.some((l) => /[1-9]\d* dropped since last report/.test(l))).toBe(true);
    // What was kept arrives, once: the first requests of the outage, queued
    // while there was room, have both their lines.
    const { bodies, duplicates } = byRequest(collector.records);
    expect(duplicates).toBe(0);
    const first = load.served.slice(0, 500);
    expect(first.filter((id) => bodies.get(id)?.length !== 2)).toEqual([]);
  });
});

describe('collector down at start', () => {
  it('a service that starts while the collector is down delivers everything once it is up', async () => {
    // Compared with the warmed service of the other tests, a process this
    // young still compiles and grows its heap, so it gets 10 ms more; and a p99
    // over that is measured once more on a new process. A fault that holds
    // requests (for the 1.5 s export timeout) does so every time; a hiccup of
    // the machine seldom twice (one CI run: 43.6 ms once, 5–14 ms for every
    // other fault of the same run).
    const limit = p99Limit() + 10;
    for (let attempt = 1; attempt <= 2; attempt++) {
      await collector.down();
      const late = await Service.start(env());
      try {
        // A fresh process is slower for its first seconds (JIT, heap growing): warm it up, collector still down.
        await runLoad(late.url, { rate: RATE, durationMs: 3000 });
        const o = await underFault(
          attempt === 1 ? 'down at start' : 'down at start, again',
          () => {},
          {
            target: late,
          },
        );
        expect(o.load.failed).toBe(0);
        expect(o.after.stats.queued).toBe(0);
        expect(o.after.stats.exported).toBe(o.after.stats.accepted);
        expectAllDelivered(o);
        if (o.load.p99 <= limit) break;
        if (attempt === 2) expect(o.load.p99).toBeLessThanOrEqual(limit);
      } finally {
        await late.kill();
      }
    }
    const started = collector.records.filter(
      (r) => r.body === 'service started' && r.resource['service.name'] === 'faulty',
    );
    expect(started.length).toBeGreaterThanOrEqual(2);
  });
});
