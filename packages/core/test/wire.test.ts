import { type OtlpReceiver, startOtlpReceiver } from '@threadline/testing';
import { QUIET } from '@threadline/testing/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  log,
  startThreadline,
  type ThreadlineHandle,
  withHopScope,
  withScope,
} from '../src/index.js';

let receiver: OtlpReceiver;
let handle: ThreadlineHandle | undefined;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  receiver.respondWith(undefined);
  receiver.reset();
});

const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  describe(`over OTLP ${protocol}`, () => {
    it('delivers records with hex trace ids, integer severities, scope attributes and resource', async () => {
      handle = startThreadline({
        endpoint: receiver.url,
        protocol,
        serviceName: 'orders',
        serviceVersion: '1.4.2',
        commit: 'a1b2c3d4e5f6',
        environment: 'staging',
        owner: 'team-payments',
        runbookUrl: 'https://runbooks.example.com/orders',
        handleSignals: false,
        diagnostics: 'silent',
        env: {},
      });
      const ctx = extractTraceContext({ traceparent: incoming });
      withHopScope(
        { 'http.route': '/orders/:id' },
        () => {
          withScope({ 'tenant.id': 't-9' }, () => {
            log.warn('slow payment', { 'payment.ms': 812, password: 'hunter2' });
          });
        },
        { context: ctx },
      );
      await handle.forceFlush(5000);
      const records = await receiver.waitForRecords(2);
      expect(receiver.requests[0]?.encoding).toBe(protocol === 'http/json' ? 'json' : 'protobuf');
      const started = records.find((r) => r.body === 'service started');
      expect(started?.traceId).toBe('');
      const rec = records.find((r) => r.body === 'slow payment');
      expect(rec).toBeDefined();
      expect(rec?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(rec?.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(rec?.spanId).not.toBe('00f067aa0ba902b7');
      expect((rec?.flags ?? 0) & 0xff).toBe(1);
      expect(rec?.severityNumber).toBe(13);
      expect(rec?.severityText).toBe('WARN');
      expect(rec?.attributes).toMatchObject({
        'http.route': '/orders/:id',
        'tenant.id': 't-9',
        'payment.ms': 812,
        password: '[REDACTED]',
        'threadline.parent_span_id': '00f067aa0ba902b7',
      });
      // Trace ids live on the record's own fields, not duplicated as attributes.
      expect(
        Object.keys(rec?.attributes ?? {}).some(
          (k) => /trace_?id|span_?id$/i.test(k) && !k.includes('parent'),
        ),
      ).toBe(false);
      expect(rec?.resource).toMatchObject({
        'service.name': 'orders',
        'service.version': '1.4.2',
        'vcs.ref.head.revision': 'a1b2c3d4e5f6',
        'deployment.environment.name': 'staging',
        'threadline.owner': 'team-payments',
        'threadline.runbook.url': 'https://runbooks.example.com/orders',
      });
      for (const req of receiver.requests)
        expect(req.body.includes(Buffer.from('hunter2'))).toBe(false);
    });
  });
}

describe('export failures', () => {
  it('retries a 503 with Retry-After and delivers every record once', async () => {
    receiver.respondWith((_req, attempt) =>
      attempt === 1 ? { status: 503, headers: { 'retry-after': '1' } } : undefined,
    );
    handle = startThreadline({
      endpoint: receiver.url,
      ...QUIET,
    });
    for (let i = 0; i < 10; i++) log.info(`r${i}`);
    await handle.forceFlush(8000);
    expect(receiver.attempts).toBeGreaterThanOrEqual(2);
    expect(receiver.records.map((r) => r.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `r${i}`),
    );
    expect(handle.stats().exported).toBe(10);
  });

  it('does not retry a 400 and counts the records as rejected', async () => {
    receiver.respondWith(() => ({ status: 400 }));
    const lines: string[] = [];
    handle = startThreadline({
      endpoint: receiver.url,
      handleSignals: false,
      logStartup: false,
      diagnostics: (l) => lines.push(l),
      env: {},
    });
    for (let i = 0; i < 5; i++) log.info(`bad${i}`);
    await handle.forceFlush(5000);
    expect(receiver.attempts).toBe(1);
    const s = handle.stats();
    expect(s.dropped.rejected).toBe(5);
    expect(s.lastError).toContain('400');
    expect(lines.join('\n')).toContain(receiver.url);
  });

  it('keeps records while the collector is unreachable and delivers them when it comes back', async () => {
    const down = await startOtlpReceiver();
    const port = down.port;
    await down.close();
    const lines: string[] = [];
    handle = startThreadline({
      endpoint: `http://127.0.0.1:${port}/v1/logs`,
      handleSignals: false,
      logStartup: false,
      exportTimeoutMillis: 1000,
      scheduledDelayMillis: 50,
      diagnostics: (l) => lines.push(l),
      env: {},
    });
    for (let i = 0; i < 20; i++) log.info(`queued${i}`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(handle.stats().failedExports).toBeGreaterThan(0);
    expect(handle.stats().queued).toBe(20);
    expect(lines.some((l) => l.includes('failing') && l.includes(`127.0.0.1:${port}`))).toBe(true);
    const back = await startOtlpReceiver({ port });
    try {
      await handle.forceFlush(8000);
      const got = await back.waitForRecords(20, 8000);
      expect(got.map((r) => r.body)).toEqual(Array.from({ length: 20 }, (_, i) => `queued${i}`));
      expect(handle.stats().exported).toBe(20);
      expect(handle.stats().queued).toBe(0);
    } finally {
      await handle.shutdown();
      await back.close();
    }
  });

  it('shuts down within its deadline when the collector never answers', async () => {
    receiver.respondWith(() => ({ status: 200, hang: true }));
    handle = startThreadline({
      endpoint: receiver.url,
      ...QUIET,
    });
    for (let i = 0; i < 100; i++) log.info(`x${i}`);
    const t0 = Date.now();
    await handle.shutdown(1000);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`counts the records a collector rejects in a partial success as rejected (${protocol})`, async () => {
      // ExportLogsServiceResponse { partial_success { rejected_log_records: 2, error_message: "too big" } }
      const inner = Buffer.concat([Buffer.from([0x08, 2, 0x12, 7]), Buffer.from('too big')]);
      const proto = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
      const json = JSON.stringify({
        partialSuccess: { rejectedLogRecords: '2', errorMessage: 'too big' },
      });
      receiver.respondWith(() => ({
        status: 200,
        body: protocol === 'http/json' ? json : proto,
      }));
      const lines: string[] = [];
      handle = startThreadline({
        endpoint: receiver.url,
        protocol,
        handleSignals: false,
        logStartup: false,
        diagnostics: (l) => lines.push(l),
        env: {},
      });
      for (let i = 0; i < 5; i++) log.info(`p${i}`);
      await handle.forceFlush(5000);
      const s = handle.stats();
      expect(s.dropped.rejected).toBe(2);
      expect(s.exported).toBe(3);
      expect(s.lastError).toContain('too big');
      expect(lines.join('\n')).toContain('2 rejected');
    });
  }

  it('retries a connection reset after the headers of the answer and delivers each record once', async () => {
    receiver.respondWith((_req, attempt) =>
      attempt === 1 ? { status: 200, resetAfterHeaders: true } : undefined,
    );
    handle = startThreadline({
      endpoint: receiver.url,
      ...QUIET,
    });
    for (let i = 0; i < 10; i++) log.info(`r${i}`);
    await handle.forceFlush(8000);
    expect(receiver.attempts).toBe(2);
    expect(receiver.records.map((r) => r.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `r${i}`),
    );
    expect(handle.stats()).toMatchObject({ exported: 10, failedExports: 1 });
  });
});
