import { type ChildProcess, execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeExportLogsRequest,
  formatLine,
  formatTimeline,
  hopDepths,
  MAX_INDENT_DEPTH,
  type ReceivedRecord,
  RecordStore,
  type StoredRecord,
  startDevReceiver,
} from '../src/index.js';
import { field, hostileBodies, largeInflatingBody, requestOfRecord } from './hostile-bodies.js';
import { send } from './http.js';

const dir = mkdtempSync(join(tmpdir(), 'threadline-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLI = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** Records as the SDK's serializers take them. */
function sdkRecords(bodies: string[], attributes: Record<string, unknown> = {}) {
  const resource = resourceFromAttributes({ 'service.name': 'probe' });
  return bodies.map((body, i) => ({
    hrTime: [1_700_000_000, i * 1000] as [number, number],
    hrTimeObserved: [1_700_000_000, i * 1000] as [number, number],
    spanContext: { traceId: TRACE, spanId: SPAN, traceFlags: 1 },
    severityNumber: 9,
    severityText: 'INFO',
    body,
    attributes,
    droppedAttributesCount: 0,
    instrumentationScope: { name: 'probe' },
    resource,
  }));
}

function protobufExport(bodies: string[]): Buffer {
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(sdkRecords(bodies) as never) ?? []);
}

function jsonExport(bodies: string[], attributes: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JsonLogsSerializer.serializeRequest(sdkRecords(bodies, attributes) as never) ?? [],
  );
}

/** Sends raw bytes on a new connection and resolves with everything the server wrote back. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

describe('`threadline dev` (the process) under hostile requests', () => {
  let dev: ChildProcess;
  let url: string;
  let port: number;
  let stderr = '';
  const db = join(dir, 'process.sqlite');
  afterEach((context) => {
    if (context.task.result?.state === 'fail') console.error(`threadline dev said: ${stderr}`);
  });

  beforeAll(async () => {
    dev = fork(CLI, ['dev', '--port', '0', '--db', db, '--allow-host', 'devbox.internal'], {
      stdio: 'pipe',
    });
    // Shown when a test fails: what the receiver said, had it died.
    dev.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    dev.on('exit', (code, signal) => {
      stderr += `\n[exited: ${code ?? signal}]`;
    });
    const [ready] = (await once(dev, 'message')) as [{ url: string }];
    url = ready.url;
    port = Number(new URL(url).port);
  }, 30_000);
  afterAll(async () => {
    dev.kill('SIGTERM');
    await once(dev, 'exit');
  });

  it('answers 400 to request targets that are not a path, and keeps running', async () => {
    for (const target of [
      'http://a:99999/',
      'http://[::1/',
      'http://%zz/',
      'http://:1/',
      'http://127.0.0.1/v1/logs',
      '*',
    ]) {
      const answer = await rawRequest(
        port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      expect(answer, target).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect((await send(url, 'POST', PROTOBUF, protobufExport(['after the targets']))).status).toBe(
      200,
    );
    expect(dev.exitCode).toBeNull();
  });

  it('serves a host name given with --allow-host, and no other', async () => {
    const api = url.replace('/v1/logs', '/api/traces');
    expect((await send(api, 'GET', { host: `devbox.internal:${port}` })).status).toBe(200);
    expect((await send(api, 'GET', { host: `devbox.example:${port}` })).status).toBe(403);
  });

  it('refuses bodies that decode to millions of values or nest deeply with 413, within its memory ceiling', async () => {
    const bodies = hostileBodies();
    // Each alone, then all of them at once.
    for (const hostile of bodies) {
      const answer = await send(
        url,
        'POST',
        { 'content-type': hostile.contentType, 'content-encoding': 'gzip' },
        hostile.body,
      );
      expect(answer.status, hostile.name).toBe(413);
    }
    const together = await Promise.all(
      [...bodies, ...bodies].map((hostile) =>
        send(
          url,
          'POST',
          { 'content-type': hostile.contentType, 'content-encoding': 'gzip' },
          hostile.body,
        ),
      ),
    );
    // 503 (retry later) when the bodies held at once would pass the receiver's budget.
    for (const answer of together) expect([413, 503]).toContain(answer.status);
    expect(together.filter((a) => a.status === 413).length).toBeGreaterThan(0);
    // Bodies within every bound that inflate to 63 MiB each, from 16 clients at once: they wait
    // for a slot compressed, and are stored.
    const large = largeInflatingBody();
    const stored = await Promise.all(
      Array.from({ length: 16 }, () =>
        send(url, 'POST', { ...PROTOBUF, 'content-encoding': 'gzip' }, large.body),
      ),
    );
    expect(stored.map((a) => a.status)).toEqual(Array(16).fill(200));
    expect(peakRssMiB(dev.pid as number)).toBeLessThan(1024);
    expect(
      (await send(url, 'POST', PROTOBUF, protobufExport(['after the hostile bodies']))).status,
    ).toBe(200);
    const store = new RecordStore(db, { readOnly: true });
    expect(store.trace(TRACE).map((r) => r.body)).toContain('after the hostile bodies');
    store.close();
    expect(dev.exitCode).toBeNull();
  }, 180_000);
});

describe('the receiver, for requests that do not come from this machine’s own pages', () => {
  let store: RecordStore;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    store = new RecordStore(':memory:');
    const receiver = await startDevReceiver({ store, port: 0 });
    url = receiver.url;
    close = receiver.close;
  });
  afterAll(async () => {
    await close();
    store.close();
  });

  it('answers only requests whose Host is a loopback name or address (DNS rebinding)', async () => {
    const port = new URL(url).port;
    const root = url.replace('/v1/logs', '/');
    const api = url.replace('/v1/logs', '/api/traces');
    const reads = ['/', '/api/traces', '/api/overview', '/api/logs', '/api/events'].map((path) =>
      url.replace('/v1/logs', path),
    );
    for (const host of [
      'attacker.example',
      'attacker.example:80',
      `rebind.test:${port}`,
      '10.0.0.1',
    ]) {
      for (const read of reads) expect((await send(read, 'GET', { host })).status, host).toBe(403);
      const post = await send(url, 'POST', { ...PROTOBUF, host }, protobufExport(['rebound']));
      expect(post.status, host).toBe(403);
    }
    expect((await send(root, 'HEAD', { host: `127.0.0.1:${port}` })).status).toBe(200);
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      `LOCALHOST:${port}`,
      'app.localhost',
      '127.1.2.3',
    ]) {
      expect((await send(api, 'GET', { host })).status, host).toBe(200);
    }
    expect(store.count()).toBe(0);
  });

  it('also serves the host it listens on and the names its options allow', async () => {
    const other = new RecordStore(':memory:');
    const receiver = await startDevReceiver({
      store: other,
      port: 0,
      host: '127.0.0.2',
      allowedHosts: ['Host.Docker.Internal', '::1'],
    });
    try {
      const api = receiver.url.replace('/v1/logs', '/api/traces');
      for (const host of ['127.0.0.2', 'host.docker.internal:4318', '[::1]']) {
        expect((await send(api, 'GET', { host })).status, host).toBe(200);
      }
      const origin = 'http://host.docker.internal:8080';
      const post = await send(receiver.url, 'POST', { ...PROTOBUF, origin }, protobufExport(['x']));
      expect(post.status).toBe(200);
      expect((await send(api, 'GET', { host: 'docker.internal' })).status).toBe(403);
    } finally {
      await receiver.close();
      other.close();
    }
  });

  it('refuses a request with two Host headers', async () => {
    const answer = await rawRequest(
      Number(new URL(url).port),
      'GET /api/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('refuses a POST whose Origin is not a loopback page', async () => {
    for (const origin of [
      'http://attacker.example',
      'null',
      'https://127.0.0.1.attacker.example',
    ]) {
      const answer = await send(url, 'POST', { ...PROTOBUF, origin }, protobufExport(['forged']));
      expect(answer.status, origin).toBe(403);
    }
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:5173']) {
      const answer = await send(url, 'POST', { ...PROTOBUF, origin }, protobufExport([origin]));
      expect(answer.status, origin).toBe(200);
    }
    expect(store.trace(TRACE).map((r) => r.body)).toEqual([
      'http://localhost:3000',
      'http://127.0.0.1:5173',
    ]);
  });
});

describe('the receiver, for exports with records it cannot keep', () => {
  let store: RecordStore;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    store = new RecordStore(':memory:');
    const receiver = await startDevReceiver({ store, port: 0, report: () => {} });
    url = receiver.url;
    close = receiver.close;
  });
  afterAll(async () => {
    await close();
    store.close();
  });

  const record = (body: string, attributes: unknown[] = [], traceId = TRACE) => ({
    timeUnixNano: '1700000000000000000',
    severityNumber: 9,
    body: { stringValue: body },
    attributes,
    traceId,
    spanId: SPAN,
  });
  const otlpJson = (records: unknown[]) =>
    Buffer.from(
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
            scopeLogs: [{ scope: { name: 's' }, logRecords: records }],
          },
        ],
      }),
    );

  it('stores maps shaped like a serialized Buffer as maps, with the records around them', async () => {
    const bufferShaped = (data: unknown) => ({
      key: 'payload',
      value: {
        kvlistValue: {
          values: [
            { key: 'type', value: { stringValue: 'Buffer' } },
            { key: 'data', value: data },
          ],
        },
      },
    });
    const answer = await send(
      url,
      'POST',
      JSON_TYPE,
      otlpJson([
        record('before'),
        record('data 1', [bufferShaped({ intValue: '1' })]),
        record('data of length 2e8', [
          bufferShaped({
            kvlistValue: { values: [{ key: 'length', value: { doubleValue: 2e8 } }] },
          }),
        ]),
        record('after'),
      ]),
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toEqual({});
    const stored = store.trace(TRACE);
    expect(stored.map((r) => r.body)).toEqual(['before', 'data 1', 'data of length 2e8', 'after']);
    expect(stored[1]?.attributes.payload).toEqual({ type: 'Buffer', data: 1 });
    expect(stored[2]?.attributes.payload).toEqual({ type: 'Buffer', data: { length: 2e8 } });
    // Real OTLP bytes values are still bytes, kept as base64.
    const bytes = requestOfRecord(
      field(
        6,
        Buffer.concat([field(1, Buffer.from('raw')), field(2, field(7, Buffer.from([1, 2])))]),
      ),
    );
    expect((await send(url, 'POST', PROTOBUF, bytes)).status).toBe(200);
    expect(store.recent({ limit: 1 })[0]?.attributes.raw).toBe('AQI=');
  });

  it('refuses a record whose trace or span id has the wrong length alone, as OTLP partial success', async () => {
    const before = store.count();
    const json = await send(
      url,
      'POST',
      JSON_TYPE,
      otlpJson([
        record('kept 1'),
        record('short trace id', [], 'abcdef'),
        record('odd-length trace id', [], 'a'.repeat(31)),
        record('trace id not hex', [], 'z'.repeat(32)),
        record('kept 2'),
      ]),
    );
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body.toString())).toEqual({
      partialSuccess: {
        rejectedLogRecords: '3',
        errorMessage: expect.stringMatching(/3 records refused: a trace id is not 16 bytes/),
      },
    });
    // The same in protobuf: a span id of 3 bytes.
    const badSpan = requestOfRecord(
      Buffer.concat([field(9, Buffer.from(TRACE, 'hex')), field(10, Buffer.from([1, 2, 3]))]),
    );
    const proto = await send(url, 'POST', PROTOBUF, badSpan);
    expect(proto.status).toBe(200);
    const response = ProtobufLogsSerializer.deserializeResponse(proto.body);
    expect(Number(response.partialSuccess?.rejectedLogRecords)).toBe(1);
    expect(response.partialSuccess?.errorMessage).toMatch(/a span id is not 8 bytes/);
    expect(store.count()).toBe(before + 2);
    // Every stored trace can be opened.
    for (const trace of store.traces()) expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps a batch with whole numbers past 2^53, as the SDK’s JSON serializer sends them', async () => {
    // The SDK sends a whole JS number as intValue: 2^63 and -1e21 are past int64 in ProtoJSON.
    const attributes = { big: 2 ** 63, negative: -1e21, safe: 42, unsafe: 2 ** 53 };
    const answer = await send(url, 'POST', JSON_TYPE, jsonExport(['big numbers'], attributes));
    expect(answer.status).toBe(200);
    const overJson = store.recent({ limit: 1 })[0]?.attributes;
    // Within int64 it is an int, as protobuf carries it: past 2^53, its decimal text.
    expect(overJson).toEqual({ ...attributes, unsafe: '9007199254740992' });
    const proto = Buffer.from(
      ProtobufLogsSerializer.serializeRequest(sdkRecords(['big numbers'], attributes) as never) ??
        [],
    );
    expect((await send(url, 'POST', PROTOBUF, proto)).status).toBe(200);
    expect(store.recent({ limit: 1 })[0]?.attributes).toEqual(overJson);
  });

  it('keeps a batch whose text holds a lone surrogate, as the SDK’s JSON serializer sends it', async () => {
    const bodies = Array.from({ length: 102 }, (_, i) => `line ${i}`);
    bodies[50] = '😀😀😀'.slice(0, 5);
    const answer = await send(url, 'POST', JSON_TYPE, jsonExport(bodies));
    expect(answer.status).toBe(200);
    const stored = store.recent({ limit: 102 }).map((r) => r.body);
    expect(stored).toHaveLength(102);
    expect(stored[50]).toBe('😀😀\uFFFD');
    expect(stored[101]).toBe('line 101');
  });
});

describe('the receiver’s bounds on nesting', () => {
  const nested = (kind: 'map' | 'array', depth: number): unknown =>
    depth === 0
      ? 'leaf'
      : kind === 'map'
        ? { k: nested(kind, depth - 1) }
        : [nested(kind, depth - 1)];

  it('stores maps and arrays nested up to maxDepth and refuses deeper ones with 413, in both encodings', async () => {
    for (const maxDepth of [24, 30]) {
      const store = new RecordStore(':memory:');
      const receiver = await startDevReceiver({ store, port: 0, limits: { maxDepth } });
      try {
        for (const kind of ['map', 'array'] as const) {
          for (const [encode, headers] of [
            [jsonExport, JSON_TYPE],
            [
              (b: string[], a: Record<string, unknown>) =>
                Buffer.from(
                  ProtobufLogsSerializer.serializeRequest(sdkRecords(b, a) as never) ?? [],
                ),
              PROTOBUF,
            ],
          ] as const) {
            const at = (depth: number) =>
              send(
                receiver.url,
                'POST',
                headers,
                encode([`${kind} ${depth}`], { v: nested(kind, depth) }),
              );
            expect((await at(maxDepth)).status, `${kind} ${maxDepth}`).toBe(200);
            const deeper = await at(maxDepth + 1);
            expect(deeper.status, `${kind} ${maxDepth + 1}`).toBe(413);
            expect(deeper.body.toString()).toBe(`values nested deeper than ${maxDepth} levels`);
          }
        }
      } finally {
        await receiver.close();
        store.close();
      }
    }
  });

  it('counts an OTLP/JSON value as two protobuf ones (decoding it costs twice as much)', () => {
    const empties = 600_000;
    const proto = requestOfRecord(Buffer.alloc(2 * empties).fill(Buffer.from([0x32, 0x00])));
    expect(decodeExportLogsRequest(proto, 'protobuf')).toHaveLength(1);
    const json = Buffer.from(
      `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[${'{},'.repeat(empties - 1)}{}]}]}]}]}`,
    );
    expect(() => decodeExportLogsRequest(json, 'json')).toThrow(
      /more than 1048576 OTLP\/JSON values in one request/,
    );
  });

  it('refuses limits it cannot keep, naming them', async () => {
    const store = new RecordStore(':memory:');
    await expect(startDevReceiver({ store, port: 0, limits: { maxDepth: 31 } })).rejects.toThrow(
      /limits\.maxDepth must be a whole number from 1 to 30, not 31/,
    );
    await expect(startDevReceiver({ store, port: 0, limits: { maxValues: 0 } })).rejects.toThrow(
      /limits\.maxValues/,
    );
    store.close();
  });
});

describe('the store, for a record it cannot keep', () => {
  it('refuses that record alone and keeps the others', () => {
    const store = new RecordStore(':memory:');
    const rec = (body: unknown, attributes: Record<string, unknown> = {}): ReceivedRecord => ({
      resource: {},
      scope: { name: 's' },
      timeUnixNano: '1700000000000000000',
      observedTimeUnixNano: '0',
      severityNumber: 9,
      severityText: 'INFO',
      body,
      attributes,
      traceId: TRACE,
      spanId: SPAN,
      flags: 1,
      eventName: '',
      droppedAttributesCount: 0,
    });
    const result = store.add([rec('one'), rec('two', { big: 1n }), rec('three')]);
    expect(result.stored).toBe(2);
    expect(result.rejected).toEqual([expect.stringMatching(/BigInt/)]);
    expect(store.trace(TRACE).map((r) => r.body)).toEqual(['one', 'three']);
    store.close();
  });
});

/** Stored records of one trace, each hop's parent the hop before it (or after it: `reversed`). */
function chain(length: number, reversed = false): StoredRecord[] {
  const span = (i: number) => i.toString(16).padStart(16, '0');
  return Array.from({ length }, (_, i) => {
    const hop = reversed ? length - 1 - i : i;
    return {
      id: i + 1,
      timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1000n),
      severityNumber: 9,
      severityText: 'INFO',
      body: `hop ${hop}`,
      attributes: {},
      resource: {},
      scope: 's',
      traceId: TRACE,
      spanId: span(hop + 1),
      parentSpanId: hop === 0 ? '' : span(hop),
      linkTraceId: '',
      service: 'svc',
      serviceVersion: '',
    };
  });
}

describe('the viewers, for stored values that are not what a logger writes', () => {
  it('walks a parent chain 30,000 hops deep (and 150,000 reversed) and caps the indentation', () => {
    const depths = hopDepths(chain(30_000));
    expect(depths.get((30_000).toString(16).padStart(16, '0'))).toBe(29_999);
    expect(hopDepths(chain(150_000, true)).get((150_000).toString(16).padStart(16, '0'))).toBe(
      149_999,
    );
    const lines = formatTimeline(chain(30_000));
    expect(lines).toHaveLength(30_001);
    const indent = (line: string) => (/^\S+ ( *)svc/.exec(line)?.[1] ?? '').length;
    expect(indent(lines[3] as string)).toBe(4);
    expect(indent(lines[30_000] as string)).toBe(2 * MAX_INDENT_DEPTH);
  }, 60_000);

  it('answers /api/traces/:id for a reversed chain 150,000 hops deep', async () => {
    const store = new RecordStore(':memory:');
    const records = chain(150_000, true).map(
      (r): ReceivedRecord => ({
        resource: { 'service.name': 'svc' },
        scope: { name: 's' },
        timeUnixNano: r.timeUnixNano,
        observedTimeUnixNano: '0',
        severityNumber: 9,
        severityText: 'INFO',
        body: r.body,
        attributes: r.parentSpanId ? { 'threadline.parent_span_id': r.parentSpanId } : {},
        traceId: TRACE,
        spanId: r.spanId,
        flags: 1,
        eventName: '',
        droppedAttributesCount: 0,
      }),
    );
    store.add(records);
    const receiver = await startDevReceiver({ store, port: 0 });
    try {
      const answer = await send(
        receiver.url.replace('/v1/logs', `/api/traces/${TRACE}`),
        'GET',
        {},
      );
      expect(answer.status).toBe(200);
      const { records: shown, hops } = JSON.parse(answer.body.toString()) as {
        records: Array<{ depth: number }>;
        hops: Array<{ depth: number }>;
      };
      expect(shown).toHaveLength(150_000);
      expect(shown[0]?.depth).toBe(149_999);
      // The waterfall's hops, each under its parent: the root first, the deepest last.
      expect(hops).toHaveLength(150_000);
      expect([hops[0]?.depth, hops.at(-1)?.depth]).toEqual([0, 149_999]);
    } finally {
      await receiver.close();
      store.close();
    }
  }, 60_000);

  it('prints what a log says without the terminal control characters in it', () => {
    const [record] = chain(1);
    const line = formatLine(
      {
        ...(record as StoredRecord),
        service: 'svc\u001b[8m',
        body: '\u001b]0;TITLE\u0007\u001b[2Jcleared\n18:00:00.000 bank [00000000] INFO  forged\u202e',
      },
      0,
      true,
    );
    // Only the colour the viewer adds itself is an escape sequence.
    const own = line.replaceAll('\u001b[2m', '').replaceAll('\u001b[0m', '');
    const unprintable = [...own].filter((c) => {
      const code = c.codePointAt(0) as number;
      return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x202e;
    });
    expect(unprintable).toEqual([]);
    expect(line).toContain('svc\\u001b[8m');
    expect(line).toContain('\\u001b]0;TITLE\\u0007\\u001b[2Jcleared\\u000a18:00:00.000 bank');
  });

  it('names the level of a record that has only a severity number', () => {
    const [record] = chain(1);
    const line = (severityNumber: number) =>
      formatLine({ ...(record as StoredRecord), severityText: '', severityNumber });
    expect(line(13)).toMatch(/ WARN {2}hop 0/);
    expect(line(21)).toMatch(/ FATAL hop 0/);
    expect(line(0)).toMatch(/ 0 {5}hop 0/);
  });

  it('prints values such as the map {toString: "x"} with `trace`, `errors` and `tail`', async () => {
    const db = join(dir, 'values.sqlite');
    const store = new RecordStore(db);
    const odd = JSON.parse('{"toString":"x","valueOf":"y"}') as unknown;
    store.add([
      {
        resource: { 'service.name': 'svc' },
        scope: { name: 's' },
        timeUnixNano: '1700000000000000000',
        observedTimeUnixNano: '0',
        severityNumber: 17,
        severityText: 'ERROR',
        body: odd,
        attributes: { 'http.route': odd, 'exception.message': odd },
        traceId: TRACE,
        spanId: SPAN,
        flags: 1,
        eventName: '',
        droppedAttributesCount: 0,
      },
    ]);
    store.close();
    const run = promisify(execFile);
    const shown =
      /ERROR \{"toString":"x","valueOf":"y"\} {2}route=\{"toString":"x","valueOf":"y"\}/;
    expect((await run(process.execPath, [CLI, 'trace', TRACE, '--db', db])).stdout).toMatch(shown);
    expect((await run(process.execPath, [CLI, 'errors', '--db', db])).stdout).toMatch(shown);
    const tail = fork(CLI, ['tail', '--db', db], { stdio: 'pipe' });
    let out = '';
    tail.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(shown);
      expect(tail.exitCode).toBeNull();
    } finally {
      tail.kill('SIGINT');
    }
  }, 30_000);
});
