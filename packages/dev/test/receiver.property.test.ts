import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordStore } from '../src/index.js';
import { post } from './http.js';

const CLI = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'threadline-fuzz-'));
const db = join(dir, 'fuzz.sqlite');
const SENTINEL = 'f'.repeat(32);

type Value = string | number | boolean | Uint8Array | Value[] | { [key: string]: Value };

const { value } = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary' }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
}));

const hexId = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

const sdkRecord = fc.record({
  body: value,
  attributes: fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), value, { maxKeys: 6 }),
  traceId: hexId(16),
  spanId: hexId(8),
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: fc.string({ maxLength: 8 }),
  scope: fc.string({ unit: 'binary', maxLength: 8 }),
});

/** What a hostile or broken client could do to a well-formed body. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('none' as const) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
    times: fc.integer({ min: 2, max: 200_000 }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(body: Buffer, m: Mutation): Buffer {
  if (m.kind === 'none' || body.length === 0) return body;
  const at = m.at % body.length;
  if (m.kind === 'truncate') return body.subarray(0, at);
  if (m.kind === 'flip') {
    const copy = Buffer.from(body);
    copy[at] = m.byte;
    return copy;
  }
  if (m.kind === 'insert') return Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
  const slice = body.subarray(at, at + m.length);
  return Buffer.concat([
    body.subarray(0, at),
    Buffer.alloc(slice.length * m.times, slice),
    body.subarray(at),
  ]);
}

type SdkRecord = typeof sdkRecord extends fc.Arbitrary<infer R> ? R : never;

function serialize(records: SdkRecord[], json: boolean): Buffer {
  const resource = resourceFromAttributes({ 'service.name': 'fuzz' });
  const sdk = records.map((r, i) => ({
    hrTime: [1_700_000_000, i] as [number, number],
    hrTimeObserved: [1_700_000_000, i] as [number, number],
    spanContext: { traceId: r.traceId, spanId: r.spanId, traceFlags: 1 },
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: r.body,
    attributes: r.attributes,
    droppedAttributesCount: 0,
    instrumentationScope: { name: r.scope },
    resource,
  }));
  const serializer = json ? JsonLogsSerializer : ProtobufLogsSerializer;
  return Buffer.from(serializer.serializeRequest(sdk as never) ?? []);
}

describe('`threadline dev` under generated and mutated exports', () => {
  let dev: ChildProcess;
  let url: string;
  let store: RecordStore;

  beforeAll(async () => {
    dev = fork(CLI, ['dev', '--port', '0', '--db', db], { stdio: 'pipe' });
    const [ready] = (await once(dev, 'message')) as [{ url: string }];
    url = ready.url;
    const sentinel = serialize(
      [
        {
          body: 'stored first',
          attributes: {},
          traceId: SENTINEL,
          spanId: 'e'.repeat(16),
          severityNumber: 9,
          severityText: 'INFO',
          scope: 's',
        },
      ],
      false,
    );
    expect(await post(url, sentinel, { 'content-type': 'application/x-protobuf' })).toBe(200);
    store = new RecordStore(db, { readOnly: true });
  }, 30_000);
  afterAll(async () => {
    store?.close();
    dev.kill('SIGTERM');
    await once(dev, 'exit');
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every body with an OTLP status, stays up within its memory ceiling, and loses nothing stored', async () => {
    let stored = store.count();
    await fc.assert(
      fc.asyncProperty(
        fc.array(sdkRecord, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        mutation,
        fc.boolean(),
        fc.boolean(),
        async (records, json, m, gzip, wrongType) => {
          const body = mutate(serialize(records, json), m);
          const type = json !== wrongType ? 'application/json' : 'application/x-protobuf';
          const headers: Record<string, string> = { 'content-type': type };
          if (gzip) headers['content-encoding'] = 'gzip';
          const status = await post(url, gzip ? gzipSync(body) : body, headers);
          expect([200, 400, 413]).toContain(status);
          if (m.kind === 'none' && !wrongType) expect(status).toBe(200);
          const now = store.count();
          expect(now).toBeGreaterThanOrEqual(stored);
          stored = now;
        },
      ),
      { numRuns: 400 },
    );
    expect(store.trace(SENTINEL).map((r) => r.body)).toEqual(['stored first']);
    expect(dev.exitCode).toBeNull();
    const status = readFileSync(`/proc/${dev.pid}/status`, 'utf8');
    expect(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024).toBeLessThan(1024);
  }, 120_000);
});
