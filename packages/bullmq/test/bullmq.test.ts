import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { getTraceIds, log, startThreadline, tryGetTraceIds } from '@threadline/core';
import { correlate } from '@threadline/express';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import {
  DelayedError,
  FlowProducer,
  type Job,
  Queue,
  QueueEvents,
  UnrecoverableError,
  Worker,
} from 'bullmq';
import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  correlateProcessor,
  logStalledJobs,
  threadlineTelemetry,
  withTraceableNodes,
} from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };
// A test-unique prefix: nothing of another run (or of anyone else) is touched.
const prefix = `tl-test-${randomUUID().slice(0, 8)}`;

const warnings: string[] = [];
const closers: Array<() => Promise<unknown>> = [];
const queues: Queue[] = [];
const pipeline = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'bullmq-test',
    endpoint,
    handleSignals: false,
    logStartup: false,
    diagnostics: (line) => warnings.push(line),
    env: {},
  }),
);
const { exported } = pipeline;

afterAll(async () => {
  for (const q of queues) await q.obliterate({ force: true }).catch(() => undefined);
  for (const q of queues) await q.close();
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function queue(name: string): Queue {
  const q = new Queue(name, { connection, prefix, telemetry: threadlineTelemetry() });
  queues.push(q);
  return q;
}

function worker(
  name: string,
  processor: (job: Job, token?: string) => Promise<unknown>,
  options: { mode?: 'parent' | 'link'; concurrency?: number } = {},
): Worker {
  const w = new Worker(name, correlateProcessor(processor, { mode: options.mode }), {
    connection,
    prefix,
    concurrency: options.concurrency ?? 1,
  });
  closers.push(() => w.close());
  return w;
}

async function finished(name: string, count: number, kind: 'completed' | 'failed' = 'completed') {
  const events = new QueueEvents(name, { connection, prefix });
  closers.push(() => events.close());
  await events.waitUntilReady();
  return {
    wait: () =>
      new Promise<void>((resolve) => {
        let n = 0;
        events.on(kind, () => {
          if (++n === count) resolve();
        });
      }),
  };
}

const unique = (base: string) => `${base}-${randomUUID().slice(0, 6)}`;

describe('@threadline/bullmq with a real Redis', () => {
  it('runs a job added inside an Express request on that request’s trace (parent mode), data untouched', async () => {
    const name = unique('emails');
    const q = queue(name);
    const app = express();
    app.use(correlate());
    app.post('/signup', async (_req, res) => {
      log.info('signup');
      await q.add('welcome', { to: 'ann@example.com' });
      res.json(tryGetTraceIds());
    });
    const done = await finished(name, 1);
    const seen: unknown[] = [];
    worker(name, async (job) => {
      seen.push(job.data);
      log.info('sending email');
    });
    const waiting = done.wait();
    const res = await request(app).post('/signup');
    await waiting;
    expect(seen).toEqual([{ to: 'ann@example.com' }]);
    const records = await exported();
    const jobLines = records.filter((r) => r.attributes['messaging.system'] === 'bullmq');
    expect(jobLines.map((r) => r.body)).toEqual(['job started', 'sending email', 'job completed']);
    for (const r of jobLines) {
      expect(r.traceId).toBe(res.body.traceId);
      expect(r.spanId).not.toBe(res.body.spanId);
      expect(r.attributes).toMatchObject({
        'messaging.destination.name': name,
        'messaging.message.id': expect.any(String),
        'threadline.job.name': 'welcome',
        'threadline.job.attempt': 1,
        'threadline.job.max_attempts': 1,
        'threadline.parent_span_id': res.body.spanId,
      });
    }
    // The wait since the job was added, on the started and the completed line.
    expect(jobLines[0]?.attributes['threadline.job.wait_ms']).toBeTypeOf('number');
    expect(jobLines[2]?.attributes['threadline.job.wait_ms']).toBe(
      jobLines[0]?.attributes['threadline.job.wait_ms'],
    );
    expect(jobLines[2]?.attributes['threadline.duration_ms']).toBeTypeOf('number');
  });

  it('starts a trace per attempt in link mode, keeping the origin trace id on every line', async () => {
    const name = unique('link');
    const q = queue(name);
    const done = await finished(name, 1);
    worker(name, async () => log.info('linked work'), { mode: 'link' });
    const waiting = done.wait();
    let origin = '';
    await correlateInTest(async () => {
      origin = getTraceIds().traceId;
      await q.add('report', {});
    });
    await waiting;
    const lines = (await exported()).filter((r) => r.attributes['messaging.system'] === 'bullmq');
    expect(lines).toHaveLength(3);
    for (const r of lines) {
      expect(r.traceId).not.toBe(origin);
      expect(r.attributes['threadline.link.trace_id']).toBe(origin);
    }
  });

  it('gives each retry its own span id and attempt number, and says whether it will retry', async () => {
    const name = unique('retries');
    const q = queue(name);
    const done = await finished(name, 1);
    worker(name, async (job) => {
      log.info('trying');
      if (job.attemptsMade < 2) throw new Error(`attempt ${job.attemptsMade + 1} failed`);
    });
    const waiting = done.wait();
    await correlateInTest(() => q.add('charge', {}, { attempts: 3 }));
    await waiting;
    const lines = (await exported()).filter((r) => r.attributes['messaging.system'] === 'bullmq');
    const tries = lines.filter((r) => r.body === 'trying');
    expect(tries.map((r) => r.attributes['threadline.job.attempt'])).toEqual([1, 2, 3]);
    expect(new Set(tries.map((r) => r.spanId)).size).toBe(3);
    expect(new Set(tries.map((r) => r.traceId)).size).toBe(1);
    expect(new Set(tries.map((r) => r.attributes['messaging.message.id'])).size).toBe(1);
    const failed = lines.filter((r) => r.body === 'job failed');
    expect(failed.map((r) => r.attributes['threadline.job.will_retry'])).toEqual([true, true]);
    expect(failed[0]?.attributes['exception.message']).toBe('attempt 1 failed');
    expect(lines.at(-1)?.body).toBe('job completed');
  });

  it('says a job that failed for good will not be retried (attempts spent, or UnrecoverableError)', async () => {
    const name = unique('fatal');
    const q = queue(name);
    const done = await finished(name, 2, 'failed');
    worker(name, async (job) => {
      if (job.name === 'unrecoverable') throw new UnrecoverableError('card stolen');
      throw new Error('nope');
    });
    const waiting = done.wait();
    await q.add('unrecoverable', {}, { attempts: 5 });
    await q.add('once', {});
    await waiting;
    const failed = (await exported()).filter((r) => r.body === 'job failed');
    expect(failed).toHaveLength(2);
    for (const r of failed) expect(r.attributes['threadline.job.will_retry']).toBe(false);
  });

  it('logs a job the processor postpones (DelayedError, rate limit) as `job postponed`, not failed, and BullMQ still runs it later', async () => {
    const name = unique('postponed');
    const q = queue(name);
    const done = await finished(name, 2);
    const failedEvents: string[] = [];
    const thrown: unknown[] = [];
    const rejected: unknown[] = [];
    const limited = new Set<string>();
    const processor = correlateProcessor(async (job: Job, token?: string) => {
      log.info('run', { step: job.data.step });
      if (job.name === 'delayed' && job.data.step === 'first') {
        // BullMQ's documented way to run the job again later.
        await job.updateData({ step: 'second' });
        await job.moveToDelayed(Date.now() + 100, token);
        const error = new DelayedError();
        thrown.push(error);
        throw error;
      }
      if (job.name === 'limited' && !limited.has(job.id ?? '')) {
        limited.add(job.id ?? '');
        await w.rateLimit(100);
        throw Worker.RateLimitError();
      }
    });
    const w: Worker = new Worker(
      name,
      // What BullMQ receives from the wrapper: the very error the processor threw.
      (job, token) =>
        processor(job, token).catch((error: unknown) => {
          rejected.push(error);
          throw error;
        }),
      { connection, prefix },
    );
    closers.push(() => w.close());
    w.on('failed', (job) => failedEvents.push(job?.id ?? ''));
    const waiting = done.wait();
    await q.add('delayed', { step: 'first' }, { attempts: 3 });
    await q.add('limited', {});
    await waiting;
    expect(failedEvents).toEqual([]);
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toBe(thrown[0]);
    expect((rejected[1] as Error).message).toBe('bullmq:rateLimitExceeded');
    const lines = (await exported()).filter(
      (r) => r.attributes['messaging.destination.name'] === name,
    );
    for (const [jobName, reason] of [
      ['delayed', 'DelayedError'],
      ['limited', 'RateLimitError'],
    ] as const) {
      const own = lines.filter((r) => r.attributes['threadline.job.name'] === jobName);
      expect(own.map((r) => r.body)).toEqual([
        'job started',
        'run',
        'job postponed',
        'job started',
        'run',
        'job completed',
      ]);
      const postponed = own[2];
      expect(postponed?.severityText).toBe('INFO');
      expect(postponed?.attributes).toMatchObject({
        'messaging.system': 'bullmq',
        'threadline.job.postponed_by': reason,
        'threadline.job.attempt': 1,
      });
      expect(postponed?.attributes['threadline.duration_ms']).toBeTypeOf('number');
      for (const key of ['exception.type', 'error.type', 'threadline.job.will_retry']) {
        expect(postponed?.attributes[key]).toBeUndefined();
      }
    }
    expect(lines.some((r) => r.body === 'job failed')).toBe(false);
  });

  it('logs a job whose lock expired as `job stalled` (WARN) with the queue, the job id and its previous state', async () => {
    const name = unique('stalled');
    const q = queue(name);
    const done = await finished(name, 1);
    let release: () => void = () => undefined;
    const firstRun = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    // No lock renewal and a short lock: the first run outlives its lock, as
    // when the process handling it blocks its event loop or dies.
    const w = new Worker(
      name,
      correlateProcessor(async () => {
        if (++runs === 1) await firstRun;
      }),
      {
        connection,
        prefix,
        concurrency: 2,
        lockDuration: 200,
        skipLockRenewal: true,
        stalledInterval: 150,
      },
    );
    closers.push(() => w.close());
    // The stalled first run's completion fails (its lock is gone): BullMQ reports it here.
    w.on('error', () => undefined);
    logStalledJobs(w);
    const stalled = new Promise<string>((resolve) => w.on('stalled', (id) => resolve(id)));
    const waiting = done.wait();
    const job = await q.add('slow', {});
    expect(await stalled).toBe(job.id);
    await waiting;
    release();
    const lines = (await exported()).filter((r) => r.body === 'job stalled');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.severityText).toBe('WARN');
    expect(lines[0]?.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': name,
      'messaging.message.id': job.id,
      'threadline.job.previous_state': 'active',
    });
  });

  it('runs a job with missing or malformed metadata on a fresh trace with one warning, never failing it', async () => {
    const name = unique('malformed');
    // Added without Threadline's telemetry: one with garbage metadata, one with none.
    const plain = new Queue(name, { connection, prefix });
    queues.push(plain);
    const done = await finished(name, 3);
    worker(name, async () => log.info('still ran'));
    const waiting = done.wait();
    warnings.length = 0;
    await plain.add('a', {}, { telemetry: { metadata: 'not json {' } });
    await plain.add(
      'b',
      {},
      { telemetry: { metadata: JSON.stringify({ traceparent: 'garbage' }) } },
    );
    await plain.add('c', {});
    await waiting;
    const ran = (await exported()).filter((r) => r.body === 'still ran');
    expect(ran).toHaveLength(3);
    expect(new Set(ran.map((r) => r.traceId)).size).toBe(3);
    expect(warnings.filter((w) => w.includes('without usable trace context'))).toHaveLength(1);
  });

  it('never mixes scopes with many jobs in flight on one worker', async () => {
    const name = unique('busy');
    const q = queue(name);
    const done = await finished(name, 60);
    worker(
      name,
      async (job) => {
        log.info('step', { n: job.data.n });
        await sleep(Math.random() * 20);
        log.info('step', { n: job.data.n });
      },
      { concurrency: 20 },
    );
    const waiting = done.wait();
    const origins = new Map<number, string>();
    await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        correlateInTest(async () => {
          origins.set(n, getTraceIds().traceId);
          await q.add('n', { n });
        }),
      ),
    );
    await waiting;
    const steps = (await exported()).filter((r) => r.body === 'step');
    expect(steps).toHaveLength(120);
    for (const r of steps) expect(r.traceId).toBe(origins.get(r.attributes.n as number));
  });

  it('gives every run of a job scheduler a new trace, even when it was set up inside a request', async () => {
    const name = unique('scheduled');
    const q = queue(name);
    const done = await finished(name, 3);
    worker(name, async () => log.info('scheduled run'));
    const waiting = done.wait();
    let setupTrace = '';
    await correlateInTest(async () => {
      setupTrace = getTraceIds().traceId;
      await q.upsertJobScheduler('every-200ms', { every: 200 }, { name: 'tick' });
    });
    await waiting;
    await q.removeJobScheduler('every-200ms');
    const runs = (await exported()).filter((r) => r.body === 'scheduled run');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(new Set(runs.map((r) => r.traceId)).size).toBe(runs.length);
    expect(runs.some((r) => r.traceId === setupTrace)).toBe(false);
  });

  it('carries the trace through addBulk and flows, with the parent job id on the children', async () => {
    const name = unique('flow');
    const q = queue(name);
    const flows = new FlowProducer({ connection, prefix, telemetry: threadlineTelemetry() });
    closers.push(() => flows.close());
    const done = await finished(name, 5);
    worker(name, async () => log.info('flow work'));
    const waiting = done.wait();
    let origin = '';
    let parentId = '';
    await correlateInTest(async () => {
      origin = getTraceIds().traceId;
      await q.addBulk([
        { name: 'bulk-1', data: {} },
        { name: 'bulk-2', data: {} },
      ]);
      const flow = await flows.add(
        withTraceableNodes({
          name: 'parent',
          queueName: name,
          children: [
            { name: 'child-1', queueName: name },
            { name: 'child-2', queueName: name },
          ],
        }),
      );
      parentId = flow.job.id ?? '';
    });
    await waiting;
    const work = (await exported()).filter((r) => r.body === 'flow work');
    expect(work.map((r) => r.attributes['threadline.job.name']).sort()).toEqual([
      'bulk-1',
      'bulk-2',
      'child-1',
      'child-2',
      'parent',
    ]);
    for (const r of work) expect(r.traceId).toBe(origin);
    for (const r of work.filter((x) =>
      String(x.attributes['threadline.job.name']).startsWith('child'),
    )) {
      expect(r.attributes['threadline.job.parent_id']).toBe(parentId);
    }
  });

  it('keeps the scope in a sandboxed processor (a processor file run in a child process)', async () => {
    const name = unique('sandboxed');
    const q = queue(name);
    const done = await finished(name, 1);
    const processorFile = fileURLToPath(
      new URL('./fixtures/sandboxed-processor.cjs', import.meta.url),
    );
    process.env.THREADLINE_TEST_ENDPOINT = pipeline.receiver().url;
    const w = new Worker(name, processorFile, { connection, prefix, useWorkerThreads: false });
    closers.push(() => w.close());
    const waiting = done.wait();
    let origin = '';
    await correlateInTest(async () => {
      origin = getTraceIds().traceId;
      await q.add('in-child', {});
    });
    await waiting;
    await w.close();
    // The child process flushes when it is stopped.
    const deadline = Date.now() + 5000;
    while (
      !pipeline.receiver().records.some((r) => r.body === 'in the sandbox') &&
      Date.now() < deadline
    ) {
      await sleep(100);
    }
    const line = pipeline.receiver().records.find((r) => r.body === 'in the sandbox');
    expect(line?.traceId).toBe(origin);
    expect(line?.resource['service.name']).toBe('sandboxed-processor');
    expect(line?.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': name,
      'threadline.job.name': 'in-child',
    });
  });

  it('fails fast on a bad processor or mode', () => {
    expect(() => correlateProcessor('x' as never)).toThrow(/needs a function/);
    expect(() => correlateProcessor(async () => 1, { mode: 'child' as never })).toThrow(
      /option "mode" must be one of "parent", "link"; got "child"/,
    );
    // A value JSON cannot write is described, not thrown from JSON.stringify.
    expect(() => correlateProcessor(async () => 1, { mode: 1n as never })).toThrow(
      /option "mode" must be one of "parent", "link"; got 1n/,
    );
  });
});

/** Runs `fn` as a request would: inside a hop scope with a trace of its own. */
async function correlateInTest<T>(fn: () => Promise<T>): Promise<T> {
  const { withHopScope } = await import('@threadline/core');
  return withHopScope({ 'test.request': true }, fn);
}
