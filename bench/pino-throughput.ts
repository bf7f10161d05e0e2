// pino lines per second: pino alone (to /dev/null), with @threadline/pino
// (records exported to a local receiver), and with instrumentation-pino's log
// sending (the SDK's batch processor and OTLP exporter, sized not to lose
// lines), and with @threadline/pino/transport in pino's worker thread. Each run
// is a fresh process; variants alternate within each round. Two rates: until
// every record is exported (the receiver's count is checked), and on the
// logging thread (until the loop of logging calls returns; for the transport,
// the lines are then in pino's buffer for the worker).
// Usage: pnpm bench:pino [-- --lines 100000 --rounds 3]
import { fork } from 'node:child_process';
import { arg, forkReceiver, here, median, once } from './lib.js';

const LINES = arg('lines', 100_000);
const ROUNDS = arg('rounds', 3);
const VARIANTS = ['alone', 'threadline', 'transport', 'otel-pino'] as const;
const NAMES = {
  alone: 'pino alone (/dev/null)',
  threadline: 'pino + @threadline/pino (exported)',
  transport: 'pino + @threadline/pino/transport in pino’s worker thread (exported)',
  'otel-pino': 'pino + instrumentation-pino log sending (exported)',
};
const EXPORTED = { alone: false, threadline: true, transport: true, 'otel-pino': true };

const receiver = await forkReceiver();
const { url } = receiver;

const fresh = (): Record<string, number[]> => Object.fromEntries(VARIANTS.map((v) => [v, []]));
/** Lines/s until every record is exported. */
const rates = fresh();
/** Lines/s on the logging thread: until the loop of logging calls returns. */
const appRates = fresh();
const delivered = fresh();
for (let round = 0; round < ROUNDS; round++) {
  for (const v of VARIANTS) {
    const before = (await receiver.count()).count;
    const child = fork(here('./pino-scenario.cjs'), [v, url, String(LINES)], { execArgv: [] });
    const { writeMs, totalMs } = await once<{ writeMs: number; totalMs: number }>(child, 'done');
    child.kill();
    // Let the receiver finish counting what arrived.
    const n = await receiver.settled(200);
    rates[v]?.push(LINES / (totalMs / 1000));
    appRates[v]?.push(LINES / (writeMs / 1000));
    delivered[v]?.push(n - before);
  }
}
console.log(
  `# pino: ${LINES} lines in a burst inside a trace, ${ROUNDS} rounds, median (min–max)\n`,
);
console.log(
  '| variant | lines/s until exported | ratio to pino alone | lines/s on the logging thread | ratio to pino alone | records received per round |',
);
console.log('|---|---:|---:|---:|---:|---:|');
const alone = median(rates.alone ?? []);
const aloneApp = median(appRates.alone ?? []);
const cell = (rs: number[]) =>
  `${Math.round(median(rs)).toLocaleString('en')} (${Math.round(Math.min(...rs)).toLocaleString('en')}–${Math.round(Math.max(...rs)).toLocaleString('en')})`;
for (const v of VARIANTS) {
  const rs = rates[v] ?? [];
  const as = appRates[v] ?? [];
  console.log(
    `| ${NAMES[v]} | ${cell(rs)} | ${(median(rs) / alone).toFixed(2)}× | ${cell(as)} | ${(median(as) / aloneApp).toFixed(2)}× | ${EXPORTED[v] ? (delivered[v] ?? []).join(', ') : 'not exported'} |`,
  );
}
const t = median(rates.threadline ?? []);
const o = median(rates['otel-pino'] ?? []);
console.log(`\n@threadline/pino / instrumentation-pino: ${(t / o).toFixed(2)}×`);
// For bench/all.ts: every round's figures, paired by round (variants alternate within one).
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'pino', lines: LINES, rounds: ROUNDS, rates, appRates, delivered })}`,
);
receiver.close();
