import { createRequire } from 'node:module';
import { startThreadline } from '@threadline/core';
import { describeHttpAdapter } from '@threadline/testing/http-suite';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { correlate } from '../src/index.js';
import { createApp as createEsmApp } from './fixtures/app.mjs';

const require = createRequire(import.meta.url);
const { createApp: createCjsApp } = require('./fixtures/app.cjs') as {
  createApp: typeof createEsmApp;
};

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'koa-test',
    endpoint,
    handleSignals: false,
    logStartup: false,
    diagnostics: 'silent',
    env: {},
  }),
);

describeHttpAdapter({
  apps: [
    ['ESM', createEsmApp],
    ['CommonJS', createCjsApp],
  ],
  exported,
});

describe('@threadline/koa', () => {
  it('re-throws the very error it caught, whatever was thrown', async () => {
    const thrown = { code: 'E_PLAIN_OBJECT' };
    const caught: unknown[] = [];
    const app = new Koa();
    app.on('error', () => {});
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        caught.push(error);
        ctx.status = 500;
      }
    });
    app.use(correlate());
    app.use(() => {
      throw thrown;
    });
    await request(app.callback()).get('/x').expect(500);
    expect(caught).toEqual([thrown]);
    expect(caught[0]).toBe(thrown);
    const [failed] = await exported();
    expect(failed?.body).toBe('request failed');
    expect(failed?.attributes['exception.type']).toBe('object');
    expect(failed?.attributes['exception.message']).toEqual({ code: 'E_PLAIN_OBJECT' });
  });

  it('records the client address through app.proxy, and the user agent, when enabled', async () => {
    const appWith = (proxy: boolean, options: Parameters<typeof correlate>[0]) => {
      const app = new Koa();
      app.proxy = proxy;
      app.use(correlate(options));
      app.use((ctx) => {
        ctx.body = 'ok';
      });
      return app.callback();
    };
    const enabled = { clientAddress: true, userAgent: true };
    const get = (app: ReturnType<typeof appWith>) =>
      request(app)
        .get('/who')
        .set('X-Forwarded-For', '203.0.113.9')
        .set('User-Agent', 'probe/1.0 (threadline)')
        .expect(200);
    await get(appWith(true, enabled));
    await get(appWith(false, enabled));
    await get(appWith(true, {}));
    const [proxied, direct, off] = (await exported())
      .filter((r) => r.body === 'request completed')
      .map((r) => r.attributes);
    expect(proxied?.['client.address']).toBe('203.0.113.9');
    expect(proxied?.['user_agent.original']).toBe('probe/1.0 (threadline)');
    // Without app.proxy, X-Forwarded-For is not believed: the socket's address.
    expect(direct?.['client.address']).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(direct?.['user_agent.original']).toBe('probe/1.0 (threadline)');
    expect(off).not.toHaveProperty('client.address');
    expect(off).not.toHaveProperty('user_agent.original');
  });

  it('is a named middleware, and fails fast on bad options', () => {
    expect(correlate().name).toBe('threadlineCorrelate');
    expect(() => correlate({ ignore: 'healthz' as never })).toThrow(
      /option "ignore" must be an array of paths \(strings\) and RegExps, or a function/,
    );
  });
});
