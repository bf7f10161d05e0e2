// End-to-end export throughput: records per second delivered to a local
// OTLP/HTTP receiver (another process, decoding every record), and records
// lost, for Threadline and the bare OpenTelemetry SDK, measured side by side
// in one run. Usage: pnpm bench [-- --n 200000 --rounds 3]
import { fork } from 'node:child_process';
import { arg, args, forkReceiver, here, median, once } from './lib.js';

const N = arg('n', 200_000);
const ROUNDS = arg('rounds', 3);
const tsx = ['--import', 'tsx'];

const receiver = await forkReceiver();
const { url } = receiver;

interface Result {
  delivered: number;
  seconds: number;
  perSecond: number;
  lost: number;
  writeMs: number;
  bytesPerRecord: number;
}

async function run(kind: string, mode: 'burst' | 'paced', extra: object = {}): Promise<Result> {
  await receiver.reset();
  const child = fork(here('./scenario.ts'), [kind, url, String(N), mode, JSON.stringify(extra)], {
    execArgv: tsx,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const started = once<{ t: number }>(child, 'start');
  const written = once<{ t: number }>(child, 'written');
  const done = once(child, 'done');
  const t0 = (await started).t;
  let last = 0;
  let bytes = 0;
  let lastChange = performance.timeOrigin + performance.now();
  let finished = false;
  // Killed once everything has arrived, the child may never say `done`: both settle it.
  const finish = () => {
    finished = true;
  };
  void done.then(finish, finish);
  // Poll until everything arrived, or nothing more arrives for 3 s after the writer is done.
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const got = await receiver.count();
    const c = got.count;
    bytes = got.bytes;
    const now = performance.timeOrigin + performance.now();
    if (c !== last) {
      last = c;
      lastChange = now;
    }
    if (c >= N) break;
    if (finished && now - lastChange > 3000) break;
  }
  const writeMs = (await written).t - t0;
  const seconds = (lastChange - t0) / 1000;
  child.kill();
  return {
    delivered: last,
    seconds,
    perSecond: last / seconds,
    lost: N - last,
    writeMs,
    bytesPerRecord: last ? bytes / last : 0,
  };
}

const scenarios: Array<{ name: string; kind: string; extra?: object }> = [
  { name: 'threadline http/protobuf (defaults)', kind: 'threadline' },
  { name: 'threadline http/json (defaults)', kind: 'threadline-json' },
  { name: 'sdk http/protobuf (defaults)', kind: 'sdk' },
  { name: 'sdk http/json (defaults)', kind: 'sdk-json' },
  {
    name: 'sdk http/protobuf (queue 262144, batch 2048)',
    kind: 'sdk',
    extra: { maxQueueSize: 262_144, maxExportBatchSize: 2048 },
  },
  {
    name: 'sdk http/protobuf (queue 262144, batch 8192)',
    kind: 'sdk',
    extra: { maxQueueSize: 262_144, maxExportBatchSize: 8192 },
  },
  {
    name: 'sdk http/json (queue 262144, batch 2048)',
    kind: 'sdk-json',
    extra: { maxQueueSize: 262_144, maxExportBatchSize: 2048 },
  },
];

const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '') : '';
const extraScenarios = args.includes('--try')
  ? (JSON.parse(args[args.indexOf('--try') + 1] ?? '[]') as typeof scenarios)
  : [];
scenarios.push(...extraScenarios);
if (only)
  scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => new RegExp(only).test(s.name)));
console.log(`# export throughput: ${N} records, ${ROUNDS} rounds each, median (min–max)\n`);
const table: Record<string, Record<string, Result[]>> = {};
const modes = (
  args.includes('--mode') ? [args[args.indexOf('--mode') + 1]] : ['burst', 'paced']
) as Array<'burst' | 'paced'>;
for (const mode of modes) {
  for (let round = 0; round < ROUNDS; round++) {
    // Interleave scenarios within each round so drift hits all of them alike.
    for (const s of scenarios) {
      const r = await run(s.kind, mode, s.extra);
      table[mode] ??= {};
      const rows = table[mode];
      rows[s.name] ??= [];
      rows[s.name]?.push(r);
    }
  }
}

let pinoPerSecond = 0;
{
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const child = fork(here('./scenario.ts'), ['pino', url, String(N)], {
      execArgv: tsx,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const { ms } = await once<{ ms: number }>(child, 'local');
    rates.push(N / (ms / 1000));
    child.kill();
  }
  pinoPerSecond = median(rates);
}

const bestSdkName: Record<string, string | undefined> = {};
for (const mode of modes) {
  console.log(
    `## ${mode === 'burst' ? `burst: ${N} records in one synchronous loop` : `paced: chunks of 1000 records every 5 ms`}\n`,
  );
  console.log(
    '| pipeline | delivered records/s | lost | ratio to best bare SDK | writer busy (ms) | bytes/record sent |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  const rows = Object.entries(table[mode] ?? {}).map(([name, rs]) => {
    const rates = rs.map((r) => r.perSecond);
    return {
      name,
      rate: median(rates),
      min: Math.min(...rates),
      max: Math.max(...rates),
      lost: median(rs.map((r) => r.lost)),
      writeMs: median(rs.map((r) => r.writeMs)),
      bytesPerRecord: median(rs.map((r) => r.bytesPerRecord)),
    };
  });
  const bestSdk = Math.max(
    ...rows.filter((r) => r.name.startsWith('sdk') && r.lost === 0).map((r) => r.rate),
    1,
  );
  bestSdkName[mode] = rows.find((r) => r.name.startsWith('sdk') && r.rate === bestSdk)?.name;
  for (const r of rows) {
    const lostPct = ((r.lost / N) * 100).toFixed(1);
    console.log(
      `| ${r.name} | ${Math.round(r.rate).toLocaleString('en')} (${Math.round(r.min).toLocaleString('en')}–${Math.round(r.max).toLocaleString('en')}) | ${r.lost} (${lostPct}%) | ${(r.rate / bestSdk).toFixed(2)}× | ${Math.round(r.writeMs)} | ${Math.round(r.bytesPerRecord)} |`,
    );
  }
  console.log('');
}
console.log(
  `pino to /dev/null (no export): ${Math.round(pinoPerSecond).toLocaleString('en')} lines/s (median of ${ROUNDS})`,
);
// For bench/all.ts: every round's figures, paired by round (scenarios interleave within one).
const perRound = (rs: Result[]) => ({
  rates: rs.map((r) => r.perSecond),
  lost: rs.map((r) => r.lost),
});
console.log(
  `BENCH_JSON ${JSON.stringify({
    bench: 'export',
    n: N,
    rounds: ROUNDS,
    modes: Object.fromEntries(
      modes.map((mode) => [
        mode,
        {
          bestSdk: bestSdkName[mode],
          rows: Object.fromEntries(
            Object.entries(table[mode] ?? {}).map(([name, rs]) => [name, perRound(rs)]),
          ),
        },
      ]),
    ),
    pinoPerSecond,
  })}`,
);
receiver.close();
