// Heap used by the export queue while the collector is down: N records of the
// benchmark's shape (3 attributes inside a scope) are logged with an exporter
// that never answers, then the heap is measured after a full GC.
// Usage: node --expose-gc --import tsx queue-memory.ts [N ...]
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { startThreadline } from '@threadline/core';
import { writeRecords } from './records.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const hanging: LogRecordExporter = {
  export: () => {},
  shutdown: async () => {},
  forceFlush: async () => {},
};
const handle = startThreadline({
  serviceName: 'bench',
  exporter: hanging,
  handleSignals: false,
  logStartup: false,
  diagnostics: 'silent',
  env: {},
});

const sizes = process.argv.slice(2).map(Number);
console.log(
  '| records logged | queued | dropped | estimated queue size (MiB) | heap growth (MiB) | heap bytes per queued record |',
);
console.log('|---:|---:|---:|---:|---:|---:|');
gc();
const base = process.memoryUsage().heapUsed;
let logged = 0;
const rows: object[] = [];
for (const n of sizes.length ? sizes : [200_000, 1_000_000]) {
  logged = writeRecords(logged, n);
  gc();
  const s = handle.stats();
  const grown = process.memoryUsage().heapUsed - base;
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
