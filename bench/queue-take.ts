// The export queue's take(): ns a record to take batches of 2,048 out of a
// queue of 400,000 encoded records, all of one severity class, and with
// every 50th a WARN. Best of 7 rounds each.
// Usage: node --import tsx queue-take.ts [--records 400000]
import { SeverityQueue } from '../packages/core/src/internal/queue.ts';
import { arg } from './lib.js';

const RECORDS = arg('records', 400_000);
const block = Buffer.alloc(8192);
console.log(`# take(2048) from a queue of ${RECORDS.toLocaleString('en')} records, best of 7\n`);
console.log('| queue | ns a record |');
console.log('|---|---:|');
for (const [name, warnEvery] of [
  ['one class (INFO)', 0],
  ['INFO, every 50th a WARN', 50],
] as const) {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const q = new SeverityQueue();
    for (let i = 0; i < RECORDS; i++) {
      q.push(block, ((i & 31) << 13) | 100, 229, warnEvery && i % warnEvery === 0 ? 2 : 1);
    }
    const t0 = performance.now();
    let n = 0;
    while (q.count > 0) n += q.take(2048).records.length;
    const ns = ((performance.now() - t0) * 1e6) / RECORDS;
    if (n !== RECORDS) throw new Error(`took ${n} of ${RECORDS}`);
    best = Math.min(best, ns);
  }
  console.log(`| ${name} | ${best.toFixed(0)} |`);
}
