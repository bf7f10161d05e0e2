import { TracerProvider } from '@opentelemetry/sdk-trace';
import { getTraceIds, log, startThreadline, withHopScope } from '@threadline/core';
import type { ReceivedRecord } from '@threadline/testing';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import { CronJob } from 'cron';
import { Cron } from 'croner';
import nodeCron from 'node-cron';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cronJob } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'cron-test',
    endpoint,
    ...QUIET,
  }),
);
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
afterEach(() => {
  vi.useRealTimers();
});

const runIdOf = (r: ReceivedRecord | undefined) =>
  r?.attributes['threadline.cron.run_id'] as string;

// Only the scheduler's timers are faked: the export pipeline keeps real ones.
const fakeSchedulerTimers = () =>
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });

describe('cronJob', () => {
  it('gives every run a new root trace and run id, never the context of whoever scheduled it', async () => {
    fakeSchedulerTimers();
    let scheduler = '';
    let timer: NodeJS.Timeout | undefined;
    withHopScope({ 'http.route': '/admin/schedule' }, () => {
      scheduler = getTraceIds().traceId;
      timer = setInterval(
        cronJob('sync-prices', () => log.info('syncing'), { schedule: 'every 1 s' }),
        1000,
      );
    });
    await vi.advanceTimersByTimeAsync(3000);
    clearInterval(timer);
    const records = await exported();
    const runs = new Map<string, ReceivedRecord[]>();
    for (const r of records) runs.set(runIdOf(r), [...(runs.get(runIdOf(r)) ?? []), r]);
    expect(runs.size).toBe(3);
    const traces = new Set<string>();
    for (const unsorted of runs.values()) {
      // A batch groups records by logger: order them by time.
      const lines = [...unsorted].sort((a, b) =>
        BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : 1,
      );
      expect(lines.map((l) => l.body)).toEqual([
        'cron run started',
        'syncing',
        'cron run completed',
      ]);
      expect(new Set(lines.map((l) => l.traceId)).size).toBe(1);
      traces.add(lines[0]?.traceId ?? '');
      for (const l of lines) {
        expect(l.attributes).toMatchObject({
          'threadline.job.name': 'sync-prices',
          'threadline.cron.schedule': 'every 1 s',
        });
        expect(l.attributes['http.route']).toBeUndefined();
        expect(l.attributes['threadline.parent_span_id']).toBeUndefined();
      }
      expect(lines[2]?.attributes['threadline.duration_ms']).toBeTypeOf('number');
    }
    expect(traces.size).toBe(3);
    expect(traces.has(scheduler)).toBe(false);
  });

  it('gives every run a new root trace when a tracing SDK’s span was active where it was scheduled', async () => {
    const tracer = new TracerProvider().getTracer('cron-test');
    let scheduler = { traceId: '', spanId: '' };
    // Real timers: a timer inherits the context that set it up, here the SDK's span, still recording.
    await tracer.startActiveSpan('startup', async (span) => {
      scheduler = span.spanContext();
      let runs = 0;
      let done: () => void = () => undefined;
      const threeRuns = new Promise<void>((resolve) => (done = resolve));
      const timer = setInterval(
        cronJob('under-sdk', () => {
          log.info('sdk tick');
          if (++runs === 3) done();
        }),
        20,
      );
      await threeRuns;
      clearInterval(timer);
      span.end();
    });
    const ticks = (await exported()).filter((r) => r.body === 'sdk tick').slice(0, 3);
    expect(ticks).toHaveLength(3);
    expect(new Set(ticks.map((r) => r.traceId)).size).toBe(3);
    for (const r of ticks) {
      expect(r.traceId).not.toBe(scheduler.traceId);
      expect(r.spanId).not.toBe(scheduler.spanId);
      expect(r.attributes['threadline.parent_span_id']).toBeUndefined();
    }
  });

  it('logs an overlapping run with both run ids, or skips it with the skip policy', async () => {
    fakeSchedulerTimers();
    let release: (() => void) | undefined;
    const slow = () => new Promise<void>((r) => (release = r));
    const allow = cronJob('slow-allow', slow);
    const skip = cronJob('slow-skip', slow, { overlap: 'skip' });
    for (const run of [allow, skip]) {
      const first = run();
      const firstRelease = release;
      const second = run();
      // Let the second one start (allow) or be skipped (skip).
      await vi.advanceTimersByTimeAsync(1);
      firstRelease?.();
      release?.();
      await Promise.all([first, second]);
    }
    const records = await exported();
    const allowed = records.filter((r) => r.attributes['threadline.job.name'] === 'slow-allow');
    const started = allowed.filter((r) => r.body === 'cron run started');
    expect(started).toHaveLength(2);
    expect(started[1]?.attributes['threadline.cron.overlaps_run_id']).toBe(runIdOf(started[0]));
    const skipped = records.filter((r) => r.attributes['threadline.job.name'] === 'slow-skip');
    expect(skipped.map((r) => r.body)).toEqual([
      'cron run started',
      'cron run skipped',
      'cron run completed',
    ]);
    expect(skipped[1]?.severityText).toBe('WARN');
    expect(skipped[1]?.attributes['threadline.cron.overlaps_run_id']).toBe(runIdOf(skipped[0]));
    expect(runIdOf(skipped[1])).not.toBe(runIdOf(skipped[0]));
  });

  it('logs a failing run with its exception and the failures in a row, and never rejects', async () => {
    let fail = true;
    const run = cronJob('flaky', async () => {
      if (fail) throw new Error('upstream down');
    });
    await expect(run()).resolves.toBeUndefined();
    await expect(run()).resolves.toBeUndefined();
    fail = false;
    await run();
    fail = true;
    await run();
    const records = await exported();
    const failed = records.filter((r) => r.body === 'cron run failed');
    expect(failed.map((r) => r.attributes['threadline.cron.consecutive_failures'])).toEqual([
      1, 2, 1,
    ]);
    expect(failed[0]?.severityText).toBe('ERROR');
    expect(failed[0]?.attributes['exception.message']).toBe('upstream down');
    expect(failed[0]?.attributes['exception.stacktrace']).toMatch(/upstream down/);
    // A synchronous throw too.
    await expect(
      cronJob('sync-throw', () => {
        throw new RangeError('bad');
      })(),
    ).resolves.toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });

  it('records the scheduled time and the lag from node-cron’s context, or from the scheduledTime option', async () => {
    const due = Date.now() - 1500;
    await cronJob('late', (_context: { date: Date }) => undefined)({ date: new Date(due) });
    await cronJob('custom', (_tick: number) => undefined, { scheduledTime: (tick) => tick })(due);
    const started = (await exported()).filter((r) => r.body === 'cron run started');
    for (const r of started) {
      expect(r.attributes['threadline.cron.scheduled_time']).toBe(new Date(due).toISOString());
      expect(r.attributes['threadline.cron.lag_ms']).toBeGreaterThanOrEqual(1500);
      expect(r.attributes['threadline.cron.lag_ms']).toBeLessThan(5000);
    }
    expect(started).toHaveLength(2);
  });

  it('runs under real schedulers: croner and node-cron', async () => {
    const croner = new Cron(
      '* * * * * *',
      cronJob('with-croner', () => log.info('croner tick')),
    );
    const task = nodeCron.schedule(
      '* * * * * *',
      cronJob('with-node-cron', () => log.info('node-cron tick')),
    );
    await new Promise((r) => setTimeout(r, 2600));
    croner.stop();
    await task.destroy();
    const records = await exported();
    for (const [name, tick] of [
      ['with-croner', 'croner tick'],
      ['with-node-cron', 'node-cron tick'],
    ] as const) {
      const ticks = records.filter((r) => r.body === tick);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(new Set(ticks.map((r) => r.traceId)).size).toBe(ticks.length);
      expect(ticks.every((r) => r.attributes['threadline.job.name'] === name)).toBe(true);
    }
    // node-cron passes the time the run was due: the lag is there.
    const nodeCronStarted = records.find(
      (r) =>
        r.body === 'cron run started' && r.attributes['threadline.job.name'] === 'with-node-cron',
    );
    expect(nodeCronStarted?.attributes['threadline.cron.lag_ms']).toBeTypeOf('number');
  }, 20_000);

  it('runs under the cron library’s CronJob', async () => {
    let runs = 0;
    let done: () => void = () => undefined;
    const twoRuns = new Promise<void>((resolve) => (done = resolve));
    const job = new CronJob(
      '* * * * * *',
      cronJob('with-cron', () => {
        log.info('cron tick');
        if (++runs === 2) done();
      }),
      null,
      true,
    );
    await twoRuns;
    job.stop();
    // The second run's completed line follows its function's return.
    await new Promise((r) => setImmediate(r));
    const records = (await exported()).filter(
      (r) => r.attributes['threadline.job.name'] === 'with-cron',
    );
    const ticks = records.filter((r) => r.body === 'cron tick');
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ticks.map((r) => r.traceId)).size).toBe(ticks.length);
    expect(new Set(ticks.map((r) => r.attributes['threadline.cron.run_id'])).size).toBe(
      ticks.length,
    );
    expect(records.filter((r) => r.body === 'cron run completed')).toHaveLength(ticks.length);
  }, 10_000);

  it('fails fast on a bad definition', () => {
    expect(() => cronJob('', () => 1)).toThrow(/needs a non-empty name/);
    expect(() => cronJob('x', 1 as never)).toThrow(/needs a function/);
    expect(() => cronJob('x', () => 1, { overlap: 'queue' as never })).toThrow(
      /option "overlap" must be one of "allow", "skip"; got "queue"/,
    );
    expect(() => cronJob('x', () => 1, { overlap: 1n as never })).toThrow(
      /option "overlap" must be one of "allow", "skip"; got 1n/,
    );
  });
});
