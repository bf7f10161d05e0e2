// Where a pino line's time goes with @threadline/pino's destination: each
// step of pino-steps.cjs (pino alone, the trace fields, the multistream,
// reading the call's fields, the record, the queue, the export) and the
// floor of an exported line (pino-floor.cjs: what any design must do) in fresh
// processes pinned to core 0 (the receiver's threads on core 1), steps
// alternating within each round, with instrumentation-pino (pino-scenario.cjs)
// for reference. Prints µs a line until exported and on the logging thread,
// and each process's minor page faults (`/usr/bin/time`).
// Usage: node --import tsx pino-steps.ts [--lines 200000] [--rounds 5]
import { execFileSync } from 'node:child_process';
import { arg, forkReceiver, here, median, runPinned } from './lib.js';

const LINES = arg('lines', 200_000);
const ROUNDS = arg('rounds', 5);
const STEPS = [
  ['alone', 'pino alone, to /dev/null'],
  ['hook', '+ the trace fields appended (threadlineStreamWrite() alone)'],
  ['floor-hook', '(instead: the floor’s hook appending them)'],
  ['fields', '(instead: threadlineOptions(): that hook and a mixin for the destination)'],
  ['fields-mixin', '(instead: the trace fields by threadlineMixin())'],
  ['multistream', '+ pino.multistream and a second stream (with threadlineOptions())'],
  ['read', '+ threadlineDestination() reading the call’s fields'],
  ['record', '+ the record, built and dropped'],
  ['queue', '+ kept in the export queue (exporter none)'],
  ['export', '+ exported, until the receiver has every record'],
  ['floor', 'the floor (pino-floor.cjs): trace fields, records written into the batch, exported'],
  ['otel-pino', 'instrumentation-pino log sending, until exported (reference)'],
] as const;

const EXPORTING = new Set(['export', 'floor', 'otel-pino']);
const receiver = await forkReceiver();
execFileSync('taskset', ['-a', '-p', '2', String(receiver.pid)], { stdio: 'ignore' });
const results = new Map<string, { thread: number[]; total: number[]; faults: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [step] of STEPS) {
    const script = step === 'otel-pino' ? './pino-scenario.cjs' : './pino-steps.cjs';
    await receiver.reset();
    const run = await runPinned([here(script), step, receiver.url, String(LINES)], LINES, receiver);
    // The steps that export must have delivered every record.
    if (EXPORTING.has(step)) {
      const { count } = await receiver.count();
      if (count !== LINES) throw new Error(`${step}: the receiver counted ${count} of ${LINES}`);
    }
    const r = results.get(step) ?? { thread: [], total: [], faults: [] };
    r.thread.push(run.thread);
    r.total.push(run.total);
    if (run.faults !== undefined) r.faults.push(run.faults);
    results.set(step, r);
  }
}
console.log(`# pino steps: ${LINES} lines a process, ${ROUNDS} rounds, pinned; medians\n`);
console.log('| step | µs a line until exported | on the logging thread | minor page faults |');
console.log('|---|---:|---:|---:|');
for (const [step, name] of STEPS) {
  const r = results.get(step);
  if (!r) continue;
  console.log(
    `| ${name} | ${median(r.total).toFixed(2)} (${Math.min(...r.total).toFixed(2)}–${Math.max(...r.total).toFixed(2)}) | ${median(r.thread).toFixed(2)} | ${r.faults.length ? median(r.faults) : 'n/a'} |`,
  );
}
const floor = results.get('floor');
const alone = results.get('alone');
const otel = results.get('otel-pino');
if (floor && alone && otel) {
  const f = median(floor.total);
  console.log(
    `\nthe floor: ${(median(alone.total) / f).toFixed(2)}× pino alone's lines/s, ${(median(otel.total) / f).toFixed(2)}× instrumentation-pino's; Threadline: ${(median(results.get('export')?.total ?? []) / f).toFixed(2)}× the floor's µs a line`,
  );
}
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'pino-steps', lines: LINES, rounds: ROUNDS, steps: Object.fromEntries(results) })}`,
);
receiver.close();
