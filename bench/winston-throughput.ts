// winston lines per second: winston alone (Console transport, stdout on
// /dev/null) and with @threadline/winston (format + transport, records
// exported to a local receiver). Each run is a fresh process; variants
// alternate within each round. Lines/s counts until winston has handed every
// line to its transports and every record is exported (the receiver's count
// is checked). No official OpenTelemetry winston variant: neither
// @opentelemetry/instrumentation-winston nor @opentelemetry/winston-transport
// is installed in this workspace.
// Usage: pnpm bench:winston [-- --lines 100000 --rounds 3]
import { fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { arg, forkReceiver, here, median, once } from './lib.js';

const LINES = arg('lines', 100_000);
const ROUNDS = arg('rounds', 3);
const VARIANTS = ['alone', 'threadline'] as const;
const NAMES = {
  alone: 'winston alone (stdout on /dev/null)',
  threadline: 'winston + @threadline/winston (exported)',
};
const EXPORTED = { alone: false, threadline: true };

const receiver = await forkReceiver();
const { url } = receiver;

const devNull = openSync('/dev/null', 'w');
const rates: Record<string, number[]> = { alone: [], threadline: [] };
const delivered: Record<string, number[]> = { alone: [], threadline: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const v of VARIANTS) {
    const before = (await receiver.count()).count;
    const child = fork(here('./winston-scenario.cjs'), [v, url, String(LINES)], {
      execArgv: [],
      stdio: ['ignore', devNull, 'inherit', 'ipc'],
    });
    const { totalMs } = await once<{ totalMs: number }>(child, 'done');
    child.kill();
    // Let the receiver finish counting what arrived.
    const n = await receiver.settled(200);
    rates[v]?.push(LINES / (totalMs / 1000));
    delivered[v]?.push(n - before);
  }
}
closeSync(devNull);
console.log(
  `# winston: ${LINES} lines in a burst (inside a trace with the bridge), ${ROUNDS} rounds, median (min–max)\n`,
);
console.log('| variant | lines/s | ratio to winston alone | records received per round |');
console.log('|---|---:|---:|---:|');
const alone = median(rates.alone ?? []);
for (const v of VARIANTS) {
  const rs = rates[v] ?? [];
  console.log(
    `| ${NAMES[v]} | ${Math.round(median(rs)).toLocaleString('en')} (${Math.round(Math.min(...rs)).toLocaleString('en')}–${Math.round(Math.max(...rs)).toLocaleString('en')}) | ${(median(rs) / alone).toFixed(2)}× | ${EXPORTED[v] ? (delivered[v] ?? []).join(', ') : 'not exported'} |`,
  );
}
const lost = (delivered.threadline ?? []).some((n) => n !== LINES);
console.log(
  `\nDelivery: ${lost ? `LOST RECORDS (expected ${LINES} per round)` : `every round received ${LINES} records`}.`,
);
// For bench/all.ts: every round's figures, paired by round (variants alternate within one).
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'winston', lines: LINES, rounds: ROUNDS, rates, delivered })}`,
);
receiver.close();
if (lost) process.exitCode = 1;
