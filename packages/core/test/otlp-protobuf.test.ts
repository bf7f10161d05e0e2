import { ROOT_CONTEXT, type SpanContext, trace } from '@opentelemetry/api';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { decodeExportLogsRequest } from '@threadline/testing';
import { describe, expect, it } from 'vitest';
import { encodeLogsRequest, releaseRequestBody } from '../src/internal/otlp-protobuf.js';

/** Records made by the SDK itself, of every value shape OTLP has. */
function sdkRecords(): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': 'enc',
      'service.version': '1.0.0',
      'host.cpu.count': 2,
      'feature.on': true,
    }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const sc: SpanContext = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
  };
  const ctx = trace.setSpanContext(ROOT_CONTEXT, sc);
  const a = provider.getLogger('a', '1.2.3');
  const b = provider.getLogger('b');
  a.emit({
    context: ctx,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'plain',
    attributes: {
      s: 'x',
      i: 42,
      neg: -7,
      big: 2 ** 40,
      bigneg: -(2 ** 45),
      max: Number.MAX_SAFE_INTEGER,
      min: Number.MIN_SAFE_INTEGER,
      d: 3.25,
      nd: -0.5,
      t: true,
      f: false,
    },
  });
  a.emit({
    context: ctx,
    severityNumber: 17,
    body: { nested: { deep: [1, 'two', { three: 3 }] }, list: [] },
    attributes: {
      bytes: new Uint8Array([0, 1, 255]),
      empty: '',
      unicode: 'żółw 🐢 日本語',
      long: 'x'.repeat(300),
      arr: ['a', 'b'],
      map: { k: 'v', n: null },
    },
  });
  b.emit({
    severityNumber: 5,
    body: 'no trace context',
    timestamp: [1_700_000_000, 123_456_789],
    eventName: 'deploy.finished',
  });
  b.emit({
    body: 'x'.repeat(70_000),
    attributes: { ['k'.repeat(200)]: 'long key' },
    timestamp: [4_102_444_800, 999_999_999],
  });
  return exporter.getFinishedLogRecords();
}

describe('the OTLP/protobuf encoder', () => {
  it('decodes (with the official definitions) to exactly what the OpenTelemetry serializer produces', () => {
    const records = sdkRecords();
    const ours = decodeExportLogsRequest(Buffer.from(encodeLogsRequest(records)), 'protobuf');
    const theirs = decodeExportLogsRequest(
      Buffer.from(ProtobufLogsSerializer.serializeRequest(records) as Uint8Array),
      'protobuf',
    );
    expect(ours).toHaveLength(4);
    expect(ours).toEqual(theirs);
    expect(ours[0]?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ours[0]?.attributes.max).toBe(Number.MAX_SAFE_INTEGER);
    expect(ours[0]?.attributes.min).toBe(Number.MIN_SAFE_INTEGER);
    expect(ours[2]?.timeUnixNano).toBe('1700000000123456789');
    expect(ours[3]?.timeUnixNano).toBe('4102444800999999999');
    expect(ours[2]?.eventName).toBe('deploy.finished');
    expect(String(ours[3]?.body)).toHaveLength(70_000);
  });

  it('keeps records of several scopes and resources apart', () => {
    const records = sdkRecords();
    const r0 = records[0] as ReadableLogRecord;
    const other: ReadableLogRecord = {
      hrTime: r0.hrTime,
      hrTimeObserved: r0.hrTimeObserved,
      severityNumber: r0.severityNumber,
      body: r0.body,
      attributes: r0.attributes,
      droppedAttributesCount: 0,
      instrumentationScope: r0.instrumentationScope,
      resource: resourceFromAttributes({ 'service.name': 'other' }),
    };
    const decoded = decodeExportLogsRequest(
      Buffer.from(encodeLogsRequest([...records, other])),
      'protobuf',
    );
    expect(decoded.map((r) => [r.scope.name, r.resource['service.name']])).toEqual([
      ['a', 'enc'],
      ['a', 'enc'],
      ['b', 'enc'],
      ['b', 'enc'],
      ['a', 'other'],
    ]);
    expect(decoded[0]?.scope.version).toBe('1.2.3');
  });

  it('encodes a batch larger than its starting buffer', () => {
    const records = sdkRecords();
    const many = Array.from({ length: 200 }, () => records[3] as ReadableLogRecord);
    const decoded = decodeExportLogsRequest(Buffer.from(encodeLogsRequest(many)), 'protobuf');
    expect(decoded).toHaveLength(200);
    expect(String(decoded[199]?.body)).toHaveLength(70_000);
  });

  it('matches the OpenTelemetry serializer on 300 random records (seeded)', () => {
    let seed = 20261128;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const strings = [
      '',
      'a',
      'żółw',
      '🐢🐢',
      'x'.repeat(42),
      'y'.repeat(43),
      'z'.repeat(200),
      'v'.repeat(127),
      'w'.repeat(128),
      'line\nbreak',
      '\u0000nul',
    ];
    const value = (depth: number): unknown => {
      const kind = Math.floor(rand() * (depth > 2 ? 5 : 8));
      switch (kind) {
        case 0:
          return pick(strings);
        case 1:
          return Math.floor((rand() - 0.5) * 2 ** (rand() * 53));
        case 2:
          return (rand() - 0.5) * 1e6;
        case 3:
          return rand() > 0.5;
        case 4:
          return new Uint8Array(
            Array.from({ length: Math.floor(rand() * 5) }, () => Math.floor(rand() * 256)),
          );
        case 5:
          return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
        case 6:
          return Object.fromEntries(
            Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [
              `k${i}${pick(strings)}`,
              value(depth + 1),
            ]),
          );
        default:
          return null;
      }
    };
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'fuzz' }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('fuzz');
    for (let n = 0; n < 300; n++) {
      const attributes: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--)
        attributes[`a${i}.${pick(strings)}`] = value(0);
      const traced = rand() > 0.3;
      const context = traced
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId: Math.floor(rand() * 1e15)
              .toString(16)
              .padStart(32, '0'),
            spanId: Math.floor(rand() * 1e15)
              .toString(16)
              .padStart(16, '1'),
            traceFlags: Math.floor(rand() * 4),
          })
        : ROOT_CONTEXT;
      logger.emit({
        context,
        severityNumber: Math.floor(rand() * 25),
        severityText: pick(['', 'INFO', 'ERROR']),
        body: value(0) as never,
        attributes: attributes as never,
        timestamp: [Math.floor(rand() * 4e9), Math.floor(rand() * 1e9)],
      });
    }
    const records = exporter.getFinishedLogRecords();
    const ours = decodeExportLogsRequest(Buffer.from(encodeLogsRequest(records)), 'protobuf');
    const theirs = decodeExportLogsRequest(
      Buffer.from(ProtobufLogsSerializer.serializeRequest(records) as Uint8Array),
      'protobuf',
    );
    expect(ours).toHaveLength(300);
    expect(ours).toEqual(theirs);
  });
});

describe('request bodies', () => {
  it('are encoded into a buffer used again only once its request gave it back', () => {
    const records = sdkRecords();
    const first = encodeLogsRequest(records);
    const copy = Buffer.from(first);
    // Not given back: the next body gets other memory, and the first is left as it was.
    const second = encodeLogsRequest(records.slice(0, 1));
    expect(second.buffer).not.toBe(first.buffer);
    expect(Buffer.from(first).equals(copy)).toBe(true);
    // Given back: the next body is written into the same memory.
    releaseRequestBody(first);
    const third = encodeLogsRequest(records);
    expect(third.buffer).toBe(first.buffer);
    expect(Buffer.from(third).equals(copy)).toBe(true);
    // A body given back twice, or one this encoder did not make, changes nothing.
    releaseRequestBody(first);
    releaseRequestBody(new Uint8Array(8));
    expect(encodeLogsRequest(records).buffer).not.toBe(third.buffer);
    expect(decodeExportLogsRequest(Buffer.from(third), 'protobuf')).toEqual(
      decodeExportLogsRequest(copy, 'protobuf'),
    );
  });
});
