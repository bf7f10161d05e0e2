import { createRequire } from 'node:module';
import { getRequestListener } from '@hono/node-server';
import { log, startThreadline } from '@threadline/core';
import type { ReceivedRecord } from '@threadline/testing';
import { describeHttpAdapter } from '@threadline/testing/http-suite';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { correlate } from '../src/index.js';
import { createApp as createEsmApp, createHonoApp } from './fixtures/app.mjs';

const require = createRequire(import.meta.url);
const { createApp: createCjsApp, createHonoApp: createCjsHonoApp } =
  require('./fixtures/app.cjs') as {
    createApp: typeof createEsmApp;
    createHonoApp: typeof createHonoApp;
  };

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'hono-test',
    endpoint,
    ...QUIET,
  }),
);

// Hono's default error handler prints what it answers 500 for.
beforeAll(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describeHttpAdapter({
  apps: [
    ['ESM', createEsmApp],
    ['CommonJS', createCjsApp],
  ],
  exported,
  // Hono has no proxy setting: an app behind a proxy it trusts reads the
  // forwarded address through getClientAddress.
  proxiedApp: (trustProxy, options) => {
    const app = new Hono();
    app.use(
      correlate({
        ...options,
        getClientAddress: trustProxy ? (c) => c.req.header('x-forwarded-for') : undefined,
      }),
    );
    app.get('/who', (c) => c.text('ok'));
    return getRequestListener(app.fetch);
  },
});

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

const completedLines = (records: ReceivedRecord[]) =>
  records.filter((r) => r.body === 'request completed');

describe.each([
  ['ESM', createHonoApp],
  ['CommonJS', createCjsHonoApp],
])('app.request() (%s), with no node:http request or response', (_kind, createApp) => {
  it("keeps each request's trace id and attributes on its own lines under 200 concurrent requests, and completes after the streamed body", async () => {
    const app = createApp();
    const responses = await Promise.all(
      Array.from({ length: 200 }, async (_, n) => {
        const res = await app.request(`/orders/o-${n}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            traceparent: `00-${(n + 1).toString(16).padStart(32, '0')}-${SPAN}-01`,
          },
          body: JSON.stringify({ items: n }),
        });
        return res.text();
      }),
    );
    expect(responses).toEqual(Array(200).fill('[1]'));
    const records = await exported();
    expect(records).toHaveLength(800);
    for (let n = 0; n < 200; n++) {
      const lines = records.filter((r) => r.attributes['url.path'] === `/orders/o-${n}`);
      // In the order they were written: the completed line after the body's last.
      expect(lines.map((l) => l.body)).toEqual([
        'order received',
        'order streaming',
        'order done',
        'request completed',
      ]);
      for (const l of lines) {
        expect(l.traceId).toBe((n + 1).toString(16).padStart(32, '0'));
        expect(l.spanId).toBe(lines[0]?.spanId);
        expect(l.attributes['threadline.parent_span_id']).toBe(SPAN);
      }
      expect(lines[3]?.attributes).toMatchObject({
        'order.id': `o-${n}`,
        'http.request.method': 'POST',
        'http.route': '/orders/:id',
        'http.response.status_code': 200,
      });
    }
  }, 30_000);

  it('puts the response headers on, error responses included, and the client address from getClientAddress', async () => {
    const app = createApp({
      responseHeaders: { requestId: true, traceResponse: true, traceIdHeader: 'x-trace-id' },
      clientAddress: true,
      getClientAddress: (c: { req: { header(name: string): string | undefined } }) =>
        c.req.header('x-client'),
    });
    const res = await app.request('/ids', {
      headers: {
        traceparent: `00-${TRACE}-${SPAN}-01`,
        'x-request-id': 'req-1',
        'x-client': '198.51.100.7',
      },
    });
    const ids = (await res.json()) as { traceId: string; spanId: string };
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(res.headers.get('x-trace-id')).toBe(TRACE);
    expect(res.headers.get('traceresponse')).toBe(`00-${TRACE}-${ids.spanId}-01`);
    const failed = await app.request('/fail', { headers: { 'x-request-id': 'req-2' } });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('x-request-id')).toBe('req-2');
    await failed.text();
    const [done] = completedLines(await exported());
    expect(done?.attributes).toMatchObject({
      'client.address': '198.51.100.7',
      'http.route': '/ids',
      'threadline.request.id': 'req-1',
    });
  });

  it('completes as aborted, without a status, when the client aborts before the response', async () => {
    const app = createApp();
    const controller = new AbortController();
    const pending = app.request(
      new Request('http://localhost/slow', { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 50);
    await (await pending).text();
    const [done] = completedLines(await exported());
    expect(done?.severityText).toBe('WARN');
    expect(done?.attributes['threadline.request.aborted']).toBe(true);
    expect(done?.attributes['http.route']).toBe('/slow');
    expect(done?.attributes).not.toHaveProperty('http.response.status_code');
  });

  it('logs a handler error once, as Hono hands it to onError, and completes at its status', async () => {
    const seen: unknown[] = [];
    const app = createApp({}, { onError: (error) => seen.push(error) });
    const res = await app.request('/fail');
    expect(res.status).toBe(502);
    await res.text();
    const records = await exported();
    const failed = records.filter((r) => r.body === 'request failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attributes['exception.message']).toBe((seen[0] as Error).message);
    expect(completedLines(records)[0]?.attributes).toMatchObject({
      'http.route': '/fail',
      'http.response.status_code': 502,
      'error.type': 'Error',
    });
  });
});

describe('@threadline/hono', () => {
  it("names sub-apps' routes with their mount path, and logs errors their own onError answers", async () => {
    const admin = new Hono();
    admin.get('/reports/:id', () => {
      throw new HTTPException(409, { message: 'report busy' });
    });
    admin.onError((error, c) => c.text(error.message, 503));
    const app = new Hono();
    app.use(correlate());
    app.route('/admin/:tenant', admin);
    const res = await app.request('/admin/t-1/reports/42');
    expect(res.status).toBe(503);
    await res.text();
    const records = await exported();
    expect(records.filter((r) => r.body === 'request failed').map((r) => r.severityText)).toEqual([
      'WARN',
    ]);
    const [done] = completedLines(records);
    expect(done?.severityText).toBe('ERROR');
    expect(done?.attributes).toMatchObject({
      'http.route': '/admin/:tenant/reports/:id',
      'http.response.status_code': 503,
      // HTTPException keeps Error's name.
      'error.type': 'Error',
    });
  });

  it("runs the app's onError inside the request's scope, and names basePath() routes with their base", async () => {
    const app = new Hono().basePath('/v1');
    app.onError((error, c) => {
      log.warn('answered in onError', { reason: error.message });
      return c.text('sorry', 500);
    });
    app.use(correlate());
    app.get('/orders/:id', () => {
      throw new Error('ledger offline');
    });
    await (await app.request('/v1/orders/9')).text();
    // onError answers first; the error is logged once the handlers are done.
    const [handled, failed, done] = await exported();
    expect([handled?.body, failed?.body, done?.body]).toEqual([
      'answered in onError',
      'request failed',
      'request completed',
    ]);
    expect(handled?.traceId).toBe(done?.traceId);
    expect(handled?.spanId).toBe(done?.spanId);
    expect(handled?.attributes['url.path']).toBe('/v1/orders/9');
    expect(done?.attributes['http.route']).toBe('/v1/orders/:id');
  });

  it("keeps the handler's route for c.notFound(), and gives none when only middleware matched", async () => {
    const app = new Hono();
    app.use(correlate());
    app.use(async function timing(_c, next) {
      await next();
    });
    app.use('/users/*', async function auth(c, next) {
      if (c.req.header('authorization') === undefined) return c.text('who are you', 401);
      await next();
    });
    app.get('/users/:id', (c) => c.notFound());
    app.all('/files/*', (c) => c.text('file'));
    for (const [path, headers] of [
      ['/users/7', { authorization: 'Bearer x' }],
      ['/users/7', {}],
      ['/nowhere', {}],
      ['/files/a/b', {}],
    ] as const) {
      await (await app.request(path, { headers })).text();
    }
    expect(
      completedLines(await exported()).map((r) => [
        r.attributes['http.response.status_code'],
        r.attributes['http.route'],
      ]),
    ).toEqual([
      [404, '/users/:id'],
      [401, undefined],
      [404, undefined],
      [200, '/files/*'],
    ]);
  });

  it('completes a server-sent event stream after its last event, and as aborted when the client cancels it', async () => {
    const app = new Hono();
    app.use(correlate());
    app.get('/events/:topic', (c) =>
      streamSSE(c, async (sse) => {
        for (let id = 1; id <= 3; id++) {
          log.info('event sent', { 'event.id': id });
          await sse.writeSSE({ id: String(id), data: c.req.param('topic') });
          await sse.sleep(5);
        }
      }),
    );
    const res = await app.request('/events/stock');
    expect(await res.text()).toContain('data: stock');
    const cancelled = await app.request('/events/prices');
    const reader = cancelled.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    await new Promise((r) => setTimeout(r, 50));
    const records = await exported();
    const stock = records.filter((r) => r.attributes['url.path'] === '/events/stock');
    expect(stock.map((r) => r.body)).toEqual([
      'event sent',
      'event sent',
      'event sent',
      'request completed',
    ]);
    const [done] = completedLines(records).filter(
      (r) => r.attributes['url.path'] === '/events/prices',
    );
    expect(done?.attributes).toMatchObject({
      'http.route': '/events/:topic',
      'http.response.status_code': 200,
      'threadline.request.aborted': true,
    });
  });

  it('completes HEAD requests, whose body Hono drops', async () => {
    const app = createHonoApp();
    const res = await app.request('/ids', { method: 'HEAD' });
    expect(res.status).toBe(200);
    const [done] = completedLines(await exported());
    expect(done?.attributes).toMatchObject({ 'http.request.method': 'HEAD', 'http.route': '/ids' });
  });

  it('re-throws the very value it caught when a handler throws something other than an Error', async () => {
    const thrown = { code: 'E_PLAIN_OBJECT' };
    const app = new Hono();
    app.use(correlate());
    app.get('/x', () => {
      throw thrown;
    });
    await expect(app.request('/x')).rejects.toBe(thrown);
    const [failed] = await exported();
    expect(failed?.body).toBe('request failed');
    expect(failed?.attributes['exception.type']).toBe('object');
    expect(failed?.attributes['exception.message']).toEqual({ code: 'E_PLAIN_OBJECT' });
  });

  it('is a named middleware, and fails fast on bad options', () => {
    expect(correlate().name).toBe('threadlineCorrelate');
    expect(() => correlate({ ignore: 'healthz' as never })).toThrow(
      /option "ignore" must be an array of paths \(strings\) and RegExps, or a function/,
    );
    expect(() => correlate({ getClientAddress: 'x-forwarded-for' as never })).toThrow(
      /option "getClientAddress" must be a function \(c\) => string \| undefined; got "x-forwarded-for"/,
    );
  });
});
