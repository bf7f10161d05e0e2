/**
 * The example app, built by tsc as `nest build` builds it, run in a process
 * of its own on each of Nest's HTTP platforms, exporting to a real OTLP
 * receiver: what each request's records say.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type OtlpReceiver, type ReceivedRecord, startOtlpReceiver } from '@threadline/testing';
import { LISTEN_HOOK, listening } from '@threadline/testing/listen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const API_KEY = 'orders-key';

interface Call {
  method?: 'GET' | 'POST';
  requestId: string;
  apiKey?: boolean;
}

describe.each(['express', 'fastify'])('Nest on its %s platform', (platform) => {
  let receiver: OtlpReceiver;
  let app: ChildProcess;
  let port: number;
  let stderr = '';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const { OTEL_SERVICE_NAME: _, ...inherited } = process.env;
    app = fork(fileURLToPath(new URL(`../dist/main-${platform}.js`, import.meta.url)), {
      execArgv: ['--import', LISTEN_HOOK],
      env: {
        ...inherited,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_BLRP_SCHEDULE_DELAY: '50',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    app.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    port = await listening(app, () => stderr).portOf(3000);
  });

  afterAll(async () => {
    if (app && app.exitCode === null && app.signalCode === null) {
      const exited = once(app, 'exit');
      app.kill('SIGTERM');
      await exited;
    }
    await receiver?.close();
  });

  /** Sends a request on a trace of its own; its trace id, and the response. */
  async function call(path: string, { method = 'GET', requestId, apiKey = true }: Call) {
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: {
        'x-request-id': requestId,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        ...(apiKey ? { 'x-api-key': API_KEY } : {}),
      },
    });
    return { traceId, response, body: await response.json() };
  }

  /** The records of one request, once its `request completed` line has arrived. */
  async function linesOf(requestId: string): Promise<ReceivedRecord[]> {
    const of = () =>
      receiver.records
        .filter((r) => r.attributes['threadline.request.id'] === requestId)
        // An export groups its records by logger (instrumentation scope): back in the order written.
        .sort((a, b) => Number(BigInt(a.timeUnixNano) - BigInt(b.timeUnixNano)));
    await expect
      .poll(() => of().some((r) => r.body === 'request completed'), { timeout: 10_000 })
      .toBe(true);
    return of();
  }

  const withException = (records: ReceivedRecord[]) =>
    records.filter((r) => r.attributes['exception.type'] !== undefined);

  /**
   * The request's one record with `exception.*` (the exception, logged
   * once), checked to be `request failed` at `severity`, with its stack.
   */
  function theFailure(lines: ReceivedRecord[], severity: string, stack: RegExp): ReceivedRecord {
    const failed = withException(lines);
    expect(failed.map((r) => [r.severityText, r.body])).toEqual([[severity, 'request failed']]);
    expect(failed[0]?.attributes['exception.stacktrace']).toMatch(stack);
    return failed[0] as ReceivedRecord;
  }

  /** Every record of the request on the trace it was sent with, all on one span. */
  function expectOneThread(lines: ReceivedRecord[], traceId: string): void {
    for (const r of lines) {
      expect(r.traceId, r.body as string).toBe(traceId);
      expect(r.spanId, r.body as string).toBe(lines[0]?.spanId);
    }
  }

  it('puts every line of a request (guard, interceptor before and after, controller, service) on its trace, and ends with the route', async () => {
    const { traceId, response, body } = await call('/orders/42', { requestId: 'ok-1' });
    expect(response.status).toBe(200);
    expect(body).toEqual({ id: '42', status: 'open' });

    const lines = await linesOf('ok-1');
    expect(lines.map((r) => [r.scope.name, r.body])).toEqual([
      ['ApiKeyGuard', 'API key accepted'],
      ['TimingInterceptor', 'handler starting'],
      ['OrdersController', 'loading order'],
      ['OrdersService', 'order found'],
      ['TimingInterceptor', 'handler done'],
      ['threadline.http', 'request completed'],
    ]);
    const spanId = lines[0]?.spanId;
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    for (const r of lines) {
      expect(r.traceId).toBe(traceId);
      expect(r.spanId).toBe(spanId);
      expect(r.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.path': '/orders/42',
        'threadline.request.id': 'ok-1',
      });
    }
    // Nest 12's structured parameters are the record's attributes.
    expect(lines[2]?.attributes['order.id']).toBe('42');
    expect(lines[4]?.attributes.handler).toBe('OrdersController.findOne');
    expect(lines.at(-1)?.severityText).toBe('INFO');
    expect(lines.at(-1)?.attributes).toMatchObject({
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
    });
    expect(withException(lines)).toEqual([]);
  });

  it("logs a guard's ForbiddenException once, with its stack, and completes the 403 on the route", async () => {
    const { traceId, response } = await call('/orders/42', {
      requestId: 'forbidden-1',
      apiKey: false,
    });
    expect(response.status).toBe(403);

    const lines = await linesOf('forbidden-1');
    expect(lines.map((r) => r.body)).toEqual([
      'API key refused',
      'request failed',
      'request completed',
    ]);
    expectOneThread(lines, traceId);
    const failed = theFailure(lines, 'WARN', /at ApiKeyGuard\.canActivate/);
    expect(failed.attributes).toMatchObject({
      'exception.type': 'ForbiddenException',
      'exception.message': 'a valid x-api-key header is required',
    });
    expect(lines.at(-1)?.severityText).toBe('WARN');
    expect(lines.at(-1)?.attributes).toMatchObject({
      'http.route': '/orders/:id',
      'http.response.status_code': 403,
      'error.type': 'ForbiddenException',
    });
  });

  it("logs the Error a handler throws once, with its stack and cause, through the app's own exception filter", async () => {
    const { traceId, response, body } = await call('/orders/7/pay', {
      method: 'POST',
      requestId: 'pay-1',
    });
    expect(response.status).toBe(500);
    expect(body).toEqual({ statusCode: 500, message: 'payment failed', requestId: 'pay-1' });

    const lines = await linesOf('pay-1');
    expect(lines.map((r) => [r.scope.name, r.body])).toEqual([
      ['ApiKeyGuard', 'API key accepted'],
      ['TimingInterceptor', 'handler starting'],
      ['OrdersController', 'charging card'],
      ['OrdersService', 'payment provider did not answer'],
      ['TimingInterceptor', 'handler threw'],
      ['threadline.http', 'request failed'],
      ['PaymentFailedFilter', 'answering 500: payment failed'],
      ['threadline.http', 'request completed'],
    ]);
    expectOneThread(lines, traceId);
    const failed = theFailure(
      lines,
      'ERROR',
      /at OrdersService\.charge[\s\S]*ECONNREFUSED payments\.internal:443/,
    );
    expect(failed.attributes).toMatchObject({
      'exception.type': 'PaymentError',
      'exception.message': 'card could not be charged',
    });
    expect(lines.at(-1)?.attributes).toMatchObject({
      'http.route': '/orders/:id/pay',
      'http.response.status_code': 500,
      'error.type': 'PaymentError',
    });
  });

  it("exports an unexpected error once, though Nest's ExceptionsHandler reports it too", async () => {
    const { traceId, response, body } = await call('/orders/7/invoice', {
      requestId: 'invoice-1',
    });
    expect(response.status).toBe(500);
    expect(body).toEqual({ statusCode: 500, message: 'Internal server error' });

    const lines = await linesOf('invoice-1');
    expect(lines.map((r) => r.body)).toEqual([
      'API key accepted',
      'handler starting',
      'rendering invoice',
      'handler threw',
      'request failed',
      'request completed',
    ]);
    expectOneThread(lines, traceId);
    const failed = theFailure(lines, 'ERROR', /at OrdersService\.invoice/);
    expect(failed.attributes['exception.type']).toBe('TypeError');
    // Nest printed its own line for it, and that line was not exported again.
    await expect.poll(() => stderr).toMatch(/ExceptionsHandler.*TypeError/);
    expect(receiver.records.filter((r) => r.scope.name === 'ExceptionsHandler')).toEqual([]);
    expect(lines.at(-1)?.attributes).toMatchObject({
      'http.route': '/orders/:id/invoice',
      'http.response.status_code': 500,
      'error.type': 'TypeError',
    });
  });

  it("keeps each of 60 concurrent requests' lines on its own trace and span", async () => {
    const kinds = [
      { path: '/orders/1', method: 'GET', apiKey: true, lines: 6, status: 200 },
      { path: '/orders/2', method: 'GET', apiKey: false, lines: 3, status: 403 },
      { path: '/orders/3/pay', method: 'POST', apiKey: true, lines: 8, status: 500 },
      { path: '/orders/4/invoice', method: 'GET', apiKey: true, lines: 6, status: 500 },
    ] as const;
    const sent = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const kind = kinds[i % kinds.length] as (typeof kinds)[number];
        const requestId = `concurrent-${i}`;
        const { traceId, response } = await call(kind.path, { ...kind, requestId });
        return { kind, requestId, traceId, status: response.status };
      }),
    );
    const spans = new Set<string>();
    for (const { kind, requestId, traceId, status } of sent) {
      expect(status).toBe(kind.status);
      const lines = await linesOf(requestId);
      expect(lines, requestId).toHaveLength(kind.lines);
      for (const r of lines) {
        expect(r.traceId, `${requestId}: ${r.body}`).toBe(traceId);
        expect(r.spanId, `${requestId}: ${r.body}`).toBe(lines[0]?.spanId);
        expect(r.attributes['url.path'], `${requestId}: ${r.body}`).toBe(kind.path);
      }
      // And no line of another request on this one's trace.
      expect(receiver.records.filter((r) => r.traceId === traceId)).toHaveLength(kind.lines);
      spans.add(lines[0]?.spanId ?? '');
    }
    expect(spans.size).toBe(sent.length);
  });
});
