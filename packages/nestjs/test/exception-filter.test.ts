import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ArgumentsHost, ForbiddenException, type HttpServer, Logger } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { createHttpCorrelator, startThreadline } from '@threadline/core';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import { describe, expect, it } from 'vitest';
import { ThreadlineExceptionFilter, ThreadlineLogger } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({ serviceName: 'nestjs-test', endpoint, ...QUIET }),
);

/** What the filter needs of Nest's HTTP adapter: the answer it sends. */
const adapter = {
  isHeadersSent: (res: http.ServerResponse) => res.headersSent,
  reply(res: http.ServerResponse, body: unknown, status: number) {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  },
  end: (res: http.ServerResponse) => res.end(),
} as unknown as HttpServer;

/**
 * A request correlated as the platform adapters do, whose handler throws
 * `exception` into the filter as Nest's router does.
 */
async function failWith(
  exception: unknown,
  type = 'http',
): Promise<{ status: number; body: unknown }> {
  const correlator = createHttpCorrelator();
  const filter = new ThreadlineExceptionFilter(adapter);
  const server = http.createServer((req, res) => {
    const scope = correlator.begin(req, res, { route: () => '/orders/:id' });
    context.with(scope.context, async () => {
      await Promise.resolve();
      const host = { getType: () => type, getArgByIndex: (i: number) => [req, res][i] };
      filter.catch(exception, host as unknown as ArgumentsHost);
      if (!res.writableEnded) res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    return { status: response.status, body: await response.json().catch(() => undefined) };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('ThreadlineExceptionFilter', () => {
  it("logs an HttpException of a 4xx once as WARN, with its stack, and answers as Nest's filter does", async () => {
    const { status, body } = await failWith(new ForbiddenException('no key'));
    expect(status).toBe(403);
    expect(body).toEqual({ statusCode: 403, message: 'no key', error: 'Forbidden' });
    const records = await exported();
    expect(records.map((r) => [r.severityText, r.body])).toEqual([
      ['WARN', 'request failed'],
      ['WARN', 'request completed'],
    ]);
    expect(records[0]?.attributes).toMatchObject({
      'exception.type': 'ForbiddenException',
      'exception.message': 'no key',
    });
    expect(records[0]?.attributes['exception.stacktrace']).toMatch(/exception-filter\.test\.ts/);
    expect(records[1]?.attributes).toMatchObject({
      'http.route': '/orders/:id',
      'error.type': 'ForbiddenException',
    });
  });

  it("logs any other exception once as ERROR, with Nest's 500, though ThreadlineLogger reports it again", async () => {
    Logger.overrideLogger(new ThreadlineLogger({ print: false }));
    const { status, body } = await failWith(new RangeError('no such page'));
    expect(status).toBe(500);
    expect(body).toEqual({ statusCode: 500, message: 'Internal server error' });
    const records = await exported();
    expect(records.map((r) => [r.severityText, r.body])).toEqual([
      ['ERROR', 'request failed'],
      ['ERROR', 'request completed'],
    ]);
    expect(records[0]?.attributes['exception.type']).toBe('RangeError');
  });

  it('records nothing for an exception outside HTTP (an RPC or WebSocket handler)', async () => {
    await failWith(new ForbiddenException('no key'), 'rpc');
    const records = await exported();
    expect(records.map((r) => r.body)).toEqual(['request completed']);
  });
});
