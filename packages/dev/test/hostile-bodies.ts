/**
 * Export bodies that are small on the wire (gzipped) and decode to millions of
 * values or deep nesting: what a receiver must refuse without building them.
 * Shared by the receiver's tests and bench/receiver-hostile.ts.
 */
import { gzipSync } from 'node:zlib';

function varint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** A length-delimited protobuf field. */
export function field(number: number, payload: Buffer): Buffer {
  return Buffer.concat([varint(number * 8 + 2), varint(payload.length), payload]);
}

/** `pair` repeated `count` times. */
function repeated(pair: readonly number[], count: number): Buffer {
  return Buffer.alloc(pair.length * count).fill(Buffer.from(pair));
}

/** LogRecord bytes inside ScopeLogs, ResourceLogs and the request. */
export function requestOfRecord(logRecord: Buffer): Buffer {
  return field(1, field(2, field(2, logRecord)));
}

export interface HostileBody {
  name: string;
  contentType: 'application/json' | 'application/x-protobuf';
  /** Gzipped. */
  body: Buffer;
  /** Bytes after gunzip. */
  inflated: number;
}

function make(name: string, contentType: HostileBody['contentType'], raw: Buffer): HostileBody {
  return { name, contentType, body: gzipSync(raw, { level: 9 }), inflated: raw.length };
}

/** Every body, each under the default 64 MiB limit once gunzipped. */
export function hostileBodies(): HostileBody[] {
  const jsonAttributes = 20_000_000;
  const head = '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[';
  const tail = ']}]}]}]}';
  const deepJson = 1_000_000;
  let deepProto: Buffer = Buffer.alloc(0);
  for (let i = 0; i < 20_000; i++) deepProto = field(5, field(1, deepProto)); // AnyValue > ArrayValue
  const traceId = field(9, Buffer.alloc(16, 1));
  const longResource = field(
    1,
    field(
      1,
      Buffer.concat([
        field(1, Buffer.from('service.name')),
        field(2, field(1, Buffer.alloc(16 * 1024, 0x6e))),
      ]),
    ),
  );
  return [
    make(
      'protobuf, 65,000 records under one 16 KiB resource',
      'application/x-protobuf',
      field(
        1,
        Buffer.concat([longResource, field(2, Buffer.alloc(65_000 * 20).fill(field(2, traceId)))]),
      ),
    ),
    make(
      'protobuf, one record whose body is 60 MiB of control characters',
      'application/x-protobuf',
      requestOfRecord(field(5, field(1, Buffer.alloc(60 * 2 ** 20, 1)))),
    ),
    make(
      'OTLP/JSON, 20 million empty attributes',
      'application/json',
      Buffer.from(`${head}${'{},'.repeat(jsonAttributes - 1)}{}${tail}`),
    ),
    make(
      'protobuf, 31 million empty attributes',
      'application/x-protobuf',
      requestOfRecord(repeated([0x32, 0x00], 31_000_000)),
    ),
    make(
      'protobuf, 30 million empty records',
      'application/x-protobuf',
      field(1, field(2, repeated([0x12, 0x00], 30_000_000))),
    ),
    make(
      'protobuf, 33 million empty resources',
      'application/x-protobuf',
      repeated([0x0a, 0x00], 33_000_000),
    ),
    make(
      'protobuf, one severity text written 31 million times',
      'application/x-protobuf',
      requestOfRecord(repeated([0x1a, 0x00], 31_000_000)),
    ),
    make(
      'protobuf, a body nested 20,000 arrays deep',
      'application/x-protobuf',
      requestOfRecord(field(5, deepProto)),
    ),
    make(
      'OTLP/JSON, a body nested a million arrays deep',
      'application/json',
      Buffer.from(
        `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${'{"arrayValue":{"values":['.repeat(deepJson)}${']}}'.repeat(deepJson)}}]}]}]}`,
      ),
    ),
  ];
}

/**
 * A body that is within every bound but large once gunzipped: one record of
 * a million empty attributes beside 61 MiB of an unknown field. Many of these
 * at once are what the receiver's slots for gunzipped bodies hold back.
 */
export function largeInflatingBody(): HostileBody {
  const attributes = Buffer.alloc(2 * 1_000_000).fill(Buffer.from([0x32, 0x00]));
  const padding = field(15, Buffer.alloc(61 * 2 ** 20, 0x61));
  return make(
    'protobuf within bounds: a million empty attributes and 61 MiB of an unknown field',
    'application/x-protobuf',
    Buffer.concat([
      requestOfRecord(Buffer.concat([field(9, Buffer.alloc(16, 1)), attributes])),
      padding,
    ]),
  );
}
