// OTLP/protobuf encoding of one export batch: the SDK's serializer
// (@opentelemetry/otlp-transformer) and Threadline's encoder, on the same
// records written by Threadline's logger, side by side in one run. Each gets
// them as its exporter would: the SDK's with their attributes merged,
// Threadline's with the scope's kept apart from the call's (as the pipeline
// makes them for its OTLP/protobuf exporter), each body given back for the
// next batch as the exporter gives it back once its request is over. The
// records are written under one span (a span context's ids are copied from
// the record before), then given a span each (no ids to copy).
// Usage: node --import tsx encode.ts
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { log, withHopScope } from '@threadline/core';
import { makeRecord } from '../packages/core/src/internal/logger.ts';
import {
  encodeLogsRequest,
  RecordEncoder,
  releaseRequestBody,
} from '../packages/core/src/internal/otlp-protobuf.ts';
import { RecordBlocks } from '../packages/core/src/internal/queue.ts';
import { arg, median, startCapturing } from './lib.js';

const BATCH = 2048;
const { handle, records: captured } = startCapturing(BATCH);
withHopScope({ 'http.route': '/orders/:id' }, () => {
  for (let i = 0; i < BATCH; i++)
    log.info('request handled', { i, 'user.id': 'u-123', 'http.response.status_code': 200 });
});
await handle.forceFlush(5000);
let records = captured();
records = records.slice(0, BATCH);
// The same records as the pipeline makes them for its OTLP/protobuf exporter.
const CALL_KEYS = new Set(['i', 'user.id', 'http.response.status_code']);
const part = (a: ReadableLogRecord['attributes'], call: boolean) =>
  Object.fromEntries(Object.entries(a).filter(([k]) => CALL_KEYS.has(k) === call));
const scopePart = part(records[0]?.attributes ?? {}, false);
const apart = records.map((r) =>
  makeRecord({
    hrTime: r.hrTime,
    spanContext: r.spanContext,
    severityNumber: r.severityNumber ?? 0,
    severityText: r.severityText ?? '',
    body: r.body ?? '',
    base: scopePart,
    own: part(r.attributes, true),
    dropped: r.droppedAttributesCount,
    instrumentationScope: r.instrumentationScope,
    resource: r.resource as never,
    keepApart: true,
  }),
);

// The same records with a span each (one line a request): no span's ids to copy.
const spanEach = apart.map((r, i) => ({
  ...r,
  spanContext: r.spanContext && {
    ...r.spanContext,
    spanId: (0x10000000 + i).toString(16).padStart(16, '0'),
  },
}));

const sdk = (r: ReadableLogRecord[]) => ProtobufLogsSerializer.serializeRequest(r);
const encode = (r: ReadableLogRecord[]) => {
  const body = encodeLogsRequest(r);
  releaseRequestBody(body);
  return body;
};
const ours = (_r: ReadableLogRecord[]) => encode(apart);
const oursSpanEach = (_r: ReadableLogRecord[]) => encode(spanEach);
// As the pipeline does with its OTLP/protobuf exporter: each record encoded when it is
// written (a copy kept in a block), and a batch assembled from the copies when it is exported.
const encoder = new RecordEncoder();
const blocks = new RecordBlocks();
const kept: Buffer[] = [];
const places = spanEach.map((r) => {
  const place = blocks.copy(encoder.encode(r), 1);
  kept.push(blocks.block);
  return place;
});
const written = (_r: ReadableLogRecord[]) => {
  for (const r of spanEach) blocks.copy(encoder.encode(r), 1);
};
const assembled = (_r: ReadableLogRecord[]) => {
  const body = encoder.assemble(kept, places);
  releaseRequestBody(body);
  return body;
};
const ROUNDS = arg('rounds', 7);
const ITER = 100;
const times: Record<string, number[]> = {
  sdk: [],
  threadline: [],
  spanEach: [],
  written: [],
  assembled: [],
};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of [
    ['sdk', sdk],
    ['threadline', ours],
    ['spanEach', oursSpanEach],
    ['written', written],
    ['assembled', assembled],
  ] as const) {
    const t0 = performance.now();
    for (let i = 0; i < ITER; i++) fn(records);
    times[name]?.push((performance.now() - t0) / ITER);
  }
}
const s = median(times.sdk ?? []);
const t = median(times.threadline ?? []);
console.log('| encoder | ms per batch of 2048 | records/s (encoding only) | bytes |');
console.log('|---|---:|---:|---:|');
console.log(
  `| @opentelemetry/otlp-transformer ProtobufLogsSerializer | ${s.toFixed(2)} | ${Math.round((BATCH / s) * 1000).toLocaleString('en')} | ${sdk(records)?.length} |`,
);
console.log(
  `| Threadline encodeLogsRequest | ${t.toFixed(2)} | ${Math.round((BATCH / t) * 1000).toLocaleString('en')} | ${ours(records).length} |`,
);
const e = median(times.spanEach ?? []);
console.log(
  `| Threadline encodeLogsRequest, the same records with a span each | ${e.toFixed(2)} | ${Math.round((BATCH / e) * 1000).toLocaleString('en')} | ${oursSpanEach(records).length} |`,
);
const w = median(times.written ?? []);
const a = median(times.assembled ?? []);
console.log(
  `| Threadline, the same records encoded one by one as they are written (each copy kept) | ${w.toFixed(2)} | ${Math.round((BATCH / w) * 1000).toLocaleString('en')} | – |`,
);
console.log(
  `| Threadline, a batch assembled from records encoded when written (what an export does on the event loop) | ${a.toFixed(2)} | ${Math.round((BATCH / a) * 1000).toLocaleString('en')} | ${assembled(records).length} |`,
);
console.log(`\nThreadline's encoder: ${(s / t).toFixed(2)}× the SDK serializer's speed`);
// For bench/all.ts.
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'encode', rounds: ROUNDS, sdkMs: times.sdk, threadlineMs: times.threadline, spanEachMs: times.spanEach, writtenMs: times.written, assembledMs: times.assembled })}`,
);
await handle.shutdown();
