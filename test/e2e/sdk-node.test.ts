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
])(
  'with @opentelemetry/sdk-node and instrumentation-http/express/koa running (%s)',
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
