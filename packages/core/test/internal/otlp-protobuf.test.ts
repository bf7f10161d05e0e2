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
import {
  encodeLogsRequest,
  RecordEncoder,
  releaseRequestBody,
} from '../../src/internal/otlp-protobuf.js';
import { endOf, RecordBlocks, startOf, WHOLE } from '../../src/internal/queue.js';

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

  it("writes a span's ids and a record's time again where they repeat", () => {
    // The encoder copies ids it wrote for an earlier record of the same span; ending a
    // scope's or a resource's field moves what was written in it.
    const sc: SpanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    };
    const at: [number, number] = [1_764_000_123, 456_789_012];
    const make = (scope: string, service: string, body: string): ReadableLogRecord => ({
      // One array for both times, as Threadline's records have it (written once, copied).
      hrTime: at,
      hrTimeObserved: at,
      severityNumber: 9,
      body,
      attributes: {},
      droppedAttributesCount: 0,
      spanContext: sc,
      instrumentationScope: { name: scope },
      resource: resources[service] as ReadableLogRecord['resource'],
    });
    const resources: Record<string, unknown> = {
      a: resourceFromAttributes({ 'service.name': 'a' }),
      b: resourceFromAttributes({ 'service.name': 'b' }),
    };
    const records = [
      make('x', 'a', 'short'),
      make('y', 'a', 'z'.repeat(300)),
      make('x', 'b', 'short'),
      make('x', 'a', 'z'.repeat(200)),
      make('y', 'b', 'z'.repeat(20_000)),
      make('y', 'a', 'short'),
    ];
    const ours = decodeExportLogsRequest(Buffer.from(encodeLogsRequest(records)), 'protobuf');
    expect(ours).toHaveLength(6);
    for (const r of ours) {
      expect([r.traceId, r.spanId, r.flags]).toEqual([sc.traceId, sc.spanId, 1]);
      expect([r.timeUnixNano, r.observedTimeUnixNano]).toEqual([
        '1764000123456789012',
        '1764000123456789012',
      ]);
    }
    expect(ours).toEqual(
      decodeExportLogsRequest(
        Buffer.from(ProtobufLogsSerializer.serializeRequest(records) as Uint8Array),
        'protobuf',
      ),
    );
  });

  it('encodes a batch larger than its starting buffer', () => {
    const records = sdkRecords();
    const many = Array.from({ length: 200 }, () => records[3] as ReadableLogRecord);
    const decoded = decodeExportLogsRequest(Buffer.from(encodeLogsRequest(many)), 'protobuf');
    expect(decoded).toHaveLength(200);
    expect(String(decoded[199]?.body)).toHaveLength(70_000);
  });

  it('matches the OpenTelemetry serializer on 300 random records of two scopes (seeded)', () => {
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
    const loggers = [provider.getLogger('fuzz'), provider.getLogger('fuzz', '2')] as const;
    const randomSpanContext = (): SpanContext => ({
      traceId: Math.floor(rand() * 1e15)
        .toString(16)
        .padStart(32, '0'),
      spanId: Math.floor(rand() * 1e15)
        .toString(16)
        .padStart(16, '1'),
      traceFlags: Math.floor(rand() * 4),
    });
    const spanContexts = [randomSpanContext()];
    for (let n = 0; n < 300; n++) {
      const attributes: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--)
        attributes[`a${i}.${pick(strings)}`] = value(0);
      // Runs of records share a span context (so the encoder copies ids it wrote before), as a
      // request's or a job's lines do; some are new, some come back, some differ in one part.
      const r = rand();
      if (r < 0.15) spanContexts.push(randomSpanContext());
      else if (r < 0.2) {
        const sc = pick(spanContexts);
        spanContexts.push({ ...sc, traceFlags: (sc.traceFlags + 1) % 4 });
      } else if (r < 0.25)
        spanContexts.push({ ...pick(spanContexts), spanId: randomSpanContext().spanId });
      const traced = rand() > 0.2;
      const context = traced
        ? trace.setSpanContext(
            ROOT_CONTEXT,
            rand() > 0.3 ? (spanContexts.at(-1) as SpanContext) : pick(spanContexts),
          )
        : ROOT_CONTEXT;
      const logger = rand() > 0.3 ? loggers[0] : loggers[1];
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

describe('records encoded when they are written', () => {
  /** The SDK's records and one of another resource, interleaved with the others. */
  function mixed(): ReadableLogRecord[] {
    const records = sdkRecords();
    const [a1, a2, b1, b2] = records as [
      ReadableLogRecord,
      ReadableLogRecord,
      ReadableLogRecord,
      ReadableLogRecord,
    ];
    // The SDK's records read their fields through getters: copied field by field.
    const other: ReadableLogRecord = {
      hrTime: a1.hrTime,
      hrTimeObserved: a1.hrTimeObserved,
      spanContext: a1.spanContext,
      severityNumber: a1.severityNumber,
      body: a1.body,
      attributes: a1.attributes,
      droppedAttributesCount: 0,
      instrumentationScope: a1.instrumentationScope,
      resource: resourceFromAttributes({ 'service.name': 'other' }),
    };
    return [b1, a1, other, b2, a2, other];
  }

  it('make, once assembled, the very bytes the batch encoder writes for the same records', () => {
    const records = mixed();
    const encoder = new RecordEncoder();
    // Each kept as the queue keeps it: copied into a block, at a place
    // (encode() hands out a view of its scratch buffer).
    const blocks = new RecordBlocks();
    const buffers: Uint8Array[] = [];
    const places: number[] = [];
    for (const r of records) {
      places.push(blocks.copy(encoder.encode(r), 1));
      buffers.push(blocks.block);
    }
    const assembled = Buffer.from(encoder.assemble(buffers, places));
    expect(assembled.equals(Buffer.from(encodeLogsRequest(records)))).toBe(true);
    // Any subset, in any order, as batches taken from the queue are; and whole buffers.
    const some = [4, 0, 5, 2];
    const whole = some.map((i) =>
      Buffer.from(
        (buffers[i] as Buffer).subarray(
          startOf(places[i] as number),
          endOf(buffers[i] as Uint8Array, places[i] as number),
        ),
      ),
    );
    expect(
      Buffer.from(
        encoder.assemble(
          whole,
          some.map(() => WHOLE),
        ),
      ).equals(Buffer.from(encodeLogsRequest(some.map((i) => records[i] as ReadableLogRecord)))),
    ).toBe(true);
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
