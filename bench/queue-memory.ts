// Memory used by the export queue while the collector does not answer: N
// records of the benchmark's shape (3 attributes inside a scope) are logged
// with the OTLP/protobuf exporter (as used) sending to a server that accepts
// the requests and never answers, then the heap and the buffers outside it
// (where queued records are kept encoded) are measured after a full GC.
// `--stack-bytes B` gives each record a string attribute of B characters too
// (as an error's stack would), to check the budget with larger records.
// Usage: node --expose-gc --import tsx queue-memory.ts [N ...] [--stack-bytes B]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startThreadline } from '@threadline/core';
import { arg, args } from './lib.js';
import { writeRecords } from './records.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

// Reads each request and never answers.
const hanging = createServer((req) => req.resume());
await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
hanging.unref();
const handle = startThreadline({
  serviceName: 'bench',
  endpoint: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/v1/logs`,
  exportTimeoutMillis: 600_000,
  handleSignals: false,
  logStartup: false,
  diagnostics: 'silent',
  env: {},
});
/** The heap and the array buffers outside it. */
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const stackBytes = arg('stack-bytes', 0);
const stack = stackBytes > 0 ? 'x'.repeat(stackBytes) : undefined;
const sizes = args
  .filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--stack-bytes')
  .map(Number);
console.log(
  '| records logged | queued | dropped | queue size counted (MiB) | heap and buffers growth (MiB) | bytes per queued record |',
);
console.log('|---:|---:|---:|---:|---:|---:|');
gc();
const base = used();
let logged = 0;
const rows: object[] = [];
for (const n of sizes.length ? sizes : [200_000, 1_000_000]) {
  logged = writeRecords(logged, n, stack);
  gc();
  const s = handle.stats();
  const grown = used() - base;
  console.log(
    `| ${n.toLocaleString('en')} | ${s.queued.toLocaleString('en')} | ${s.dropped.queueFull.toLocaleString('en')} | ${(s.queuedBytes / 1048576).toFixed(1)} | ${(grown / 1048576).toFixed(1)} | ${Math.round(grown / s.queued)} |`,
  );
  rows.push({
    logged: n,
    queued: s.queued,
    dropped: s.dropped.queueFull,
    queuedBytes: s.queuedBytes,
    heapGrowthBytes: grown,
  });
}
// For bench/all.ts.
console.log(`\nBENCH_JSON ${JSON.stringify({ bench: 'memory', rows })}`);
process.exit(0);
