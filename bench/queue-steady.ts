// The export queue at a steady rate: ns a record to push batches of a little
// over 2,048 records and take 2,048 at a time (what is left moves to the
// front of the class's arrays now and then), 1,000 batches, best of 9. With
// `--other <path to another checkout's queue.ts>` it measures both, interleaved.
// Usage: node --import tsx queue-steady.ts [--other /tmp/before/packages/core/src/internal/queue.ts]
import { textArg } from './lib.js';

const here = new URL('../packages/core/src/internal/queue.ts', import.meta.url).pathname;
const other = textArg('other');
const block = Buffer.alloc(8192);

type Queue = {
  push(r: unknown, place: number, size: number, cls: number): void;
  count: number;
  take(n: number): { records: unknown[] };
};

function nsPerRecord(SeverityQueue: new () => Queue): number {
  const q = new SeverityQueue();
  const t0 = performance.now();
  let n = 0;
  for (let b = 0; b < 1000; b++) {
    for (let i = 0; i < 2048 + (b % 7); i++) q.push(block, ((i & 31) << 13) | 100, 229, 1);
    n += q.take(2048).records.length;
  }
  while (q.count > 0) n += q.take(2048).records.length;
  return ((performance.now() - t0) * 1e6) / n;
}

const variants: Array<[string, new () => Queue]> = [
  ['this checkout', (await import(here)).SeverityQueue],
];
if (other) variants.push([other, (await import(other)).SeverityQueue]);
const best = variants.map(() => Number.POSITIVE_INFINITY);
for (let round = 0; round < 9; round++) {
  variants.forEach(([, Q], i) => {
    best[i] = Math.min(best[i] as number, nsPerRecord(Q));
  });
}
console.log('# push and take(2048) at a steady rate, 1,000 batches, best of 9\n');
console.log('| queue | ns a record |');
console.log('|---|---:|');
variants.forEach(([name], i) => {
  console.log(`| ${name} | ${(best[i] as number).toFixed(1)} |`);
});
