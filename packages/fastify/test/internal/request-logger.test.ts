// request.log in the request's scope: Fastify's logger set up with
// @threadline/pino (its public options and destination, as its README and
// this package's show them), lines on a stdout stand-in and exported to a
// real receiver.
import { createRequire } from 'node:module';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { startThreadline } from '@threadline/core';
import { threadlineDestination, threadlineOptions } from '@threadline/pino';
import { jsonLines } from '@threadline/testing/bridge-suite';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type ThreadlineFastifyOptions, threadline } from '../../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'fastify-logger-test',
    endpoint,
    ...QUIET,
  }),
);

/** The oldest Fastify the peer range takes. */
const Fastify50 = createRequire(import.meta.url)('fastify5.0') as typeof Fastify;
const SPAN = 'b7ad6b7169203331';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const traceOf = (n: number) => (n + 1).toString(16).padStart(32, '0');

/** Fastify's logger options with the bridge: each line on the stand-in, and exported. */
function bridgedLogger(extra: Record<string, unknown> = {}) {
  const out = jsonLines();
  const logger = {
    ...threadlineOptions(),
    ...extra,
    stream: pino.multistream([{ stream: out.stream }, { stream: threadlineDestination() }]),
  };
  return { logger, lines: out.lines };
}

describe.each([
  ['Fastify 5.12', Fastify],
  ['Fastify 5.0', Fastify50],
])('request.log with @threadline/pino, on %s', (_version, Fastify) => {
  async function appWith(
    fastifyOptions: FastifyServerOptions,
    options: ThreadlineFastifyOptions,
    routes: (app: FastifyInstance) => void,
    before: (app: FastifyInstance) => void = () => {},
  ) {
    const app = Fastify(fastifyOptions);
    before(app);
    await app.register(threadline, options);
    routes(app);
    await app.ready();
    return app;
  }

  it("puts each request's trace on every line of request.log under 200 concurrent requests, Fastify's own included, printed and exported once with reqId", async () => {
    const { logger, lines } = bridgedLogger();
    const app = await appWith({ logger }, {}, (app) => {
      app.post('/orders/:id', async (req) => {
        req.log.info({ items: (req.body as { items: number }).items }, 'order received');
        await sleep(Math.random() * 10);
        req.log.info('order done');
        return 'ok';
      });
    });
    const agent = request(app.server);
    await Promise.all(
      Array.from({ length: 200 }, (_, n) => {
        const req = agent.post(`/orders/o-${n}`).send({ items: n });
        if (n % 2 === 0) req.set('traceparent', `00-${traceOf(n)}-${SPAN}-01`);
        return req.expect(200);
      }),
    );
    const records = await exported();
    const byReqId = Map.groupBy(lines, (l) => l.reqId as string);
    expect(byReqId.size).toBe(200);
    const traces = new Set<unknown>();
    for (const [reqId, printed] of byReqId) {
      expect(printed.map((l) => l.msg).sort()).toEqual([
        'incoming request',
        'order done',
        'order received',
        'request completed',
      ]);
      const [first] = printed;
      traces.add(first?.trace_id);
      const n = Number(
        /o-(\d+)/.exec((first?.req as { url?: string } | undefined)?.url ?? '')?.[1],
      );
      if (n % 2 === 0) expect(first?.trace_id).toBe(traceOf(n));
      expect(printed.find((l) => l.msg === 'order received')?.items).toBe(n);
      for (const l of printed) {
        expect(l.trace_id).toBe(first?.trace_id);
        expect(l.span_id).toBe(first?.span_id);
      }
      // Each printed line exported once, on the ids it printed, with the request's attributes.
      const mine = records.filter((r) => r.attributes.reqId === reqId);
      expect(mine.map((r) => r.body).sort()).toEqual(printed.map((l) => l.msg).sort());
      for (const r of mine) {
        expect(r.traceId).toBe(first?.trace_id);
        expect(r.spanId).toBe(first?.span_id);
        expect(r.attributes['url.path']).toBe(`/orders/o-${n}`);
      }
    }
    expect(traces.size).toBe(200);
    // Threadline's own completed line beside Fastify's: one a request, on the same trace.
    const own = records.filter((r) => r.scope.name === 'threadline.http');
    expect(own).toHaveLength(200);
    expect(records).toHaveLength(200 * 5);
  }, 30_000);

  it("writes Threadline's request lines with request.log when asked: printed with reqId, exported once", async () => {
    const { logger, lines } = bridgedLogger();
    const app = await appWith(
      { logger, disableRequestLogging: true },
      { logger: 'request.log' },
      (app) => {
        app.get('/orders/:id', async () => 'ok');
        app.get('/fail', async () => {
          throw new Error('payment declined', { cause: new Error('card expired') });
        });
      },
    );
    await request(app.server).get('/orders/7').expect(200);
    await request(app.server).get('/fail').expect(500);
    expect(lines.map((l) => l.msg)).toEqual([
      'request completed',
      'request failed',
      'request completed',
    ]);
    const [ok, failed, failedDone] = lines;
    expect(ok).toMatchObject({
      level: 30,
      reqId: expect.any(String),
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
    });
    expect(failed).toMatchObject({
      level: 50,
      reqId: failedDone?.reqId,
      // pino's err serializer writes the cause into the message.
      err: { message: 'payment declined: card expired' },
    });
    expect(failedDone).toMatchObject({
      level: 50,
      'error.type': 'Error',
      trace_id: failed?.trace_id,
    });
    const records = await exported();
    expect(records.map((r) => [r.body, r.scope.name])).toEqual([
      ['request completed', 'pino'],
      ['request failed', 'pino'],
      ['request completed', 'pino'],
    ]);
    expect(records[0]?.traceId).toBe(ok?.trace_id);
    expect(records[1]?.attributes).toMatchObject({
      'exception.type': 'Error',
      'exception.message': 'payment declined: card expired',
      'threadline.request.id': expect.any(String),
    });
    expect(records[1]?.attributes['exception.stacktrace']).toMatch(/card expired/);
  });

  it('runs request.log calls in the scope wherever they are written, children and custom levels included', async () => {
    const { logger, lines } = bridgedLogger({ customLevels: { audit: 35 } });
    const app = await appWith({ logger, disableRequestLogging: true }, {}, (app) => {
      app.get('/audited', async (req) => {
        // As a library's callback would, from a context of its own.
        context.with(ROOT_CONTEXT, () => {
          req.log.info('plain');
          const db = req.log.child({ part: 'db' });
          db.warn('from a child');
          db.child({ table: 'orders' }).error('from a child of a child');
          (req.log as unknown as { audit(msg: string): void }).audit('audited');
        });
        return 'ok';
      });
    });
    const res = await request(app.server).get('/audited').set('x-request-id', 'req-7');
    expect(res.status).toBe(200);
    expect(lines.map((l) => l.msg)).toEqual([
      'plain',
      'from a child',
      'from a child of a child',
      'audited',
    ]);
    const records = await exported();
    const done = records.find((r) => r.body === 'request completed');
    for (const l of lines) expect(l.trace_id).toBe(done?.traceId);
    for (const r of records.filter((r) => r.scope.name === 'pino')) {
      expect(r.traceId).toBe(done?.traceId);
      expect(r.attributes['threadline.request.id']).toBe('req-7');
    }
    expect(lines[1]?.part).toBe('db');
    expect(lines[2]).toMatchObject({ part: 'db', table: 'orders' });
  });

  it("keeps the app's own child logger factory, and correlates the routes of a plugin with one of its own", async () => {
    const { logger, lines } = bridgedLogger();
    const app = await appWith(
      { logger, disableRequestLogging: true },
      {},
      (app) => {
        app.get('/mine', async (req) => {
          req.log.info('with the app factory');
          return 'ok';
        });
        app.register(async (own) => {
          own.setChildLoggerFactory((parent, bindings, options) =>
            parent.child({ ...bindings, plugin: 'own' }, options),
          );
          own.get('/theirs', async (req) => {
            req.log.info('with the plugin factory');
            return 'ok';
          });
        });
      },
      // The app's own factory, set before the plugin (Fastify 5.0 has no such option).
      (app) =>
        app.setChildLoggerFactory((parent, bindings, options, raw) =>
          parent.child({ ...bindings, tenant: raw.headers['x-tenant'] }, options),
        ),
    );
    await request(app.server).get('/mine').set('x-tenant', 't-1').expect(200);
    await request(app.server).get('/theirs').expect(200);
    const [mine, theirs] = lines;
    expect(mine).toMatchObject({ msg: 'with the app factory', tenant: 't-1' });
    expect(theirs).toMatchObject({ msg: 'with the plugin factory', plugin: 'own' });
    const done = (await exported()).filter((r) => r.body === 'request completed');
    expect(done.map((r) => r.attributes['http.route'])).toEqual(['/mine', '/theirs']);
    expect(mine?.trace_id).toBe(done[0]?.traceId);
    expect(theirs?.trace_id).toBe(done[1]?.traceId);
  });
});
