import { type OtlpReceiver, startOtlpReceiver } from '@threadline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, type SpanInfo, startService } from './services.js';

let receiver: OtlpReceiver;
let service: Service;
const spans: SpanInfo[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  service = await startService('with-sdk-node.cjs', {
    ENDPOINT: receiver.url,
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_TRACES_EXPORTER: 'none',
  });
  service.child.on('message', (m: { spans?: SpanInfo[] }) => {
    if (m.spans) spans.push(...m.spans);
  });
});
afterAll(async () => {
  await service.stop();
  await receiver.close();
});

const SPAN = 'b7ad6b7169203331';

describe.each([
  [
    'Express',
    'port',
    '/orders/1',
    'express handler',
    '/orders/:id',
    '0af7651916cd43dd8448eb211c80319c',
    /^request handler/,
  ],
  [
    'Koa',
    'koaPort',
    '/items/1',
    'koa handler',
    '/items/:id',
    '1af7651916cd43dd8448eb211c80319c',
    /\/items\/:id/,
  ],
  // No Hono instrumentation: the handler runs on instrumentation-http's span.
  [
    'Hono',
    'honoPort',
    '/products/1',
    'hono handler',
    '/products/:id',
    '2af7651916cd43dd8448eb211c80319c',
    /^GET$/,
  ],
  [
    'Fastify',
    'fastifyPort',
    '/things/1',
    'fastify handler',
    '/things/:id',
    '4af7651916cd43dd8448eb211c80319c',
    /^handler - loadThing$/,
  ],
])(
  'with @opentelemetry/sdk-node and instrumentation-http (and express, koa or @fastify/otel) running (%s)',
  (_name, portKey, path, message, route, TRACE, handlerSpanName) => {
    it("uses the SDK's span for the request's lines and makes no span of its own", async () => {
      const port = service.ready[portKey] as number;
      const reply = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { traceparent: `00-${TRACE}-${SPAN}-01` },
      });
      expect(reply.status).toBe(200);
      const lines = (await receiver.waitForRecords(receiver.records.length + 2)).filter(
        (r) => r.attributes['url.path'] === path,
      );
      expect(lines.map((r) => r.body)).toEqual([message, 'request completed']);
      await expect.poll(() => spans.filter((s) => s.traceId === TRACE).length).toBeGreaterThan(0);
      const server = spans.find((s) => s.traceId === TRACE && s.parentSpanId === SPAN);
      // instrumentation-http made the server span, continuing the caller's trace.
      expect(server).toBeDefined();
      const sdkSpanIds = new Set(spans.filter((s) => s.traceId === TRACE).map((s) => s.spanId));
      for (const r of lines) {
        expect(r.traceId).toBe(TRACE);
        // One of the SDK's spans, never an id Threadline made up.
        expect(sdkSpanIds.has(r.spanId)).toBe(true);
        expect(r.attributes['threadline.parent_span_id']).toBeUndefined();
      }
      expect(lines[1]?.attributes['http.route']).toBe(route);
      // The request's own line is on the SERVER span, not on the framework
      // instrumentation's INTERNAL span around Threadline's middleware.
      expect(server?.kind).toBe(1);
      expect(lines[1]?.spanId).toBe(server?.spanId);
      // The handler's line is on the span active in the handler.
      const handlerSpan = spans.find((s) => s.spanId === lines[0]?.spanId);
      expect(handlerSpan?.name).toMatch(handlerSpanName);
    });
  },
);

describe('with @opentelemetry/sdk-node, instrumentation-http and @fastify/otel running', () => {
  const TRACE = '3af7651916cd43dd8448eb211c80319c';

  it("makes no span of its own, writes request.log's lines on the SERVER span, once, and leaves @fastify/otel's spans as they are", async () => {
    const port = service.ready.fastifyPort as number;
    const reply = await fetch(`http://127.0.0.1:${port}/things/2`, {
      headers: { traceparent: `00-${TRACE}-${SPAN}-01` },
    });
    expect(reply.status).toBe(200);
    await expect
      .poll(() => spans.filter((s) => s.traceId === TRACE && s.parentSpanId === SPAN).length)
      .toBe(1);
    const lines = (await receiver.waitForRecords(receiver.records.length + 2)).filter(
      (r) => r.attributes['url.path'] === '/things/2',
    );
    // `request completed` came through request.log and @threadline/pino: once.
    expect(lines.map((r) => [r.body, r.scope.name])).toEqual([
      ['fastify handler', 'threadline'],
      ['request completed', 'pino'],
    ]);
    const trace = spans.filter((s) => s.traceId === TRACE);
    const servers = trace.filter((s) => s.kind === 1);
    // instrumentation-http's SERVER span, and under it @fastify/otel's INTERNAL `request` span.
    expect(servers).toHaveLength(1);
    const request = trace.find((s) => s.name === 'request');
    expect(request).toMatchObject({ kind: 0, parentSpanId: servers[0]?.spanId });
    // Threadline's hooks, registered before @fastify/otel, get no hook spans of its.
    expect(trace.filter((s) => /threadline/.test(s.name))).toEqual([]);
    expect(lines[1]?.spanId).toBe(servers[0]?.spanId);
    expect(lines[1]?.attributes).toMatchObject({
      'http.route': '/things/:id',
      'http.response.status_code': 200,
      reqId: expect.any(String),
    });
  });
});
