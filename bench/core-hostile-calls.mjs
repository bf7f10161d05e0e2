// Time of one log call given hostile input: huge strings (with and without
// query-like text and secrets), huge typed arrays, arrays, objects, Maps,
// Sets, deep nesting and long keys. Each case is built before it is timed;
// the figure is the log call alone (serialisation and redaction happen in
// it, before the record is queued). Records go to an exporter that keeps
// nothing. Prints the median and the worst of `--rounds` calls per case.
// Usage (after a build):
//   npx -y pnpm@10 --filter @threadline/bench run bench:core-hostile -- [--rounds 5] [--only name] [--ropes]
import { performance } from 'node:perf_hooks';
import { log, startThreadline } from '@threadline/core';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(arg('rounds', '5'));
const only = arg('only', undefined);

const MB = 1024 * 1024;
// Flat, as a string read from a file or a socket is: `repeat` makes a rope,
// which V8 copies into one piece the first time it is read (a cost of the
// input, not of the log call; --ropes keeps them to see it).
const ropes = args.includes('--ropes');
const repeat = (pattern, bytes) => {
  const s = pattern.repeat(Math.ceil(bytes / pattern.length));
  return ropes ? s : Buffer.from(s, 'latin1').toString('latin1');
};

/** name → a function making the arguments of one `log.info` call. */
const cases = {
  'message, 50 MB of "&a=b"': () => [repeat('&a=b', 50 * MB)],
  'attribute, 50 MB of "&a=b"': () => ['m', { q: repeat('&a=b', 50 * MB) }],
  'attribute, 50 MB of "token=x&"': () => ['m', { q: repeat('token=x&', 50 * MB) }],
  'attribute, 50 MB of "a"': () => ['m', { q: repeat('a', 50 * MB) }],
  'message, 10 MB of "Bearer abc.def.ghi "': () => [repeat('Bearer abc.def.ghi ', 10 * MB)],
  'message, 10 MB of "password=x "': () => [repeat('password=x ', 10 * MB)],
  'message, 10 MB of "https://u:p@h/ "': () => [repeat('https://u:p@h/ ', 10 * MB)],
  'Error, 50 MB message': () => ['m', { err: new Error(repeat('&a=b', 50 * MB)) }],
  'Error, 8 causes of 10 MB': () => {
    let e = new Error(repeat('password=x ', 10 * MB));
    for (let i = 0; i < 7; i++) e = new Error(repeat('&a=b', 10 * MB), { cause: e });
    return ['m', { err: e }];
  },
  'attribute key of 10 MB': () => ['m', { [repeat('k', 10 * MB)]: 'v' }],
  'Float64Array of 100 MB': () => ['m', { data: new Float64Array((100 * MB) / 8) }],
  'DataView of 100 MB': () => ['m', { data: new DataView(new ArrayBuffer(100 * MB)) }],
  'Uint8Array of 100 MB': () => ['m', { data: new Uint8Array(100 * MB) }],
  'Buffer of 100 MB': () => ['m', { data: Buffer.alloc(100 * MB) }],
  'array of 10M numbers': () => ['m', { data: new Array(10_000_000).fill(1) }],
  'array of 128 strings of 1 MB': () => [
    'm',
    { data: Array.from({ length: 128 }, (_, i) => repeat(`&a${i}=b`, MB)) },
  ],
  'object of 1M keys (a value)': () => {
    const o = {};
    for (let i = 0; i < 1_000_000; i++) o[`k${i}`] = i;
    return ['m', { data: o }];
  },
  'object of 1M keys (the attributes)': () => {
    const o = {};
    for (let i = 0; i < 1_000_000; i++) o[`k${i}`] = i;
    return ['m', o];
  },
  'Map of 1M entries': () => [
    'm',
    { data: new Map(Array.from({ length: 1e6 }, (_, i) => [i, i])) },
  ],
  'Set of 1M strings': () => [
    'm',
    { data: new Set(Array.from({ length: 1e6 }, (_, i) => `s${i}`)) },
  ],
  'nesting 100k deep': () => {
    let o = { leaf: 1 };
    for (let i = 0; i < 100_000; i++) o = { next: o };
    return ['m', { data: o }];
  },
};

const dropAll = {
  export: (_records, done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};
const handle = startThreadline({
  exporter: dropAll,
  handleSignals: false,
  logStartup: false,
  diagnostics: 'silent',
  env: {},
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.version}, ${rounds} calls a case, ms per call (median / worst)`);
for (const [name, make] of Object.entries(cases)) {
  if (only && !name.includes(only)) continue;
  const times = [];
  for (let r = 0; r < rounds; r++) {
    let input = make();
    globalThis.gc?.();
    const t0 = performance.now();
    log.info(...input);
    times.push(performance.now() - t0);
    input = undefined;
    await handle.forceFlush(1000);
  }
  console.log(
    `${name.padEnd(40)} ${median(times).toFixed(2).padStart(9)} / ${Math.max(...times).toFixed(2)}`,
  );
}
await handle.shutdown();
