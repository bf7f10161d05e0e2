// winston with the bridge inside the frameworks it is used with: an Express
// request handled by correlate(), and a BullMQ job added during a request.
// The same cases as packages/pino/test/pino.test.ts.
import { Writable } from 'node:stream';
import { correlateProcessor, threadlineTelemetry } from '@threadline/bullmq';
import { getTraceIds, startThreadline, withHopScope } from '@threadline/core';
import { correlate } from '@threadline/express';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { ThreadlineTransport, threadlineFormat } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'winston-test',
    endpoint,
    handleSignals: false,
    logStartup: false,
    diagnostics: 'silent',
    env: {},
  }),
);

/** A logger writing JSON lines to a stdout stand-in (`lines`, parsed) and to Threadline. */
function bridged() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const logger = winston.createLogger({
    format: winston.format.combine(
      threadlineFormat({ scopeAttributes: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Stream({ stream }), new ThreadlineTransport()],
  });
  return { logger, lines };
}

describe('@threadline/winston inside Express and BullMQ', () => {
  it('puts lines written inside an Express request on that request’s trace, with its attributes', async () => {
    const { logger, lines } = bridged();
    const app = express();
    app.use(correlate({ responseHeaders: { traceIdHeader: 'x-trace-id', requestId: true } }));
    app.get('/orders/:id', (req, res) => {
      logger.info('loading order', { orderId: req.params.id });
      res.send('ok');
    });
    const res = await request(app).get('/orders/7');
    expect(res.headers['x-trace-id']).toMatch(/^[0-9a-f]{32}$/);
    const line = lines.find((l) => l.message === 'loading order');
    expect(line?.trace_id).toBe(res.headers['x-trace-id']);
    expect(line?.['threadline.request.id']).toBe(res.headers['x-request-id']);
    const rec = (await exported()).find((r) => r.body === 'loading order');
    expect(rec?.traceId).toBe(res.headers['x-trace-id']);
    expect(rec?.spanId).toBe(line?.span_id);
    expect(rec?.attributes).toMatchObject({
      'url.path': '/orders/7',
      'http.request.method': 'GET',
      orderId: '7',
    });
  });

  it('puts lines written inside a BullMQ job on the trace of the request that added it, with the job on the record', async () => {
    const { logger, lines } = bridged();
    const prefix = `tl-winston-${process.pid}-${Date.now()}`;
    const connection = { host: '127.0.0.1', port: 6379 };
    const queue = new Queue('emails', { connection, prefix, telemetry: threadlineTelemetry() });
    let origin = '';
    try {
      const done = new Promise<void>((resolve) => {
        const worker = new Worker(
          'emails',
          correlateProcessor(async () => {
            logger.info('sending from the job');
            setImmediate(() => void worker.close().then(resolve));
          }),
          { connection, prefix },
        );
      });
      await withHopScope({}, async () => {
        origin = getTraceIds().traceId;
        await queue.add('welcome', {});
      });
      await done;
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    expect(origin).toMatch(/^[0-9a-f]{32}$/);
    const line = lines.find((l) => l.message === 'sending from the job');
    expect(line?.trace_id).toBe(origin);
    expect(line?.['messaging.message.id']).toEqual(expect.any(String));
    const rec = (await exported()).find((r) => r.body === 'sending from the job');
    expect(rec?.traceId).toBe(origin);
    expect(rec?.spanId).toBe(line?.span_id);
    expect(rec?.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'emails',
      'threadline.job.name': 'welcome',
    });
  }, 20_000);
});
