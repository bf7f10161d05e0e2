import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { urlPath } from '../src/http.js';
import {
  createHttpCorrelator,
  extractTraceContext,
  getLogger,
  type HttpCorrelationOptions,
  injectTraceContext,
  type Logger,
  log,
  tryGetHttpRequestScope,
  tryGetScopeAttributes,
  tryGetTraceIds,
  withHopScope,
} from '../src/index.js';
import { useInMemory } from './helpers.js';

const t = useInMemory();

/** A plain node:http server using the correlator directly, as a user of another framework would. */
async function serve(
  options: HttpCorrelationOptions,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => {
    log.info('handled');
    res.end('ok');
  },
) {
  const correlator = createHttpCorrelator(options);
  const server = http.createServer((req, res) => {
    const scope = correlator.begin(req, res, { route: () => '/things/:id' });
    context.with(scope.context, () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function send(port: number, options: http.RequestOptions = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path: '/things/7?secret=1', ...options }, (res) => {
        res.resume();
        res.on('end', () => resolve(res));
      })
      .on('error', reject)
      .end();
  });
}

describe('createHttpCorrelator with node:http', () => {
  it('puts method, path, request id, user agent and client address on every line when asked', async () => {
    const s = await serve({ userAgent: true, clientAddress: true });
    try {
      await send(s.port, { headers: { 'user-agent': `probe/${'x'.repeat(600)}` } });
      const recs = await t.records();
      expect(recs.map((r) => r.body)).toEqual(['handled', 'request completed']);
      for (const r of recs) {
        expect(r.attributes['http.request.method']).toBe('GET');
        expect(r.attributes['url.path']).toBe('/things/7');
        expect(r.attributes['client.address']).toBe('127.0.0.1');
        expect((r.attributes['user_agent.original'] as string).length).toBe(513);
        expect(r.attributes['threadline.request.id']).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(recs[1]?.attributes['http.route']).toBe('/things/:id');
      expect(recs[1]?.instrumentationScope.name).toBe('threadline.http');
    } finally {
      await s.close();
    }
  });

  it('maps an unknown method to _OTHER, keeping the original (cut)', async () => {
    const s = await serve({});
    try {
      await send(s.port, { method: 'PURGE' });
      const [line] = await t.records();
      expect(line?.attributes['http.request.method']).toBe('_OTHER');
      expect(line?.attributes['http.request.method_original']).toBe('PURGE');
    } finally {
      await s.close();
    }
  });

  it('uses a custom severity, and the default one when the custom one throws or returns nonsense', async () => {
    const calls: Array<[number, boolean]> = [];
    let answer: unknown = 'warn';
    const s = await serve({
      severity: (status, aborted) => {
        calls.push([status, aborted]);
        if (answer instanceof Error) throw answer;
        return answer as 'warn';
      },
    });
    try {
      await send(s.port);
      answer = new Error('bug in severity');
      await send(s.port);
      answer = 'loud';
      await send(s.port);
      const done = (await t.records()).filter((r) => r.body === 'request completed');
      expect(done.map((r) => r.severityText)).toEqual(['WARN', 'INFO', 'INFO']);
      expect(calls).toEqual([
        [200, false],
        [200, false],
        [200, false],
      ]);
    } finally {
      await s.close();
    }
  });

  it('writes no completed line for ignored requests or with logCompleted: false, and no request id when turned off', async () => {
    const byFn = await serve({
      ignore: (path, method) => path === '/things/7' && method === 'GET',
    });
    const byRegex = await serve({ ignore: [/^\/things\//] });
    const off = await serve({ logCompleted: false, requestIdHeader: false });
    try {
      for (const s of [byFn, byRegex, off]) await send(s.port);
      const recs = await t.records();
      expect(recs.map((r) => r.body)).toEqual(['handled', 'handled', 'handled']);
      expect(recs[2]?.attributes['threadline.request.id']).toBeUndefined();
    } finally {
      await Promise.all([byFn.close(), byRegex.close(), off.close()]);
    }
  });

  it('logs with the logger it was given', async () => {
    const s = await serve({ logger: getLogger('my.http') });
    try {
      await send(s.port);
      const recs = await t.records();
      expect(recs[1]?.instrumentationScope.name).toBe('my.http');
    } finally {
      await s.close();
    }
  });

  it('opens the scope from the request alone, and does the rest once the response is at hand', async () => {
    const correlator = createHttpCorrelator({
      clientAddress: true,
      responseHeaders: { requestId: true },
    });
    const server = http.createServer((req, res) => {
      const opened = correlator.open(req);
      context.with(opened.scope.context, () => log.info('before the response'));
      opened.respond(res, { route: () => '/things/:id', clientAddress: () => '203.0.113.9' });
      // A second call changes nothing: one completed line, the first hooks.
      opened.respond(res, { route: () => '/other', clientAddress: () => '198.51.100.1' });
      context.with(opened.scope.context, () => {
        log.info('handled');
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const res = await send((server.address() as AddressInfo).port, {
        headers: { 'x-request-id': 'req-1' },
      });
      expect(res.headers['x-request-id']).toBe('req-1');
      const recs = await t.records();
      expect(recs.map((r) => r.body)).toEqual([
        'before the response',
        'handled',
        'request completed',
      ]);
      for (const r of recs) {
        expect(r.spanContext?.spanId).toBe(recs[0]?.spanContext?.spanId);
        expect(r.attributes['threadline.request.id']).toBe('req-1');
      }
      // The client address is the framework's, from `respond` on.
      expect(recs[0]?.attributes['client.address']).toBeUndefined();
      expect(recs[1]?.attributes['client.address']).toBe('203.0.113.9');
      expect(recs[2]?.attributes).toMatchObject({
        'client.address': '203.0.113.9',
        'http.route': '/things/:id',
        'http.response.status_code': 200,
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it.each([
    [
      { trust: 'sometimes' },
      /option "trust" must be one of "continue", "restart", "ignore"; got "sometimes"/,
    ],
    [{ ignore: ['/ok', 42] }, /option "ignore" must be an array of paths/],
    [{ severity: 'warn' }, /option "severity" must be a function/],
    [{ userAgent: 'yes' }, /option "userAgent" must be true or false; got "yes"/],
    [{ requestIdHeader: 'x id' }, /option "requestIdHeader" must be a header name or false/],
    [{ responseHeaders: { traceIdHeader: 'x\r\nevil' } }, /option "responseHeaders.traceIdHeader"/],
    [
      { responseHeaders: { traceResponse: 1 } },
      /option "responseHeaders.traceResponse" must be true or false/,
    ],
    [{ logger: console }, /option "logger" must be a Threadline logger/],
  ])('fails fast on bad options: %o', (options, message) => {
    expect(() => createHttpCorrelator(options as HttpCorrelationOptions)).toThrow(message);
  });
});

describe('createHttpCorrelator on the Fetch API (beginFetch)', () => {
  const TRACE = '0af7651916cd43dd8448eb211c80319c';
  const SPAN = 'b7ad6b7169203331';
  const completedLines = async () =>
    (await t.records()).filter((r) => r.body === 'request completed');

  /** A body that logs between its two chunks, in the request's scope as a handler's stream would. */
  const loggingBody = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('['));
        setTimeout(() => {
          log.info('streaming');
          controller.enqueue(new TextEncoder().encode('1]'));
          controller.close();
        }, 5);
      },
    });

  it('reads the Request, and completes once the body has been read to its end', async () => {
    const correlator = createHttpCorrelator({ userAgent: true, clientAddress: true });
    const scope = correlator.beginFetch(
      new Request('http://localhost/things/7?secret=1', {
        headers: {
          traceparent: `00-${TRACE}-${SPAN}-01`,
          'x-request-id': 'req-1',
          'user-agent': 'probe/1.0',
        },
      }),
      { route: () => '/things/:id', clientAddress: () => '203.0.113.9' },
    );
    const response = context.with(scope.context, () => {
      log.info('handled');
      return scope.respond(new Response(loggingBody(), { status: 201 }));
    });
    expect(await completedLines()).toEqual([]);
    expect(await response.text()).toBe('[1]');
    const lines = await t.records();
    expect(lines.map((r) => r.body)).toEqual(['handled', 'streaming', 'request completed']);
    for (const line of lines) {
      expect(line.spanContext?.traceId).toBe(TRACE);
      expect(line.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.path': '/things/7',
        'threadline.request.id': 'req-1',
        'threadline.parent_span_id': SPAN,
        'user_agent.original': 'probe/1.0',
        'client.address': '203.0.113.9',
      });
    }
    expect(lines[2]?.severityText).toBe('INFO');
    expect(lines[2]?.attributes).toMatchObject({
      'http.route': '/things/:id',
      'http.response.status_code': 201,
    });
    expect(lines[2]?.attributes['threadline.request.aborted']).toBeUndefined();
  });

  it('sets the response headers a response lacks, on a copy when its headers cannot change', async () => {
    const correlator = createHttpCorrelator({
      responseHeaders: { requestId: true, traceResponse: true, traceIdHeader: 'x-trace-id' },
    });
    const request = () =>
      new Request('http://localhost/x', { headers: { traceparent: `00-${TRACE}-${SPAN}-01` } });
    const own = correlator
      .beginFetch(request())
      .respond(new Response('ok', { headers: { 'x-trace-id': 'mine' } }));
    expect(own.headers.get('x-trace-id')).toBe('mine');
    expect(own.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(own.headers.get('traceresponse')).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    await own.text();
    // Response.redirect() makes a response whose headers are immutable, as fetch() does.
    const redirect = Response.redirect('http://localhost/elsewhere', 302);
    const sent = correlator.beginFetch(request()).respond(redirect);
    expect(sent).not.toBe(redirect);
    expect(sent.status).toBe(302);
    expect(sent.headers.get('location')).toBe('http://localhost/elsewhere');
    expect(sent.headers.get('x-trace-id')).toBe(TRACE);
    expect((await completedLines()).map((r) => r.attributes['http.response.status_code'])).toEqual([
      200, 302,
    ]);
  });

  it('completes at once for a response without a body, and for HEAD', async () => {
    const correlator = createHttpCorrelator();
    correlator
      .beginFetch(new Request('http://localhost/a'))
      .respond(new Response(null, { status: 204 }));
    correlator
      .beginFetch(new Request('http://localhost/b', { method: 'HEAD' }))
      .respond(new Response('a body nobody reads'));
    const done = await completedLines();
    expect(
      done.map((r) => [r.attributes['url.path'], r.attributes['http.response.status_code']]),
    ).toEqual([
      ['/a', 204],
      ['/b', 200],
    ]);
  });

  it('completes as aborted when the signal aborts first (no status), or when the body is cancelled', async () => {
    const correlator = createHttpCorrelator();
    const controller = new AbortController();
    const early = correlator.beginFetch(
      new Request('http://localhost/early', { signal: controller.signal }),
    );
    controller.abort();
    // The handler answers after all: no second line.
    await early.respond(new Response('late')).text();
    const late = correlator
      .beginFetch(new Request('http://localhost/late'))
      .respond(new Response(loggingBody()));
    await late.body?.cancel();
    const done = await completedLines();
    expect(done).toHaveLength(2);
    expect(done.map((r) => r.severityText)).toEqual(['WARN', 'WARN']);
    expect(done.map((r) => r.attributes['threadline.request.aborted'])).toEqual([true, true]);
    expect(done[0]?.attributes['http.response.status_code']).toBeUndefined();
    expect(done[1]?.attributes['http.response.status_code']).toBe(200);
  });

  it('logs failures in the scope and completes a 5xx at ERROR with the error type', async () => {
    const correlator = createHttpCorrelator();
    const scope = correlator.beginFetch(new Request('http://localhost/fail'));
    scope.fail(new RangeError('out of stock'));
    scope.respond(new Response(null, { status: 500 }));
    const [failed, done] = await t.records();
    expect(failed?.body).toBe('request failed');
    expect(failed?.attributes['exception.type']).toBe('RangeError');
    expect(done?.severityText).toBe('ERROR');
    expect(done?.attributes['error.type']).toBe('RangeError');
  });

  it('hands back the very response when it has nothing to add (an ignored path, no headers asked)', async () => {
    const correlator = createHttpCorrelator({ ignore: ['/healthz'] });
    const response = new Response('ok');
    expect(correlator.beginFetch(new Request('http://localhost/healthz')).respond(response)).toBe(
      response,
    );
    expect(await response.text()).toBe('ok');
    expect(await completedLines()).toEqual([]);
  });
});

describe("a request's context", () => {
  /** A request and response as node:http hands them over (the parts the correlator reads). */
  function exchange() {
    const req = { method: 'GET', url: '/things/7', headers: {}, socket: {} };
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200,
      writableFinished: true,
      headersSent: true,
    });
    return { req: req as never, res };
  }
  const OUTER = createContextKey('test.outer');
  const INNER = createContextKey('test.inner');

  it('holds the hop span, the scope and the request, over what the context it began in holds', async () => {
    const scope = context.with(ROOT_CONTEXT.setValue(OUTER, 'kept'), () =>
      createHttpCorrelator({}).begin(exchange().req, exchange().res as never),
    );
    const ctx = scope.context;
    const sc = trace.getSpanContext(ctx);
    expect(sc?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ctx.getValue(OUTER)).toBe('kept');
    expect(context.with(ctx, () => tryGetHttpRequestScope())).toBe(scope);
    expect(context.with(ctx, () => tryGetTraceIds()?.spanId)).toBe(sc?.spanId);
    // Values set on top, and taken away, as OpenTelemetry's own contexts do.
    const above = ctx.setValue(INNER, 1);
    expect([above.getValue(INNER), above.getValue(OUTER), ctx.getValue(INNER)]).toEqual([
      1,
      'kept',
      undefined,
    ]);
    expect(trace.getSpanContext(above)).toBe(sc);
    expect(context.with(above, () => tryGetHttpRequestScope())).toBe(scope);
    expect(context.with(above, () => tryGetScopeAttributes()?.['url.path'])).toBe('/things/7');
    const without = ctx.deleteValue(OUTER);
    expect([without.getValue(OUTER), trace.getSpanContext(without)]).toEqual([undefined, sc]);
    expect(trace.getSpanContext(trace.deleteSpan(ctx))).toBeUndefined();
    expect(trace.getSpanContext(trace.deleteSpan(ctx).setValue(INNER, 2))).toBeUndefined();
  });

  it('is entered once a request: its own lines are written in it without entering it again', async () => {
    const run = vi.spyOn(context, 'with');
    try {
      const { req, res } = exchange();
      const scope = createHttpCorrelator({}).begin(req, res as never);
      context.with(scope.context, () => log.info('handled'));
      res.emit('close');
      expect(run).toHaveBeenCalledTimes(1);
    } finally {
      run.mockRestore();
    }
    const [line, completed] = (await t.records()).slice(-2);
    expect(completed?.body).toBe('request completed');
    expect(completed?.spanContext?.spanId).toBe(line?.spanContext?.spanId);
    expect(completed?.attributes['url.path']).toBe('/things/7');
  });

  it("enters the context for the lines of a logger that is not Threadline's", async () => {
    const bodies: string[] = [];
    const ids: Array<string | undefined> = [];
    // A logger of another copy of core (its ESM build beside the CommonJS one) is one of these.
    const write = (message: string) => {
      bodies.push(message);
      ids.push(tryGetTraceIds()?.spanId);
    };
    const logger: Logger = {
      name: 'mine',
      trace: write,
      debug: write,
      info: write,
      warn: write,
      error: write,
      fatal: write,
      isLevelEnabled: () => true,
      child: () => logger,
    };
    const { req, res } = exchange();
    const scope = createHttpCorrelator({ logger }).begin(req, res as never);
    res.emit('close');
    expect(bodies).toEqual(['request completed']);
    expect(ids).toEqual([trace.getSpanContext(scope.context)?.spanId]);
  });
});

describe('the next hop, placed under the hop that called it', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const HOP = '00f067aa0ba902b7';
  const CALL = 'b7ad6b7169203331';
  const parentOf = (headers: Record<string, string>): unknown => {
    const ctx = extractTraceContext(headers);
    return withHopScope({}, () => tryGetScopeAttributes()?.['threadline.parent_span_id'], {
      context: ctx,
    });
  };

  it("takes the caller's hop from tracestate when it names this very call", () => {
    expect(
      parentOf({
        traceparent: `00-${TRACE}-${CALL}-01`,
        tracestate: `threadline=${HOP}.${CALL},rojo=1`,
      }),
    ).toBe(HOP);
  });

  it('takes the parent id itself when tracestate names another call (a tracing SDK in between) or nothing', () => {
    const other = '1111111111111111';
    expect(
      parentOf({ traceparent: `00-${TRACE}-${other}-01`, tracestate: `threadline=${HOP}.${CALL}` }),
    ).toBe(other);
    expect(parentOf({ traceparent: `00-${TRACE}-${CALL}-01` })).toBe(CALL);
    expect(
      parentOf({
        traceparent: `00-${TRACE}-${CALL}-01`,
        tracestate: `threadline=0000000000000000.${CALL}`,
      }),
    ).toBe(CALL);
  });

  it("does not pass the caller's entry on: the next hop's own context drops it", () => {
    const ctx = extractTraceContext({
      traceparent: `00-${TRACE}-${CALL}-01`,
      tracestate: `threadline=${HOP}.${CALL},rojo=1`,
    });
    withHopScope(
      {},
      () => expect(trace.getSpanContext(context.active())?.traceState?.serialize()).toBe('rojo=1'),
      { context: ctx },
    );
  });

  it('replaces the entry with its own on the next call out, keeping the other members', () => {
    const ctx = extractTraceContext({
      traceparent: `00-${TRACE}-${CALL}-01`,
      tracestate: `rojo=1,threadline=${HOP}.${CALL}`,
    });
    withHopScope(
      {},
      () => {
        const hop = tryGetTraceIds()?.spanId;
        const out = injectTraceContext({} as Record<string, string>);
        const call = out.traceparent?.slice(36, 52);
        expect(out.tracestate).toBe(`threadline=${hop}.${call},rojo=1`);
      },
      { context: ctx },
    );
  });
});

describe('urlPath', () => {
  it.each([
    ['/a/b?x=1#f', '/a/b'],
    ['/a#f?x', '/a'],
    ['', '/'],
    [undefined, '/'],
    ['http://proxy.example/a/b?q', '/a/b'],
    ['http://proxy.example', '/'],
    ['*', '*'],
  ])('%s → %s', (input, expected) => {
    expect(urlPath(input)).toBe(expected);
  });
});

describe('injectTraceContext on outbound calls', () => {
  let received: http.IncomingHttpHeaders[] = [];
  let port = 0;
  let server: http.Server;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
  });

  it('gives each call with fetch, undici, http.request and a Headers object one traceparent with a parent id of its own, and names the hop in tracestate', async () => {
    received = [];
    const url = `http://127.0.0.1:${port}/`;
    let hop = { traceId: '', spanId: '' };
    await withHopScope({}, async () => {
      hop = tryGetTraceIds() ?? hop;
      await fetch(url, { headers: injectTraceContext({ accept: 'text/plain' }) });
      await fetch(url, { headers: injectTraceContext(new Headers()) });
      const r = await undiciRequest(url, { headers: injectTraceContext({}) });
      await r.body.text();
      await new Promise<void>((resolve, reject) =>
        http
          .request(url, { headers: injectTraceContext({}) }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject)
          .end(),
      );
    });
    expect(received).toHaveLength(4);
    const calls = received.map((h) => {
      const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(h.traceparent));
      expect(match?.[1]).toBe(hop.traceId);
      const call = match?.[2] as string;
      expect(h.tracestate).toBe(`threadline=${hop.spanId}.${call}`);
      return call;
    });
    expect(new Set([...calls, hop.spanId]).size).toBe(5);
    expect(received[0]?.accept).toBe('text/plain');
  });
});
