import { gunzipSync, gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type LogRecordProcessor,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeExportLogsRequest, type OtlpReceiver, startOtlpReceiver } from './src/index.js';

type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtoLogExporter>[0]>;
type Encoding = 'protobuf' | 'json';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const RESOURCE = { 'service.name': 'receiver-test', 'deployment.environment.name': 'test' };
// Past 2^53 nanoseconds, so a lossy number conversion anywhere would show up in the string.
const EMITTED_AT = new Date('2024-01-02T03:04:05.678Z');
const EMITTED_AT_NANOS = '1704164645678000000';
// Below vitest's 5 s test timeout, so a missing record fails with the receiver's own message.
const WAIT_MS = 4000;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Providers first so in-flight exports finish before their receiver goes away.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(options?: Parameters<typeof startOtlpReceiver>[0]): Promise<OtlpReceiver> {
  const started = await startOtlpReceiver(options);
  cleanups.push(() => started.close());
  return started;
}

function exporter(encoding: Encoding, config: ExporterConfig): LogRecordExporter {
  return encoding === 'protobuf' ? new ProtoLogExporter(config) : new JsonLogExporter(config);
}

function provider(processor: LogRecordProcessor): LoggerProvider {
  const created = new LoggerProvider({
    resource: resourceFromAttributes(RESOURCE),
    processors: [processor],
  });
  cleanups.push(() => created.shutdown());
  return created;
}

function spanContext() {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
  });
}

function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  return fetch(url, { method: 'POST', body, headers });
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each([
  { encoding: 'protobuf' as const, gzip: false, contentType: 'application/x-protobuf' },
  { encoding: 'protobuf' as const, gzip: true, contentType: 'application/x-protobuf' },
  { encoding: 'json' as const, gzip: false, contentType: 'application/json' },
  { encoding: 'json' as const, gzip: true, contentType: 'application/json' },
])('official $encoding exporter, gzip=$gzip', ({ encoding, gzip, contentType }) => {
  it('delivers records that decode to what was emitted', async () => {
    const rx = await receiver();
    const config: ExporterConfig = { url: rx.url };
    if (gzip) config.compression = 'gzip' as ExporterConfig['compression'];
    const logger = provider(
      new SimpleLogRecordProcessor({ exporter: exporter(encoding, config) }),
    ).getLogger('receiver-test-scope', '1.2.3');

    logger.emit({
      timestamp: EMITTED_AT,
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'disk almost full',
      eventName: 'disk.pressure',
      attributes: {
        'disk.path': '/var',
        'disk.free': 42,
        ratio: 0.25,
        ok: false,
        tags: ['a', 'b'],
      },
      context: spanContext(),
    });
    const [first] = await rx.waitForRecords(1, WAIT_MS);
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      body: { nested: { n: 1 }, list: [1, 'two', true] },
    });
    const records = await rx.waitForRecords(2, WAIT_MS);

    expect(first).toEqual({
      resource: RESOURCE,
      scope: { name: 'receiver-test-scope', version: '1.2.3' },
      timeUnixNano: EMITTED_AT_NANOS,
      observedTimeUnixNano: expect.stringMatching(/^[1-9]\d{18}$/),
      severityNumber: 13,
      severityText: 'WARN',
      body: 'disk almost full',
      attributes: {
        'disk.path': '/var',
        'disk.free': 42,
        ratio: 0.25,
        ok: false,
        tags: ['a', 'b'],
      },
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
      eventName: 'disk.pressure',
      droppedAttributesCount: 0,
    });
    expect(records[1]).toMatchObject({
      severityNumber: 9,
      severityText: '',
      body: { nested: { n: 1 }, list: [1, 'two', true] },
      attributes: {},
      traceId: '',
      spanId: '',
      flags: 0,
      eventName: '',
    });

    expect(rx.requests).toHaveLength(2);
    const request = rx.requests[0];
    expect(request?.encoding).toBe(encoding);
    expect(request?.gzip).toBe(gzip);
    expect(request?.headers['content-type']).toBe(contentType);
    expect(request?.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
    if (!request) return;
    if (gzip) {
      expect(request.rawBody.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(gunzipSync(request.rawBody)).toEqual(request.body);
    } else {
      expect(request.rawBody).toEqual(request.body);
    }
    expect(decodeExportLogsRequest(request.body, encoding)).toEqual(request.records);
    expect(rx.attempts).toBe(2);
  });
});

describe('receiver answers', () => {
  it('an empty protobuf request with 200 and an empty protobuf response', async () => {
    const rx = await receiver();
    const res = await post(rx.url, new Uint8Array(), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(rx.requests).toHaveLength(1);
  });

  it('an empty JSON request with 200 and {}', async () => {
    const rx = await receiver();
    const res = await post(rx.url, '{}', { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{}');
  });

  it.each([
    ['protobuf', 'application/x-protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
    ['json', 'application/json', Buffer.from('{"resourceLogs": [')],
  ])('garbage %s with 400 and does not record it', async (_name, contentType, body) => {
    const rx = await receiver();
    const res = await post(rx.url, body, { 'content-type': contentType });
    expect(res.status).toBe(400);
    expect(rx.attempts).toBe(1);
    expect(rx.requests).toHaveLength(0);
    expect(rx.records).toHaveLength(0);
  });

  it('a record with a non-hex trace id with 200 and partial success, recording the others', async () => {
    const rx = await receiver();
    const res = await post(
      rx.url,
      Buffer.from(
        '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"not-hex"},{"body":{"stringValue":"kept"}}]}]}]}',
      ),
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      partialSuccess: {
        rejectedLogRecords: '1',
        errorMessage: expect.stringMatching(/a trace id is not 16 bytes/),
      },
    });
    expect(rx.records.map((r) => r.body)).toEqual(['kept']);
  });

  it('other paths with 404 and unknown content types with 415', async () => {
    const rx = await receiver();
    const wrongPath = await post(rx.url.replace('/v1/logs', '/v1/traces'), '{}', {
      'content-type': 'application/json',
    });
    expect(wrongPath.status).toBe(404);
    const wrongType = await post(rx.url, 'hello', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(rx.attempts).toBe(2);
  });

  it('bodies over maxBodyBytes with 413, before and after gunzip', async () => {
    const rx = await receiver({ maxBodyBytes: 1024 });
    const headers = { 'content-type': 'application/x-protobuf' };
    const large = await post(rx.url, Buffer.alloc(2048), headers);
    expect(large.status).toBe(413);
    // Zeros compress ~1000:1, so the wire body fits but the decompressed one does not.
    const bomb = gzipSync(Buffer.alloc(100_000));
    expect(bomb.length).toBeLessThan(1024);
    const inflated = await post(rx.url, bomb, { ...headers, 'content-encoding': 'gzip' });
    expect(inflated.status).toBe(413);
    expect(rx.requests).toHaveLength(0);
  });
});

describe('OTLP/JSON normalisation', () => {
  const document = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hand-made' } }] },
        scopeLogs: [
          {
            scope: { name: 'hand' },
            logRecords: [
              {
                timeUnixNano: '1700000000000000001',
                observedTimeUnixNano: 1700000000000,
                severityNumber: 17,
                body: { intValue: '9007199254740993' },
                attributes: [
                  { key: 'bytes', value: { bytesValue: 'AQID' } },
                  { key: 'small', value: { intValue: '12' } },
                  { key: 'empty', value: {} },
                  {
                    key: 'map',
                    value: { kvlistValue: { values: [{ key: 'k', value: { doubleValue: 1.5 } }] } },
                  },
                ],
                traceId: '5B8EFFF798038103D269B633813FC60C',
                spanId: 'EEE19B7EC3C1B174',
                someFutureField: { anything: true },
              },
            ],
          },
        ],
      },
    ],
  };

  it('decodes int64 as string or number, bytes as Buffer, hex ids as lowercase', () => {
    const [record] = decodeExportLogsRequest(Buffer.from(JSON.stringify(document)), 'json');
    expect(record).toEqual({
      resource: { 'service.name': 'hand-made' },
      scope: { name: 'hand' },
      timeUnixNano: '1700000000000000001',
      observedTimeUnixNano: '1700000000000',
      severityNumber: 17,
      severityText: '',
      body: '9007199254740993',
      attributes: { bytes: Buffer.from([1, 2, 3]), small: 12, empty: null, map: { k: 1.5 } },
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      flags: 0,
      eventName: '',
      droppedAttributesCount: 0,
    });
  });

  it('accepts the same document over HTTP', async () => {
    const rx = await receiver();
    const res = await post(rx.url, JSON.stringify(document), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    expect((await rx.waitForRecords(1, WAIT_MS))[0]?.body).toBe('9007199254740993');
  });
});

describe('scripted responses', () => {
  it('503 with Retry-After makes the exporter retry later, and the records arrive once', async () => {
    const rx = await receiver();
    const seenAt: number[] = [];
    rx.respondWith((_req, attempt) => {
      seenAt.push(Date.now());
      return attempt === 1 ? { status: 503, headers: { 'retry-after': '2' } } : undefined;
    });
    const logger = provider(
      new SimpleLogRecordProcessor({ exporter: exporter('protobuf', { url: rx.url }) }),
    ).getLogger('retry');

    logger.emit({ body: 'try again' });
    await rx.waitForRecords(1, 8000);

    expect(rx.attempts).toBe(2);
    expect(rx.requests).toHaveLength(2);
    expect(rx.records.map((r) => r.body)).toEqual(['try again']);
    const [firstAt = 0, secondAt = 0] = seenAt;
    // The exporter's own first backoff is 1 s +-20%, so only an honoured Retry-After gets past 1.9 s.
    expect(secondAt - firstAt).toBeGreaterThanOrEqual(1900);
  }, 10_000);

  it('a destroyed socket is retried by the exporter as a network error', async () => {
    const rx = await receiver();
    rx.respondWith((_req, attempt) => (attempt === 1 ? { status: 200, destroy: true } : undefined));
    const logger = provider(
      new SimpleLogRecordProcessor({ exporter: exporter('json', { url: rx.url }) }),
    ).getLogger('reset');

    logger.emit({ body: 'after reset' });
    await rx.waitForRecords(1, WAIT_MS);
    expect(rx.attempts).toBe(2);
    expect(rx.records).toHaveLength(1);
  });

  it('delayMs holds the answer back', async () => {
    const rx = await receiver();
    rx.respondWith(() => ({ status: 202, delayMs: 150 }));
    const started = Date.now();
    const res = await post(rx.url, '{}', { 'content-type': 'application/json' });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('{}');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('non-2xx answers keep the request but not its records', async () => {
    const rx = await receiver();
    rx.respondWith(() => ({ status: 400, body: 'nope' }));
    const oneRecord = {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }],
    };
    const res = await post(rx.url, JSON.stringify(oneRecord), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('nope');
    expect(rx.requests[0]?.records).toHaveLength(1);
    expect(rx.records).toHaveLength(0);
  });

  it('hang mode leaves the request open, and close() still tears it down promptly', async () => {
    const rx = await startOtlpReceiver();
    rx.respondWith(() => ({ status: 200, hang: true }));
    const pending = post(rx.url, '{}', { 'content-type': 'application/json' });
    const outcome = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await until(() => rx.requests.length === 1);

    const closing = rx.close();
    const timeout = new Promise((resolve) => setTimeout(resolve, 2000, 'timeout'));
    expect(await Promise.race([closing.then(() => 'closed'), timeout])).toBe('closed');
    expect(await outcome).toBe('failed');
    expect(rx.records).toHaveLength(0);
  });
});

describe('bookkeeping', () => {
  it('batches several records into one request', async () => {
    const rx = await receiver();
    const logs = provider(
      new BatchLogRecordProcessor({ exporter: exporter('json', { url: rx.url }) }),
    );
    const logger = logs.getLogger('batch');
    for (const body of ['a', 'b', 'c']) logger.emit({ body });
    await logs.forceFlush();
    expect(rx.requests).toHaveLength(1);
    expect(rx.records.map((r) => r.body)).toEqual(['a', 'b', 'c']);
  });

  it('waitForRecords says how many arrived when it times out', async () => {
    const rx = await receiver();
    await expect(rx.waitForRecords(1, 50)).rejects.toThrow(/expected 1 record\(s\).*0 arrived/);
  });

  it('reset clears captured data, the attempt counter and the script', async () => {
    const rx = await receiver();
    rx.respondWith(() => ({ status: 500 }));
    const headers = { 'content-type': 'application/json' };
    expect((await post(rx.url, '{}', headers)).status).toBe(500);
    rx.reset();
    expect(rx.attempts).toBe(0);
    expect(rx.requests).toHaveLength(0);
    expect((await post(rx.url, '{}', headers)).status).toBe(200);
    expect(rx.attempts).toBe(1);
  });
});
