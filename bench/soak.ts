// Soak: memory of a Threadline pipeline over a compressed hour of steady
// traffic, with the collector down half the time. The counting receiver runs
// in its own process and is taken down and brought back on the same port
// (connections refused while down). Each second the process forces a GC and
// samples the heap (heapUsed and the array buffers outside it), RSS and stats(). Prints memory over time, one row per
// outage, and a summary; exits 1 when written ≠ delivered + dropped + queued.
// Usage: node --expose-gc --import tsx soak.ts [--seconds 60 --rate 20000 --up 5 --down 5 --max-queue-bytes 16777216 --every 5]
import { startThreadline } from '@threadline/core';
import { arg, forkReceiver } from './lib.js';
import { writeRecords } from './records.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** Wall seconds standing for one hour of traffic. */
const SECONDS = arg('seconds', 60);
/** Records written per wall second (steady, whatever the collector does). */
const RATE = arg('rate', 20_000);
const UP = arg('up', 5);
const DOWN = arg('down', 5);
/** Small enough that an outage of DOWN seconds at RATE fills it (~270 heap bytes a record: queue-memory.ts). */
const BUDGET = arg('max-queue-bytes', 16 * 1024 * 1024);
/** A row of the memory table every EVERY seconds (and at the end of every phase). */
const EVERY = arg('every', 5);
const COMPRESSION = 3600 / SECONDS;
/**
 * Heap differences below this are noise, not a leak: 2 MiB or an eighth of the
 * budget. Also the allowance over the budget for the exporter's buffers
 * (packages/core/README.md: budget `maxQueueBytes` plus a few MiB).
 */
const TOLERANCE = Math.max(2 * 1048576, BUDGET / 8);
const FLUSH_MS = 30_000;

const MiB = (b: number) => (b / 1048576).toFixed(1);
const int = (n: number) => Math.round(n).toLocaleString('en');
/** Traffic time a wall second stands for, as m:ss. */
const trafficTime = (s: number) => {
  const t = Math.round(s * COMPRESSION);
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
};

const receiver = await forkReceiver();
const { url } = receiver;

let diagnosticLines = 0;
const handle = startThreadline({
  endpoint: url,
  maxQueueBytes: BUDGET,
  // Every record counted here is one this driver wrote.
  logStartup: false,
  // As the default (a line on stderr), counted.
  diagnostics: (line) => {
    diagnosticLines++;
    process.stderr.write(`${line}\n`);
  },
  // Built-in defaults, whatever OTEL_* the shell has.
  env: {},
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const dropped = () => {
  const d = handle.stats().dropped;
  return d.queueFull + d.rejected + d.afterShutdown + d.beforeStart;
};

interface Sample {
  t: number;
  /** The collector's state during the second that just ended. */
  up: boolean;
  heapUsed: number;
  rss: number;
  queued: number;
  queuedBytes: number;
  dropped: number;
  exported: number;
}
function sample(t: number, up: boolean): Sample {
  gc?.();
  const m = process.memoryUsage();
  const s = handle.stats();
  return {
    t,
    up,
    // Queued records are kept encoded, in buffers outside the JavaScript heap: counted with it.
    heapUsed: m.heapUsed + m.arrayBuffers,
    rss: m.rss,
    queued: s.queued,
    queuedBytes: s.queuedBytes,
    dropped: dropped(),
    exported: s.exported,
  };
}

/** Whether the collector is up during wall second (s-1, s]: UP seconds up, then DOWN down, repeating. */
const upAt = (s: number) => (s - 1) % (UP + DOWN) < UP;

const idle = sample(0, true);
const total = RATE * SECONDS;
let written = 0;
const t0 = performance.now();
// Steady rate: every 10 ms, write what is due by now (catching up after a GC pause).
const writer = setInterval(() => {
  const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
  if (due <= written) return;
  written = writeRecords(written, due);
}, 10);

const samples: Sample[] = [];
let up = true;
for (let s = 1; s <= SECONDS; s++) {
  await sleep(t0 + s * 1000 - performance.now());
  samples.push(sample(s, up));
  const next = s < SECONDS ? upAt(s + 1) : true;
  if (next !== up) {
    await receiver.ask(next ? 'up' : 'down');
    up = next;
  }
}
clearInterval(writer);
const endOfHour = sample(SECONDS, up);
// After the hour: the collector is up; export what is still queued.
const flushStarted = performance.now();
await handle.forceFlush(FLUSH_MS);
const flushMs = performance.now() - flushStarted;
const final = handle.stats();
const delivered = await receiver.settled(200);
const droppedTotal = dropped();
const queuedAtEnd = final.queued;
const accountingOk = written === delivered + droppedTotal + queuedAtEnd;
const doubleCounted = delivered !== final.exported;

// The end of the first up-phase (traffic flowing, queue drained) is the baseline.
const baseline = samples.find((x) => x.t === UP) ?? idle;
/** Samples at the end of each outage, i.e. at the start of the next up-phase: the queue at its fullest. */
const upStarts = samples.filter((x) => !x.up && (x.t === SECONDS || upAt(x.t + 1)));
/** Samples at the end of each up-phase after an outage: the queue drained again. */
const upEnds = samples.filter((x) => x.t > UP && x.up && (x.t === SECONDS || !upAt(x.t + 1)));
const maxHeap = samples.reduce((m, x) => (x.heapUsed > m.heapUsed ? x : m), baseline);
const maxGrowth = maxHeap.heapUsed - baseline.heapUsed;
const withinBudget = maxGrowth <= BUDGET + TOLERANCE;
/** The queue is back to (almost) empty: what is left on the heap is not the queue's. */
const drainedAt = (x: Sample) => x.queuedBytes < BUDGET / 20;
// The pipeline's backoff (1 s doubling to 30 s) is not compressed: an up-phase
// shorter than the last pause of an outage can pass without a retry.
const undrained = upEnds.filter((x) => !drainedAt(x));
const firstPeak = upStarts[0];
const lastPeak = upStarts[upStarts.length - 1];
const peakDrift = firstPeak && lastPeak ? lastPeak.heapUsed - firstPeak.heapUsed : 0;
const troughExcess = Math.max(
  0,
  ...upEnds.filter(drainedAt).map((x) => x.heapUsed - baseline.heapUsed),
);
const grows = peakDrift > TOLERANCE || troughExcess > TOLERANCE;
/** No growth seen, and the heap seen back at baseline after every outage. */
const noLeak = !grows && undrained.length === 0;

console.log(
  `# soak: ${SECONDS} s standing for 60 min of traffic (×${COMPRESSION.toFixed(0)}), ` +
    `${int(RATE)} records/s (${int(RATE / COMPRESSION)} records/s of traffic time), ` +
    `collector ${UP} s up / ${DOWN} s down (${(UP * COMPRESSION) / 60} min / ${(DOWN * COMPRESSION) / 60} min of traffic time), ` +
    `maxQueueBytes ${MiB(BUDGET)} MiB, other options at their defaults\n`,
);
console.log('## memory over time (after a forced GC)\n');
console.log(
  '| wall s | traffic time | collector | heap and buffers used (MiB) | vs baseline (MiB) | RSS (MiB) | queued | queued (MiB) | dropped | exported |',
);
console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
const row = (x: Sample, label?: string) =>
  console.log(
    `| ${label ?? x.t} | ${trafficTime(x.t)} | ${x.up ? 'up' : '**down**'} | ${MiB(x.heapUsed)} | ${x.heapUsed >= baseline.heapUsed ? '+' : ''}${MiB(x.heapUsed - baseline.heapUsed)} | ${MiB(x.rss)} | ${int(x.queued)} | ${MiB(x.queuedBytes)} | ${int(x.dropped)} | ${int(x.exported)} |`,
  );
row(idle, '0 (idle)');
for (const x of samples) {
  const phaseEnd = x.t === SECONDS || upAt(x.t) !== upAt(x.t + 1);
  if (x.t % EVERY === 0 || phaseEnd) row(x);
}

console.log('\n## each outage\n');
console.log(
  '| outage | traffic time | heap at its end (MiB) | vs baseline (MiB) | queued at its end (MiB) | dropped (outage and recovery) | drained after (s) | heap at the end of the next up-phase, vs baseline (MiB) |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
upStarts.forEach((peak, k) => {
  const start = peak.t - DOWN;
  const before = samples.find((x) => x.t === start);
  const after = upEnds.find((x) => x.t > peak.t);
  const drained = samples.find((x) => x.t > peak.t && x.t <= peak.t + UP && drainedAt(x));
  const drainedIn =
    peak.t === SECONDS
      ? 'after the hour'
      : drained
        ? `≤ ${drained.t - peak.t}`
        : 'not in the phase';
  console.log(
    `| ${k + 1} | ${trafficTime(start)}–${trafficTime(peak.t)} | ${MiB(peak.heapUsed)} | +${MiB(peak.heapUsed - baseline.heapUsed)} | ${MiB(peak.queuedBytes)} | ${int((after?.dropped ?? droppedTotal) - (before?.dropped ?? 0))} | ${drainedIn} | ${after ? `${after.heapUsed >= baseline.heapUsed ? '+' : ''}${MiB(after.heapUsed - baseline.heapUsed)}` : '–'} |`,
  );
});

const maxRss = Math.max(...samples.map((x) => x.rss));
console.log(`
Baseline: heap at the end of the first up-phase (${SECONDS > UP ? `${UP} s` : 'idle'}), ${MiB(baseline.heapUsed)} MiB (idle, before any record: ${MiB(idle.heapUsed)} MiB).
Max heap growth: ${MiB(maxGrowth)} MiB at ${maxHeap.t} s, ${((maxGrowth / BUDGET) * 100).toFixed(0)}% of the ${MiB(BUDGET)} MiB budget: ${withinBudget ? 'within the budget' : '**over the budget**'} (allowance for exporter buffers and noise: ${MiB(TOLERANCE)} MiB). Max RSS ${MiB(maxRss)} MiB (idle ${MiB(idle.rss)} MiB).
Leak check (tolerance ${MiB(TOLERANCE)} MiB): heap at the start of the last up-phase is ${peakDrift >= 0 ? '+' : ''}${MiB(peakDrift)} MiB from the first; at the end of up-phases, queue drained, at most +${MiB(troughExcess)} MiB over the baseline: ${grows ? '**memory grows across outages**' : noLeak ? 'no leak' : '**not established**'}.${undrained.length ? ` **The queue had not drained at the end of the up-phase${undrained.length > 1 ? 's' : ''} ending at ${undrained.map((x) => `${x.t} s`).join(', ')}**: the retry backoff outlasted it (use longer phases).` : ''}
Records: ${int(written)} written, ${int(delivered)} delivered (counted by the receiver; Threadline counted ${int(final.exported)} exported), ${int(droppedTotal)} dropped (queue full: ${int(final.dropped.queueFull)}), ${int(queuedAtEnd)} still queued after a ${(flushMs / 1000).toFixed(1)} s flush once the hour ended (${int(endOfHour.queued)} queued at its end). Delivered + dropped + queued ${accountingOk ? '= written' : `≠ written (${int(delivered + droppedTotal + queuedAtEnd)} vs ${int(written)})`}${doubleCounted ? '; **the receiver counted a different number than Threadline exported**' : ''}.
Threadline diagnostic lines on stderr: ${diagnosticLines}.
`);
console.log(
  `BENCH_JSON ${JSON.stringify({
    bench: 'soak',
    seconds: SECONDS,
    compression: COMPRESSION,
    rate: RATE,
    up: UP,
    down: DOWN,
    budgetBytes: BUDGET,
    toleranceBytes: TOLERANCE,
    baselineHeapBytes: baseline.heapUsed,
    maxHeapGrowthBytes: maxGrowth,
    withinBudget,
    upStartHeapBytes: upStarts.map((x) => x.heapUsed),
    upEndHeapBytes: upEnds.map((x) => x.heapUsed),
    peakDriftBytes: peakDrift,
    troughExcessBytes: troughExcess,
    undrainedUpPhases: undrained.length,
    noLeak,
    maxRssBytes: maxRss,
    written,
    delivered,
    exported: final.exported,
    dropped: droppedTotal,
    queuedAtEnd,
    accountingOk,
    diagnosticLines,
  })}`,
);
await handle.shutdown(5000);
receiver.close();
if (!accountingOk || doubleCounted) process.exitCode = 1;
