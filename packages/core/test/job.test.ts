import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  diagnoseOnce,
  getTraceIds,
  injectTraceContext,
  log,
  type TraceIds,
  withHopScope,
  withJobScope,
} from '../src/index.js';
import { useInMemory } from './helpers.js';

const warnings: string[] = [];
const t = useInMemory({ diagnostics: (line) => warnings.push(line) });

/** What a producer inside a request would carry with the job. */
function enqueueInRequest(): { carrier: Record<string, string>; request: TraceIds } {
  return withHopScope({}, () => ({ carrier: injectTraceContext({}), request: getTraceIds() }));
}

describe('withJobScope', () => {
  it('continues the enqueuing request’s trace (parent mode) with a span id of its own and the job on every line', async () => {
    const { carrier, request } = enqueueInRequest();
    const result = await withJobScope(
      {
        system: 'bullmq',
        queue: 'emails',
        id: '42',
        name: 'welcome',
        attempt: 2,
        maxAttempts: 3,
        parentId: 'p-1',
        enqueuedAt: Date.now() - 250,
        carrier,
      },
      async () => {
        log.info('sending');
        return 'sent';
      },
    );
    expect(result).toBe('sent');
    const recs = await t.records();
    expect(recs.map((r) => r.body)).toEqual(['job started', 'sending', 'job completed']);
    for (const r of recs) {
      expect(r.spanContext?.traceId).toBe(request.traceId);
      expect(r.spanContext?.spanId).not.toBe(request.spanId);
      expect(r.attributes).toMatchObject({
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'emails',
        'messaging.message.id': '42',
        'threadline.job.name': 'welcome',
        'threadline.job.attempt': 2,
        'threadline.job.max_attempts': 3,
        'threadline.job.parent_id': 'p-1',
        'threadline.parent_span_id': request.spanId,
      });
    }
    // The wait before the attempt started, on the started and the completed line.
    expect(recs[0]?.attributes['threadline.job.wait_ms']).toBeGreaterThanOrEqual(250);
    expect(recs[2]?.attributes['threadline.job.wait_ms']).toBe(
      recs[0]?.attributes['threadline.job.wait_ms'],
    );
    expect(recs[2]?.attributes['threadline.duration_ms']).toBeTypeOf('number');
  });

  it('starts a trace per attempt in link mode, keeping the origin trace id on every line', async () => {
    const { carrier, request } = enqueueInRequest();
    await withJobScope({ carrier, mode: 'link' }, () => log.info('a'));
    await withJobScope({ carrier, mode: 'link' }, () => log.info('b'));
    const lines = (await t.records()).filter((r) => r.body === 'a' || r.body === 'b');
    expect(lines).toHaveLength(2);
    for (const r of lines) {
      expect(r.spanContext?.traceId).not.toBe(request.traceId);
      expect(r.attributes['threadline.link.trace_id']).toBe(request.traceId);
    }
    expect(lines[0]?.spanContext?.traceId).not.toBe(lines[1]?.spanContext?.traceId);
  });

  it('starts a new root trace in root mode, never the context of whoever runs it', async () => {
    const { carrier } = enqueueInRequest();
    let outer = '';
    await withHopScope({ 'consumer.loop': true }, async () => {
      outer = getTraceIds().traceId;
      await withJobScope({ carrier, mode: 'root', name: 'nightly' }, () => log.info('run'));
    });
    const [line] = (await t.records()).filter((r) => r.body === 'run');
    expect(line?.spanContext?.traceId).not.toBe(outer);
    expect(line?.attributes['consumer.loop']).toBeUndefined();
    expect(line?.attributes['threadline.parent_span_id']).toBeUndefined();
  });

  it('uses a tracing SDK’s consumer span for the job in every mode (its spans inside the job stay under it)', async () => {
    const tracer = new TracerProvider().getTracer('job-test');
    const { carrier } = enqueueInRequest();
    for (const mode of ['parent', 'link', 'root'] as const) {
      await tracer.startActiveSpan('emails process', { kind: SpanKind.CONSUMER }, async (span) => {
        await withJobScope({ carrier, mode }, () => log.info(`consumed (${mode})`));
        span.end();
        const [line] = (await t.records()).filter((r) => r.body === `consumed (${mode})`);
        expect(line?.spanContext?.traceId).toBe(span.spanContext().traceId);
        expect(line?.spanContext?.spanId).toBe(span.spanContext().spanId);
      });
    }
  });

  it('does not take the consumer loop’s trace in parent mode either', async () => {
    await withHopScope({}, async () => {
      const loop = getTraceIds().traceId;
      await withJobScope({ carrier: { traceparent: 'garbage' } }, () => {
        expect(getTraceIds().traceId).not.toBe(loop);
      });
    });
  });

  it('logs a failure with its exception and whether it will be retried, and re-throws the same error', async () => {
    const error = new TypeError('boom', { cause: new Error('root cause') });
    const seen: unknown[] = [];
    await expect(
      withJobScope({ name: 'charge', willRetry: (e) => seen.push(e) > 0 }, async () => {
        await sleep(1);
        throw error;
      }),
    ).rejects.toBe(error);
    expect(seen).toEqual([error]);
    const failed = (await t.records()).find((r) => r.body === 'job failed');
    expect(failed?.severityText).toBe('ERROR');
    expect(failed?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'boom',
      'error.type': 'TypeError',
      'threadline.job.will_retry': true,
    });
    expect(failed?.attributes['exception.stacktrace']).toMatch(/Caused by: Error: root cause/);
  });

  it('puts the wait since enqueue on the failed line too', async () => {
    await expect(
      withJobScope({ enqueuedAt: Date.now() - 300 }, () => {
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    const failed = (await t.records()).find((r) => r.body === 'job failed');
    expect(failed?.attributes['threadline.job.wait_ms']).toBeGreaterThanOrEqual(300);
  });

  it('logs an error the postponed option recognises as `job postponed` (INFO, its name), not as a failure, and re-throws it', async () => {
    class DelayedError extends Error {
      override name = 'DelayedError';
    }
    const error = new DelayedError('bullmq:movedToDelayed');
    const failures: unknown[] = [];
    await expect(
      withJobScope(
        {
          enqueuedAt: Date.now() - 100,
          postponed: (e) => e instanceof DelayedError,
          willRetry: () => true,
          failureAttributes: (e) => {
            failures.push(e);
            return {};
          },
        },
        () => {
          throw error;
        },
      ),
    ).rejects.toBe(error);
    const recs = await t.records();
    expect(recs.map((r) => r.body)).toEqual(['job started', 'job postponed']);
    expect(recs[1]?.severityText).toBe('INFO');
    expect(recs[1]?.attributes).toMatchObject({ 'threadline.job.postponed_by': 'DelayedError' });
    expect(recs[1]?.attributes['threadline.duration_ms']).toBeTypeOf('number');
    expect(recs[1]?.attributes['threadline.job.wait_ms']).toBeGreaterThanOrEqual(100);
    for (const key of ['exception.type', 'error.type', 'threadline.job.will_retry']) {
      expect(recs[1]?.attributes[key]).toBeUndefined();
    }
    expect(failures).toEqual([]);
    // Any other error is still a failure; a throwing predicate never replaces the job's error.
    const other = new Error('real failure');
    await expect(
      withJobScope(
        {
          postponed: () => {
            throw new Error('predicate bug');
          },
        },
        () => {
          throw other;
        },
      ),
    ).rejects.toBe(other);
    expect((await t.records()).at(-1)?.body).toBe('job failed');
  });

  it('re-throws a non-Error unchanged and still logs it', async () => {
    const thrown = { code: 'E_RATE' };
    await expect(
      withJobScope({}, () => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    const failed = (await t.records()).find((r) => r.body === 'job failed');
    expect(failed?.attributes['exception.message']).toEqual({ code: 'E_RATE' });
  });

  it('runs a job with missing or malformed carried context on a fresh trace, with one warning', async () => {
    warnings.length = 0;
    for (const carrier of [
      null,
      { traceparent: '00-zz-yy-01' },
      { traceparent: 'x'.repeat(9000) },
    ]) {
      await withJobScope({ system: 'sqs', queue: 'q1', carrier }, () => log.info('ran'));
    }
    const ran = (await t.records()).filter((r) => r.body === 'ran');
    expect(ran).toHaveLength(3);
    expect(new Set(ran.map((r) => r.spanContext?.traceId)).size).toBe(3);
    expect(warnings.filter((w) => w.includes('without usable trace context'))).toHaveLength(1);
    // Another queue gets its own warning, naming it.
    await withJobScope({ system: 'sqs', queue: 'q2', carrier: null }, () => log.info('ran'));
    expect(
      warnings.filter((w) => w.includes('job of queue q2 arrived without usable')),
    ).toHaveLength(1);
  });

  it('diagnoseOnce builds a message given as a function only the first time', () => {
    warnings.length = 0;
    let built = 0;
    const message = () => `built ${++built}`;
    for (let i = 0; i < 3; i++) diagnoseOnce('test:lazy-message', message);
    expect(built).toBe(1);
    expect(warnings).toEqual(['[threadline] built 1']);
  });

  it('keeps 100 interleaved jobs on their own scopes', async () => {
    const origins = Array.from({ length: 100 }, () => enqueueInRequest());
    await Promise.all(
      origins.map(({ carrier }, n) =>
        withJobScope({ id: n, carrier }, async () => {
          await sleep(Math.random() * 10);
          log.info('step', { n });
          await sleep(Math.random() * 10);
          log.info('step', { n });
        }),
      ),
    );
    const steps = (await t.records()).filter((r) => r.body === 'step');
    expect(steps).toHaveLength(200);
    for (const r of steps) {
      const n = r.attributes.n as number;
      expect(r.attributes['messaging.message.id']).toBe(String(n));
      expect(r.spanContext?.traceId).toBe(origins[n]?.request.traceId);
    }
  });

  it('uses the given messages, and leaves out a line whose message is empty', async () => {
    await withJobScope({ messages: { started: '', completed: 'cron run completed' } }, () => 1);
    const thrown = new Error('quiet');
    await expect(
      withJobScope({ messages: { started: '', failed: '' } }, () => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect((await t.records()).map((r) => r.body)).toEqual(['cron run completed']);
  });

  it('fails fast on a bad call', () => {
    expect(() => withJobScope(null as never, () => 1)).toThrow(/option "job" must be an object/);
    expect(() => withJobScope({}, 'x' as never)).toThrow(/needs a function/);
    expect(() => withJobScope({ mode: 'child' as never }, () => 1)).toThrow(
      /option "mode" must be one of "parent", "link", "root"; got "child"/,
    );
  });
});
