// OTLP/protobuf encoding of one export batch: the SDK's serializer
// (@opentelemetry/otlp-transformer) and Threadline's encoder, on the same
// records written by Threadline's logger, side by side in one run.
// Usage: node --import tsx encode.ts
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { log, startThreadline, withHopScope } from '@threadline/core';
import { encodeLogsRequest } from '../packages/core/src/internal/otlp-protobuf.ts';
import { arg, median } from './lib.js';

const BATCH = 2048;
let records: ReadableLogRecord[] = [];
const capture: LogRecordExporter = {
  export: (r, done) => {
    records = records.concat(r);
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};
const handle = startThreadline({
  serviceName: 'bench',
  exporter: capture,
  maxExportBatchSize: BATCH,
  handleSignals: false,
  logStartup: false,
  diagnostics: 'silent',
  env: {},
});
withHopScope({ 'http.route': '/orders/:id' }, () => {
  for (let i = 0; i < BATCH; i++)
    log.info('request handled', { i, 'user.id': 'u-123', 'http.response.status_code': 200 });
});
await handle.forceFlush(5000);
records = records.slice(0, BATCH);

const sdk = (r: ReadableLogRecord[]) => ProtobufLogsSerializer.serializeRequest(r);
const ours = (r: ReadableLogRecord[]) => encodeLogsRequest(r);
const ROUNDS = arg('rounds', 7);
const ITER = 100;
const times: Record<string, number[]> = { sdk: [], threadline: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of [
    ['sdk', sdk],
    ['threadline', ours],
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
console.log(`\nThreadline's encoder: ${(s / t).toFixed(2)}× the SDK serializer's speed`);
// For bench/all.ts.
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'encode', rounds: ROUNDS, sdkMs: times.sdk, threadlineMs: times.threadline })}`,
);
await handle.shutdown();
