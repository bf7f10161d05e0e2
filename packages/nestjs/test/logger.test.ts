import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { createHttpCorrelator, startThreadline, withHopScope } from '@threadline/core';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LOGGER_NAME, ThreadlineLogger } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({ serviceName: 'nestjs-test', endpoint, ...QUIET, level: 'trace' }),
);

afterEach(() => {
  vi.restoreAllMocks();
  Logger.overrideLogger(new ThreadlineLogger());
});

/** Runs `handle` inside a correlated request, the way the platform adapters do. */
async function inRequest(handle: () => void): Promise<void> {
  const correlator = createHttpCorrelator({ logCompleted: false });
  const server = http.createServer((req, res) => {
    const scope = correlator.begin(req, res);
    context.with(scope.context, () => {
      handle();
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders/1`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('ThreadlineLogger', () => {
  it("exports each level's lines under their context, with Nest 12's structured parameters as attributes", async () => {
    const logger = new ThreadlineLogger({ print: false, logLevels: ['verbose'] });
    Logger.overrideLogger(logger);
    const orders = new Logger('OrdersService');
    orders.verbose('cache miss');
    orders.debug('query planned', { table: 'orders' });
    orders.log('order loaded', { orderId: 'o-1', items: 3 });
    orders.warn('slow query');
    orders.error('lookup failed');
    orders.fatal('database gone');
    new Logger().log('no context');

    const records = await exported();
    expect(records.map((r) => [r.scope.name, r.severityText, r.body])).toEqual([
      ['OrdersService', 'TRACE', 'cache miss'],
      ['OrdersService', 'DEBUG', 'query planned'],
      ['OrdersService', 'INFO', 'order loaded'],
      ['OrdersService', 'WARN', 'slow query'],
      ['OrdersService', 'ERROR', 'lookup failed'],
      ['OrdersService', 'FATAL', 'database gone'],
      [DEFAULT_LOGGER_NAME, 'INFO', 'no context'],
    ]);
    expect(records[1]?.attributes).toEqual({ table: 'orders' });
    expect(records[2]?.attributes).toEqual({ orderId: 'o-1', items: 3 });
  });

  it('writes no line of a level Nest has turned off', async () => {
    Logger.overrideLogger(new ThreadlineLogger({ print: false, logLevels: ['warn'] }));
    const logger = new Logger('OrdersService');
    logger.log('below the level');
    logger.debug('below the level too');
    logger.warn('kept');
    expect((await exported()).map((r) => r.body)).toEqual(['kept']);
  });

  it('writes an Error as exception.*, and a stack after the message as exception.stacktrace', async () => {
    Logger.overrideLogger(new ThreadlineLogger({ print: false }));
    const logger = new Logger('PaymentsService');
    const error = new TypeError('card declined', { cause: new Error('gateway timeout') });
    logger.error(error);
    logger.error('payment failed', error.stack);
    logger.log({ orderId: 'o-1' });

    const [thrown, withStack, object] = await exported();
    expect(thrown?.body).toBe('card declined');
    expect(thrown?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'card declined',
    });
    expect(thrown?.attributes['exception.stacktrace']).toMatch(/gateway timeout/);
    expect(withStack?.body).toBe('payment failed');
    expect(withStack?.attributes['exception.stacktrace']).toBe(error.stack);
    expect(object?.body).toBe('{"orderId":"o-1"}');
  });

  it('puts the trace of the active scope on each line', async () => {
    Logger.overrideLogger(new ThreadlineLogger({ print: false }));
    const logger = new Logger('ReportsJob');
    withHopScope({ 'job.name': 'nightly' }, () => logger.log('building report'));
    const [line] = await exported();
    expect(line?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line?.attributes['job.name']).toBe('nightly');
  });

  it("records the exception Nest's ExceptionsHandler reports as the request's failure, once", async () => {
    Logger.overrideLogger(new ThreadlineLogger({ print: false }));
    const error = new Error('template missing');
    await inRequest(() => {
      // As BaseExceptionFilter reports an exception it answered with a 500.
      new Logger('ExceptionsHandler').error(error);
      new Logger('ExceptionsHandler').error(error);
    });
    const records = await exported();
    expect(records.map((r) => [r.scope.name, r.body])).toEqual([
      ['threadline.http', 'request failed'],
    ]);
    expect(records[0]?.attributes).toMatchObject({
      'exception.message': 'template missing',
      'url.path': '/orders/1',
    });
  });

  it('exports an ExceptionsHandler line outside a request as a line of its own', async () => {
    Logger.overrideLogger(new ThreadlineLogger({ print: false }));
    new Logger('ExceptionsHandler').error(new Error('outside'));
    const records = await exported();
    expect(records.map((r) => [r.scope.name, r.body])).toEqual([['ExceptionsHandler', 'outside']]);
  });

  it("prints as Nest's ConsoleLogger does, unless print is false", async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    Logger.overrideLogger(new ThreadlineLogger({ colors: false }));
    new Logger('OrdersService').log('printed');
    new Logger('OrdersService').error('failed', new Error('x').stack);
    Logger.overrideLogger(new ThreadlineLogger({ print: false }));
    new Logger('OrdersService').log('not printed');
    new Logger('OrdersService').error('not printed either', new Error('y').stack);
    const printed = [...stdout.mock.calls, ...stderr.mock.calls].map(([chunk]) => String(chunk));
    vi.restoreAllMocks();

    expect(printed.some((line) => /LOG \[OrdersService\] printed/.test(line))).toBe(true);
    expect(printed.some((line) => /at .*logger\.test\.ts/.test(line))).toBe(true);
    expect(printed.join('')).not.toMatch(/not printed|Error: y/);
    expect((await exported()).map((r) => r.body)).toEqual([
      'printed',
      'failed',
      'not printed',
      'not printed either',
    ]);
  });
});
