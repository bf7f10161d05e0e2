/**
 * Beside a tracing SDK and bullmq-otel (BullMQ's own OpenTelemetry
 * telemetry): a job's lines go on bullmq-otel's CONSUMER span, on the trace
 * of the PRODUCER span that added it, and Threadline makes no span id of its
 * own. A file of its own: it registers a global tracer provider.
 */
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { log, startThreadline } from '@threadline/core';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { afterAll, describe, expect, it } from 'vitest';
import { correlateProcessor } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };
const prefix = `tl-otel-${randomUUID().slice(0, 8)}`;
const spans = new InMemorySpanExporter();
const provider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});
trace.setGlobalTracerProvider(provider);

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'bullmq-otel-test',
    endpoint,
    ...QUIET,
  }),
);

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await provider.shutdown();
});

describe('with bullmq-otel and a tracing SDK', () => {
  it("writes the job's lines on bullmq-otel's CONSUMER span, on the producer's trace", async () => {
    const name = `emails-${randomUUID().slice(0, 8)}`;
    const q = new Queue(name, {
      connection,
      prefix,
      telemetry: new BullMQOtel({ tracerName: 'test' }),
    });
    const events = new QueueEvents(name, { connection, prefix });
    await events.waitUntilReady();
    const w = new Worker(
      name,
      correlateProcessor(async () => {
        log.info('sending');
      }),
      { connection, prefix, telemetry: new BullMQOtel({ tracerName: 'test' }) },
    );
    closers.push(
      () => q.obliterate({ force: true }).then(() => q.close()),
      () => events.close(),
      () => w.close(),
    );
    const done = new Promise<void>((resolve) => events.on('completed', () => resolve()));
    // Added inside a span of the application's, as a request handler would.
    await trace.getTracer('app').startActiveSpan('POST /signup', async (span) => {
      await q.add('welcome', { to: 'ann@example.com' });
      span.end();
    });
    await done;
    const lines = (await exported()).filter(
      (r) => r.attributes['messaging.message.id'] !== undefined,
    );
    const sending = lines.find((r) => r.body === 'sending');
    const finished = spans.getFinishedSpans();
    const consumer = finished.find(
      (s) => s.kind === 4 && s.spanContext().spanId === sending?.spanId,
    );
    const root = finished.find((s) => s.name === 'POST /signup');
    expect(consumer).toBeDefined();
    expect(sending?.traceId).toBe(root?.spanContext().traceId);
    for (const r of lines) {
      expect(r.spanId).toBe(consumer?.spanContext().spanId);
      expect(r.attributes['threadline.parent_span_id']).toBeUndefined();
    }
    expect(lines.map((r) => r.body)).toEqual(['job started', 'sending', 'job completed']);
  });
});
