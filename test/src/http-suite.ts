/**
 * The behaviour every HTTP adapter (`@threadline/express`, `@threadline/koa`,
 * `@threadline/hono`, `@threadline/fastify`) must show, run against real apps
 * over real sockets. Each adapter's test file starts Threadline with a real
 * receiver and passes its fixture apps (loaded as ESM and as CommonJS) here.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedRecord } from './receiver.js';

/**
 * Builds the fixture app, with the adapter's middleware first and these
 * routes: `POST /orders/:id` (JSON body; logs, waits, adds `order.id` to the
 * scope, streams `[1]`, logging on the way), `GET /ids` (logs `ids`, answers
 * `tryGetTraceIds()`), `GET /fail` (throws an Error with a cause),
 * `GET /async-fail` (rejects with a TypeError after an await),
 * `GET /forbidden` (throws an error whose `status` is 403), `GET /missing`
 * (answers 404), `GET /healthz`, `GET /slow` (answers after 500 ms) and
 * `GET /api/items/:itemId` (in a router mounted at `/api`). With `onError`,
 * an error that reaches the application's own error handling is handed to it
 * and answered 502.
 */
export type CreateApp = (
  options?: Record<string, unknown>,
  hooks?: { onError?: (error: unknown) => void },
) => http.RequestListener;

export interface HttpAdapterSuiteOptions {
  /** The fixture app as each module system loads it: `[['ESM', createApp], ['CommonJS', createApp]]`. */
  apps: Array<[string, CreateApp]>;
  /** Flushes Threadline and returns what reached the receiver since the test began. */
  exported: () => Promise<ReceivedRecord[]>;
  /**
   * An app with the adapter's middleware (given `options`) answering `GET /who`,
   * believing `X-Forwarded-For` when `trustProxy` (Express's `trust proxy`,
   * Koa's `app.proxy`, Fastify's `trustProxy`): checks that `client.address`
   * comes from the framework.
   */
  proxiedApp: (trustProxy: boolean, options: Record<string, unknown>) => http.RequestListener;
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

const completedLines = (records: ReceivedRecord[]) =>
  records.filter((r) => r.body === 'request completed');

/** Registers the shared HTTP adapter suite; call it at the top level of a test file. */
export function describeHttpAdapter({ apps, exported, proxiedApp }: HttpAdapterSuiteOptions): void {
  it("records the client address through the framework's proxy setting, and the user agent, when enabled", async () => {
    const enabled = { clientAddress: true, userAgent: true };
    const get = (app: http.RequestListener) =>
      request(app)
        .get('/who')
        .set('X-Forwarded-For', '203.0.113.9')
        .set('User-Agent', 'probe/1.0 (threadline)')
        .expect(200);
    await get(proxiedApp(true, enabled));
    await get(proxiedApp(false, enabled));
    await get(proxiedApp(true, {}));
    const [proxied, direct, off] = completedLines(await exported()).map((r) => r.attributes);
    expect(proxied?.['client.address']).toBe('203.0.113.9');
    expect(proxied?.['user_agent.original']).toBe('probe/1.0 (threadline)');
    // Without the proxy setting, X-Forwarded-For is not believed: the socket's address.
    expect(direct?.['client.address']).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(direct?.['user_agent.original']).toBe('probe/1.0 (threadline)');
    expect(off).not.toHaveProperty('client.address');
    expect(off).not.toHaveProperty('user_agent.original');
  });

  describe.each(apps)('consumed from %s', (_kind, createApp) => {
    it("keeps each request's trace id and attributes on its own lines under 200 concurrent requests", async () => {
      const server = http.createServer(createApp()).listen(0);
      try {
        const agent = request(server);
        const incoming = new Map<number, string>();
        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, n) => {
            const req = agent.post(`/orders/o-${n}`).send({ items: n });
            // Half continue a caller's trace, half start their own.
            if (n % 2 === 0) {
              const traceId = (n + 1).toString(16).padStart(32, '0');
              incoming.set(n, traceId);
              req.set('traceparent', `00-${traceId}-${SPAN}-01`);
            }
            return req;
          }),
        );
        for (const res of responses) expect(res.text).toBe('[1]');
        const records = await exported();
        expect(records).toHaveLength(800);
        const byPath = new Map<string, ReceivedRecord[]>();
        for (const r of records) {
          const path = r.attributes['url.path'] as string;
          byPath.set(path, [...(byPath.get(path) ?? []), r]);
        }
        expect(byPath.size).toBe(200);
        const traceIds = new Set<string>();
        for (let n = 0; n < 200; n++) {
          const lines = byPath.get(`/orders/o-${n}`) ?? [];
          expect(lines.map((l) => l.body).sort()).toEqual([
            'order done',
            'order received',
            'order streaming',
            'request completed',
          ]);
          const [first] = lines;
          traceIds.add(first?.traceId ?? '');
          for (const l of lines) {
            expect(l.traceId).toBe(first?.traceId);
            expect(l.spanId).toBe(first?.spanId);
            expect(l.attributes['threadline.request.id']).toBe(
              first?.attributes['threadline.request.id'],
            );
            if (l.body === 'order received') expect(l.attributes['order.items']).toBe(n);
            else expect(l.attributes['order.id']).toBe(`o-${n}`);
          }
          const expected = incoming.get(n);
          if (expected) {
            expect(first?.traceId).toBe(expected);
            expect(first?.attributes['threadline.parent_span_id']).toBe(SPAN);
          }
          const done = lines.find((l) => l.body === 'request completed');
          expect(done?.attributes).toMatchObject({
            'http.request.method': 'POST',
            'http.route': '/orders/:id',
            'http.response.status_code': 200,
          });
          expect(done?.severityText).toBe('INFO');
          expect(done?.attributes['threadline.duration_ms']).toBeTypeOf('number');
        }
        expect(traceIds.size).toBe(200);
      } finally {
        server.close();
      }
      // About 4 s alone; it took 5.3 s once while CI ran other packages' tests on the same two cores.
    }, 30_000);

    it('logs an error with its stack and cause, hands it on unchanged, and completes at ERROR', async () => {
      const seen: unknown[] = [];
      const res = await request(createApp({}, { onError: (e) => seen.push(e) })).get('/fail');
      expect(res.status).toBe(502);
      expect(seen).toHaveLength(1);
      expect((seen[0] as Error).message).toBe('payment declined');
      expect((seen[0] as Error).cause).toBeInstanceOf(Error);
      const records = await exported();
      const failed = records.filter((r) => r.body === 'request failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]?.severityText).toBe('ERROR');
      expect(failed[0]?.attributes['exception.type']).toBe('Error');
      expect(failed[0]?.attributes['exception.message']).toBe('payment declined');
      expect(failed[0]?.attributes['exception.stacktrace']).toMatch(
        /payment declined[\s\S]*Caused by: Error: card expired/,
      );
      const [done] = completedLines(records);
      expect(done?.traceId).toBe(failed[0]?.traceId);
      expect(done?.spanId).toBe(failed[0]?.spanId);
      expect(done?.severityText).toBe('ERROR');
      expect(done?.attributes).toMatchObject({
        'http.route': '/fail',
        'http.response.status_code': 502,
        'error.type': 'Error',
      });
    });

    it('logs a rejection after an await the same way, under the default error handling', async () => {
      const res = await request(createApp()).get('/async-fail');
      expect(res.status).toBe(500);
      const records = await exported();
      expect(records.find((r) => r.body === 'request failed')?.attributes['exception.type']).toBe(
        'TypeError',
      );
      const [done] = completedLines(records);
      expect(done?.attributes['error.type']).toBe('TypeError');
      expect(done?.attributes['http.response.status_code']).toBe(500);
    });

    it('logs a thrown 4xx HTTP error at WARN', async () => {
      const res = await request(createApp()).get('/forbidden');
      expect(res.status).toBe(403);
      const records = await exported();
      expect(records.find((r) => r.body === 'request failed')?.severityText).toBe('WARN');
      expect(completedLines(records)[0]?.severityText).toBe('WARN');
    });

    it('completes 4xx at WARN, skips ignored paths, and names the route with its mount path', async () => {
      const app = createApp({ ignore: ['/healthz'] });
      await request(app).get('/missing').expect(404);
      await request(app).get('/healthz').expect(200);
      await request(app).get('/api/items/42').expect(200);
      await request(app).get('/no-such-route').expect(404);
      const done = completedLines(await exported());
      expect(
        done.map((r) => [r.attributes['url.path'], r.severityText, r.attributes['http.route']]),
      ).toEqual([
        ['/missing', 'WARN', '/missing'],
        ['/api/items/42', 'INFO', '/api/items/:itemId'],
        // No route matched: no http.route, never the raw path.
        ['/no-such-route', 'WARN', undefined],
      ]);
    });

    it('says so when the client aborts the request', async () => {
      const server = http.createServer(createApp()).listen(0);
      try {
        const { port } = server.address() as AddressInfo;
        await new Promise<void>((resolve) => {
          const req = http.get({ port, path: '/slow', host: '127.0.0.1' });
          req.on('error', () => resolve());
          // Once the server has the request (a loaded machine may take long to get it there),
          // well before the handler's 500 ms are up.
          server.once('request', () =>
            setTimeout(() => {
              req.destroy();
              resolve();
            }, 50),
          );
        });
        // The completed line comes when the server sees the socket close.
        let done: ReceivedRecord | undefined;
        for (let waited = 0; done === undefined && waited < 5000; waited += 100) {
          await new Promise((r) => setTimeout(r, 100));
          [done] = completedLines(await exported());
        }
        expect(done?.attributes['threadline.request.aborted']).toBe(true);
        expect(done?.severityText).toBe('WARN');
        expect(done?.attributes['http.route']).toBe('/slow');
      } finally {
        server.close();
      }
    });

    it('puts the request id, trace id and traceresponse on responses when asked, error responses included', async () => {
      const app = createApp({
        responseHeaders: { requestId: true, traceResponse: true, traceIdHeader: 'x-trace-id' },
      });
      const res = await request(app)
        .get('/ids')
        .set('traceparent', `00-${TRACE}-${SPAN}-01`)
        .set('x-request-id', 'req-123');
      expect(res.headers['x-request-id']).toBe('req-123');
      expect(res.headers['x-trace-id']).toBe(TRACE);
      expect(res.headers.traceresponse).toBe(`00-${TRACE}-${res.body.spanId}-01`);
      expect(res.body.traceId).toBe(TRACE);
      expect(res.body.spanId).not.toBe(SPAN);
      // Also on responses written by the framework's own error handling.
      const failed = await request(app).get('/fail').set('x-request-id', 'req-456');
      expect(failed.status).toBe(500);
      expect(failed.headers['x-request-id']).toBe('req-456');
      expect(failed.headers['x-trace-id']).toMatch(/^[0-9a-f]{32}$/);
      // None unless asked for.
      const plain = await request(createApp()).get('/ids').set('x-request-id', 'req-789');
      expect(plain.headers['x-request-id']).toBeUndefined();
      expect(plain.headers.traceresponse).toBeUndefined();
    });

    it('restarts the trace at a public edge, keeping the incoming ids as a link, or ignores it', async () => {
      await request(createApp({ trust: 'restart' }))
        .get('/ids')
        .set('traceparent', `00-${TRACE}-${SPAN}-01`);
      await request(createApp({ trust: 'ignore' }))
        .get('/ids')
        .set('traceparent', `00-${TRACE}-${SPAN}-01`);
      const [restarted, ignored] = (await exported()).filter((r) => r.body === 'ids');
      expect(restarted?.traceId).not.toBe(TRACE);
      expect(restarted?.attributes['threadline.link.trace_id']).toBe(TRACE);
      expect(restarted?.attributes['threadline.link.span_id']).toBe(SPAN);
      expect(ignored?.traceId).not.toBe(TRACE);
      expect(ignored?.attributes['threadline.link.trace_id']).toBeUndefined();
    });
  });

  describe('bad input', () => {
    const [[, createApp] = ['', undefined as unknown as CreateApp]] = apps;
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
      server = http.createServer(
        { maxHeaderSize: 128 * 1024 },
        createApp({ responseHeaders: { requestId: true, traceIdHeader: 'x-trace-id' } }),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => {
      server.close();
    });

    /** Sends raw bytes (nothing on the client side cleans them up) and returns the raw response. */
    function raw(head: Buffer | string): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let out = '';
        socket.on('data', (d: Buffer) => {
          out += d.toString('latin1');
        });
        socket.on('end', () => resolve(out));
        socket.on('error', reject);
        socket.end(head);
      });
    }

    const get = (path: string, headers: string[]) =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;

    it.each([
      ['a malformed traceparent', [`traceparent: 00-${TRACE}-${SPAN}-0x`]],
      ['an uppercase traceparent', [`traceparent: 00-${TRACE.toUpperCase()}-${SPAN}-01`]],
      ['version ff', [`traceparent: ff-${TRACE}-${SPAN}-01`]],
      ['an all-zero trace id', [`traceparent: 00-${'0'.repeat(32)}-${SPAN}-01`]],
      [
        'a duplicated traceparent',
        [`traceparent: 00-${TRACE}-${SPAN}-01`, `traceparent: 00-${TRACE}-${SPAN}-01`],
      ],
      ['an 8 KB traceparent', [`traceparent: 00-${TRACE}-${SPAN}-01${'a'.repeat(8192)}`]],
    ])('starts a fresh trace for %s', async (_name, headers) => {
      const res = await raw(get('/ids', headers));
      expect(res).toMatch(/^HTTP\/1\.1 200/);
      const [line] = (await exported()).filter((r) => r.body === 'ids');
      expect(line?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(line?.traceId).not.toBe(TRACE);
    });

    it.each([
      ['an 8 KB tracestate', [`tracestate: ${'k=v,'.repeat(2100)}`]],
      ['a malformed tracestate', ['tracestate: ===,,, ;']],
      ['an 8 KB baggage', [`baggage: ${'k=v,'.repeat(2100)}`]],
      ['a malformed baggage', ['baggage: =;=;%%%']],
    ])('continues the trace and ignores %s', async (_name, headers) => {
      const res = await raw(get('/ids', [`traceparent: 00-${TRACE}-${SPAN}-01`, ...headers]));
      expect(res).toMatch(/^HTTP\/1\.1 200/);
      const [line] = (await exported()).filter((r) => r.body === 'ids');
      expect(line?.traceId).toBe(TRACE);
      expect(JSON.stringify(line).length).toBeLessThan(2000);
    });

    it.each([
      ['a tab', 'x-request-id: abc\tdef'],
      ['a 200-character id', `x-request-id: ${'a'.repeat(200)}`],
      ['spaces and quotes', 'x-request-id: a "b" c'],
      ['non-UTF-8 bytes', 'x-request-id: caf\xe9'],
    ])('replaces an incoming request id with %s, and never echoes it', async (_name, header) => {
      const res = await raw(Buffer.from(get('/ids', [header]), 'latin1'));
      expect(res).toMatch(/^HTTP\/1\.1 200/);
      const echoed = /\r\nx-request-id: ([^\r\n]*)\r\n/i.exec(res)?.[1];
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      const [line] = (await exported()).filter((r) => r.body === 'ids');
      expect(line?.attributes['threadline.request.id']).toBe(echoed);
    });

    it('gets no header injected by CR/LF in a request id (the HTTP parser refuses it)', async () => {
      const res = await raw(get('/ids', ['x-request-id: a\r\nset-cookie: evil=1']));
      expect(res).not.toMatch(/set-cookie: evil/i);
      expect(res.match(/x-request-id/gi)?.length ?? 0).toBeLessThanOrEqual(1);
    });

    it('keeps url.path bounded for a 64 KB URL, and leaves the query string out', async () => {
      const res = await raw(get(`/ids/${'x'.repeat(64 * 1024)}?token=secret`, []));
      expect(res).toMatch(/^HTTP\/1\.1 404/);
      const [done] = completedLines(await exported());
      const path = done?.attributes['url.path'] as string;
      expect(path.length).toBeLessThanOrEqual(2049);
      expect(path.startsWith('/ids/xxx')).toBe(true);
      expect(JSON.stringify(done)).not.toContain('secret');
    });

    it('records non-UTF-8 bytes of a path as they came (raw ones get the HTTP parser’s 400 first)', async () => {
      expect(await raw(Buffer.from(get('/ids/caf\xe9\xff', []), 'latin1'))).toMatch(
        /^HTTP\/1\.1 400/,
      );
      // Percent-encoded, they reach the app (Express answers 400: it cannot decode the param).
      expect(await raw(get('/api/items/caf%E9%FF', []))).toMatch(/^HTTP\/1\.1 [24]00/);
      const [done] = completedLines(await exported());
      expect(done?.attributes['url.path']).toBe('/api/items/caf%E9%FF');
      expect(done?.attributes['http.response.status_code']).toBeLessThan(500);
    });
  });
}
