import { createRequire } from 'node:module';
import { startThreadline } from '@threadline/core';
import { describeHttpAdapter } from '@threadline/testing/http-suite';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
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
    ...QUIET,
  }),
);

describeHttpAdapter({
  apps: [
    ['ESM', createEsmApp],
    ['CommonJS', createCjsApp],
  ],
  exported,
  proxiedApp: (proxy, options) => {
    const app = new Koa();
    app.proxy = proxy;
    app.use(correlate(options));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    return app.callback();
  },
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

  it('is a named middleware, and fails fast on bad options', () => {
    expect(correlate().name).toBe('threadlineCorrelate');
    expect(() => correlate({ ignore: 'healthz' as never })).toThrow(
      /option "ignore" must be an array of paths \(strings\) and RegExps, or a function/,
    );
  });
});
