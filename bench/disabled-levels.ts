// What a log call below the level threshold costs, next to an empty function
// call and pino's disabled level, measured side by side in one run.
// Usage: node --import tsx disabled-levels.ts
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { log, startThreadline } from '@threadline/core';
import pino from 'pino';
import { arg } from './lib.js';

const none: LogRecordExporter = {
  export: (_r, done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};
startThreadline({
  exporter: none,
  level: 'info',
  handleSignals: false,
  logStartup: false,
  diagnostics: 'silent',
  env: {},
});
const p = pino({ level: 'info' }, pino.destination('/dev/null'));
const empty = (_m: string, _a?: object) => {};

const N = arg('calls', 20_000_000);
const attrs = { orderId: 'o-1', items: 3 };
function time(name: string, fn: (i: number) => void): number {
  for (let i = 0; i < 1_000_000; i++) fn(i); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`| ${name} | ${ns.toFixed(2)} |`);
  return ns;
}
console.log('| call | ns per call |');
console.log('|---|---:|');
const base = time('empty function', () => empty('cache miss', attrs));
const tl = time('Threadline log.debug (threshold info)', () => log.debug('cache miss', attrs));
const pn = time('pino logger.debug (level info)', () => p.debug(attrs, 'cache miss'));
console.log(
  `\nThreadline disabled level: ${(tl / base).toFixed(1)}× an empty call, ${(tl / pn).toFixed(1)}× pino's disabled level`,
);
// For bench/all.ts.
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'levels', calls: N, emptyNs: base, threadlineNs: tl, pinoNs: pn })}`,
);
