import http from 'node:http';
import { createRequire } from 'node:module';
import net, { type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { log, startThreadline } from '@threadline/core';
import type { ReceivedRecord } from '@threadline/testing';
import { type CreateApp, describeHttpAdapter } from '@threadline/testing/http-suite';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type ThreadlineFastifyOptions, threadline } from '../src/index.js';
import {
  createApp as createEsmApp,
  createFastify50App as createEsmFastify50App,
} from './fixtures/app.mjs';
import { listenerOf } from './fixtures/routes.cjs';

const require = createRequire(import.meta.url);
const { createApp: createCjsApp, createFastify50App: createCjsFastify50App } =
  require('./fixtures/app.cjs') as typeof import('./fixtures/app.mjs');
/** The oldest Fastify the peer range takes. */
const Fastify50 = require('fastify5.0') as typeof Fastify;

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'fastify-test',
    endpoint,
    ...QUIET,
  }),
);

describe.each<[string, Array<[string, CreateApp]>, typeof Fastify]>([
  [
    'Fastify 5.12',
    [
      ['ESM', createEsmApp],
      ['CommonJS', createCjsApp],
    ],
    Fastify,
  ],
  [
    'Fastify 5.0',
    [
      ['ESM', createEsmFastify50App],
      ['CommonJS', createCjsFastify50App],
    ],
    Fastify50 as unknown as typeof Fastify,
  ],
])('on %s', (_version, apps, Fastify) => {
  describeHttpAdapter({
    apps,
    exported,
    proxiedApp: (trustProxy, options) => {
      const app = Fastify({ trustProxy });
      app.register(threadline, options);
      app.get('/who', async () => 'ok');
      return listenerOf(app);
    },
  });
});

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
/** The headers of a caller on trace TRACE. */
const CALLER = { traceparent: `00-${TRACE}-${SPAN}-01` };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const completedLines = (records: ReceivedRecord[]) =>
  records.filter((r) => r.body === 'request completed');
/** Runs `fn` the way a library calls back from a context of its own (a pool, a queue). */
const fromElsewhere = (fn: () => void) => context.with(ROOT_CONTEXT, fn);

/** A Fastify app with the plugin registered first, then `routes`, ready. */
async function appWith(
  routes: (app: FastifyInstance) => void,
  options: ThreadlineFastifyOptions = {},
  fastifyOptions: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions);
  await app.register(threadline, options);
  routes(app);
  await app.ready();
  return app;
}

/** Sends raw bytes, then destroys the socket after `ms`; resolves when it closed. */
function sendThenLeave(port: number, head: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.write(head);
    setTimeout(() => socket.destroy(), ms);
  });
}

describe('@threadline/fastify', () => {
  it('puts requests made with fastify.inject() on their traces, with async and callback handlers', async () => {
    const app = await appWith((app) => {
      app.get('/async/:id', async () => {
        await sleep(Math.random() * 5);
        log.info('async handler');
        return 'ok';
      });
      app.get('/callback/:id', (_request, reply) => {
        setTimeout(() => {
          log.info('callback handler');
          reply.send('ok');
        }, Math.random() * 5);
      });
    });
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        app.inject({
          url: `/${n % 2 ? 'callback' : 'async'}/${n}`,
          headers: { traceparent: `00-${(n + 1).toString(16).padStart(32, '0')}-${SPAN}-01` },
        }),
      ),
    );
    for (const res of responses) expect(res.body).toBe('ok');
    const records = await exported();
    expect(records).toHaveLength(80);
    for (let n = 0; n < 40; n++) {
      const lines = records.filter(
        (r) => r.attributes['url.path'] === `/${n % 2 ? 'callback' : 'async'}/${n}`,
      );
      expect(lines.map((r) => r.body).sort()).toEqual([
        n % 2 ? 'callback handler' : 'async handler',
        'request completed',
      ]);
      for (const line of lines) {
        expect(line.traceId).toBe((n + 1).toString(16).padStart(32, '0'));
        expect(line.spanId).toBe(lines[0]?.spanId);
      }
      expect(completedLines(lines)[0]?.attributes['http.route']).toBe(
        n % 2 ? '/callback/:id' : '/async/:id',
      );
    }
  });

  it('applies to the routes and hooks of encapsulated plugins, their prefixes in http.route', async () => {
    const app = await appWith((app) => {
      app.register(
        async (users) => {
          users.addHook('preHandler', async () => log.info('users hook'));
          users.get('/:id/posts/:postId', async () => {
            log.info('users handler');
            return 'ok';
          });
        },
        { prefix: '/users' },
      );
    });
    await app.inject({
      url: '/users/42/posts/7',
      headers: CALLER,
    });
    const records = await exported();
    expect(records.map((r) => r.body)).toEqual([
      'users hook',
      'users handler',
      'request completed',
    ]);
    for (const r of records) expect(r.traceId).toBe(TRACE);
    expect(completedLines(records)[0]?.attributes['http.route']).toBe('/users/:id/posts/:postId');
  });

  it('runs the handler in the scope after a hook that called done from another context', async () => {
    const app = await appWith((app) => {
      app.get(
        '/pooled',
        { preHandler: (_request, _reply, done) => fromElsewhere(() => setTimeout(done, 1)) },
        async () => {
          log.info('handled after the pool');
          return 'ok';
        },
      );
    });
    await app.inject({ url: '/pooled', headers: CALLER });
    const [handled, done] = await exported();
    expect(handled?.body).toBe('handled after the pool');
    expect(handled?.traceId).toBe(TRACE);
    expect(handled?.attributes['url.path']).toBe('/pooled');
    expect(done?.spanId).toBe(handled?.spanId);
  });

  it("keeps the handler's name for what names spans after it", async () => {
    const names: string[] = [];
    const app = Fastify();
    await app.register(threadline);
    app.addHook('onRoute', (route) => {
      names.push(route.handler.name);
    });
    app.get('/named', async function loadOrder() {
      return 'ok';
    });
    await app.ready();
    expect(names).toEqual(['loadOrder', 'loadOrder']); // GET and its HEAD route
  });

  it("runs the application's onResponse hooks in the scope when the response ended elsewhere", async () => {
    const app = await appWith((app) => {
      app.addHook('onResponse', async () => log.info('responded'));
      app.get('/streamed', async (_request, reply) => {
        const body = new PassThrough();
        fromElsewhere(() => setTimeout(() => body.end('ok'), 1));
        return reply.send(body);
      });
    });
    await app.inject({ url: '/streamed', headers: CALLER });
    const responded = (await exported()).find((r) => r.body === 'responded');
    expect(responded?.traceId).toBe(TRACE);
    expect(responded?.attributes['url.path']).toBe('/streamed');
  });

  it('says why when Fastify times the connection out, and runs onTimeout hooks in the scope', async () => {
    const app = await appWith(
      (app) => {
        app.addHook('onTimeout', async () => log.warn('timed out'));
        app.get('/stuck', async () => {
          await sleep(400);
          return 'late';
        });
      },
      {},
      { connectionTimeout: 100 },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        http
          .get({
            port,
            host: '127.0.0.1',
            path: '/stuck',
            headers: CALLER,
          })
          .on('error', () => resolve())
          .on('response', () => resolve());
      });
      await sleep(400);
      const records = await exported();
      expect(records.map((r) => r.body)).toEqual([
        'request failed',
        'timed out',
        'request completed',
      ]);
      for (const r of records) expect(r.traceId).toBe(TRACE);
      expect(records[0]?.attributes).toMatchObject({
        'exception.type': 'TimeoutError',
        'exception.message': 'the connection timed out before the response ended',
        'exception.stacktrace': 'TimeoutError: the connection timed out before the response ended',
      });
      expect(records[2]?.attributes).toMatchObject({
        'http.route': '/stuck',
        'error.type': 'TimeoutError',
        'threadline.request.aborted': true,
      });
    } finally {
      await app.close();
    }
  });

  it('runs onRequestAbort hooks in the scope when the client leaves during the upload', async () => {
    const app = await appWith((app) => {
      app.addHook('onRequestAbort', async (_request) => log.warn('client left'));
      app.post('/upload', async () => 'ok');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      await sendThenLeave(
        port,
        `POST /upload HTTP/1.1\r\nHost: x\r\ntraceparent: 00-${TRACE}-${SPAN}-01\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"half":`,
        50,
      );
      await sleep(100);
      const records = await exported();
      // Fastify also hands the body's `aborted` error to its error handling: `request failed`.
      expect(records.map((r) => r.body).sort()).toEqual([
        'client left',
        'request completed',
        'request failed',
      ]);
      for (const r of records) {
        expect(r.traceId).toBe(TRACE);
        expect(r.attributes['url.path']).toBe('/upload');
      }
      expect(completedLines(records)[0]?.attributes['threadline.request.aborted']).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('follows a reply.hijack(): the lines written by hand, and the status the handler wrote', async () => {
    const app = await appWith((app) => {
      app.get('/hijacked', (_request, reply) => {
        reply.hijack();
        setTimeout(() => {
          log.info('writing by hand');
          reply.raw.writeHead(201, { 'content-type': 'text/plain' });
          reply.raw.end('made');
        }, 5);
      });
    });
    const res = await app.inject({
      url: '/hijacked',
      headers: CALLER,
    });
    expect(res.statusCode).toBe(201);
    const [line, done] = await exported();
    expect(line?.body).toBe('writing by hand');
    expect(line?.traceId).toBe(TRACE);
    expect(done?.spanId).toBe(line?.spanId);
    expect(done?.attributes).toMatchObject({
      'http.route': '/hijacked',
      'http.response.status_code': 201,
    });
  });

  it('logs a request Fastify refuses (schema validation, a bad JSON body) at WARN', async () => {
    const app = await appWith((app) => {
      app.post(
        '/orders',
        {
          schema: {
            body: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } },
          },
        },
        async () => 'ok',
      );
    });
    const invalid = await app.inject({ method: 'POST', url: '/orders', payload: { qty: 1 } });
    const malformed = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{"sku":',
    });
    expect([invalid.statusCode, malformed.statusCode]).toEqual([400, 400]);
    const records = await exported();
    expect(records.map((r) => [r.body, r.severityText])).toEqual([
      ['request failed', 'WARN'],
      ['request completed', 'WARN'],
      ['request failed', 'WARN'],
      ['request completed', 'WARN'],
    ]);
    expect(records[0]?.attributes['exception.message']).toMatch(
      /must have required property 'sku'/,
    );
    expect(records[2]?.attributes['exception.type']).toBe('FastifyError');
  });

  it('gives requests Fastify answers before any hook their completed line (a path parameter over maxParamLength)', async () => {
    const app = await appWith((app) => {
      app.get('/items/:id', async () => 'ok');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await request(app.server).get(`/items/${'x'.repeat(200)}`);
      expect(res.status).toBe(414);
      const [done] = completedLines(await exported());
      expect(done?.severityText).toBe('WARN');
      expect(done?.attributes['http.response.status_code']).toBe(414);
      expect(done?.attributes['url.path']).toBe(`/items/${'x'.repeat(200)}`);
    } finally {
      await app.close();
    }
  });

  it('is a named plugin, and fails fast on bad options', async () => {
    const app = Fastify();
    await app.register(threadline);
    expect(app.hasPlugin('@threadline/fastify')).toBe(true);
    await expect(
      Fastify()
        .register(threadline, { ignore: 'healthz' as never })
        .ready(),
    ).rejects.toThrow(
      /option "ignore" must be an array of paths \(strings\) and RegExps, or a function/,
    );
    await expect(Fastify().register(threadline, { logger: 'request.log' }).ready()).rejects.toThrow(
      /option "logger" must be a Threadline logger, or "request.log" on a Fastify app made with a logger \(Fastify\(\{ logger: … \}\)\); got "request.log"/,
    );
  });
});
