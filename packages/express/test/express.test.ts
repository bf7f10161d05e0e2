import { createRequire } from 'node:module';
import { startThreadline } from '@threadline/core';
import { describeHttpAdapter } from '@threadline/testing/http-suite';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { correlate, logErrors } from '../src/index.js';
import { createApp as createEsmApp } from './fixtures/app.mjs';

const require = createRequire(import.meta.url);
const { createApp: createCjsApp } = require('./fixtures/app.cjs') as {
  createApp: typeof createEsmApp;
};

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'express-test',
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

describe('@threadline/express', () => {
  it('logErrors() without correlate() still logs the error and passes it on', async () => {
    const app = express();
    app.get('/boom', () => {
      throw new RangeError('out of range');
    });
    app.use(logErrors());
    await request(app).get('/boom').expect(500);
    const [failed] = await exported();
    expect(failed?.body).toBe('request failed');
    expect(failed?.attributes['exception.type']).toBe('RangeError');
  });

  it('gives middleware and handlers their names, for readable stack traces', () => {
    expect(correlate().name).toBe('threadlineCorrelate');
    expect(logErrors().name).toBe('threadlineLogErrors');
    // Four parameters: Express recognises an error handler by its arity.
    expect(logErrors().length).toBe(4);
  });

  it('fails fast on bad options, naming the option', () => {
    expect(() => correlate({ trust: 'always' as never })).toThrow(
      /option "trust" must be one of "continue", "restart", "ignore"; got "always"/,
    );
    expect(() => correlate({ requestIdHeader: 'x request id' })).toThrow(
      /option "requestIdHeader" must be a header name or false/,
    );
  });
});
