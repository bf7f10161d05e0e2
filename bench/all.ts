// Every benchmark, one after the other, each in its own process, run exactly
// as its package script runs it; then the page that publishes them,
// docs/benchmarks.md: the machine, the method, every target of the
// earlier issues with this run's figure, and each benchmark's full table.
// The figures for the targets come from the `BENCH_JSON {...}` line each
// benchmark prints last; its Markdown is published as printed.
// Only a full run writes docs/benchmarks.md; `--quick` (smaller runs, a smoke
// test of the whole pipeline) and `--only` write to the temporary directory
// unless `--out` says where.
// Usage: node --import tsx all.ts [--quick] [--only export,soak] [--out FILE]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import { resolve } from 'node:path';
import { args, here, median } from './lib.js';

const QUICK = args.includes('--quick');
const option = (name: string) =>
  args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined;

interface Bench {
  /** Short name, as in `--only`. */
  name: string;
  /** The package.json script that runs it. */
  script: string;
  /** Arguments for `--quick`: enough to exercise every path, not to measure. */
  quick: string[];
  /** Arguments for a full run, when it needs any. */
  args?: string[];
  /** Why it cannot run here, if it cannot. */
  unavailable?: () => Promise<string | undefined>;
}

const BENCHES: Bench[] = [
  { name: 'export', script: 'bench:export', quick: ['--n', '20000', '--rounds', '2'] },
  { name: 'memory', script: 'bench:memory', quick: ['100000', '300000'] },
  { name: 'levels', script: 'bench:levels', quick: ['--calls', '2000000'] },
  { name: 'encode', script: 'bench:encode', quick: ['--rounds', '3'] },
  {
    name: 'http',
    script: 'bench:http',
    quick: ['--rounds', '1', '--seconds', '2', '--latency-rounds', '1', '--latency-seconds', '2'],
    unavailable: async () =>
      missing('wrk', ['--version'], 'wrk not installed (`apt-get install wrk`)') ??
      missing('taskset', ['--version'], 'taskset not installed (`apt-get install util-linux`)'),
  },
  {
    name: 'floor',
    script: 'bench:floor',
    quick: ['--requests', '10240', '--rounds', '1'],
  },
  {
    name: 'http-cost',
    script: 'bench:http-cost',
    args: ['--steps', '--frameworks', 'express,koa'],
    quick: ['--steps', '--frameworks', 'express', '--servers', '1', '--seconds', '2'],
    unavailable: async () =>
      missing('wrk', ['--version'], 'wrk not installed (`apt-get install wrk`)') ??
      missing('taskset', ['--version'], 'taskset not installed (`apt-get install util-linux`)'),
  },
  {
    name: 'jobs',
    script: 'bench:jobs',
    quick: ['--jobs', '2000', '--rounds', '2'],
    unavailable: async () =>
      (await redisAnswers()) ? undefined : 'no Redis answering on 127.0.0.1:6379',
  },
  { name: 'job-steps', script: 'bench:job-steps', quick: ['--jobs', '10240', '--rounds', '1'] },
  { name: 'pino', script: 'bench:pino', quick: ['--lines', '20000', '--rounds', '2'] },
  {
    name: 'pino-steps',
    script: 'bench:pino-steps',
    quick: ['--lines', '20000', '--rounds', '1'],
  },
  { name: 'winston', script: 'bench:winston', quick: ['--lines', '20000', '--rounds', '2'] },
  { name: 'dev-store', script: 'bench:dev-store', quick: ['--records', '20000', '--repeat', '2'] },
  {
    name: 'soak',
    script: 'bench:soak',
    // Two outages of the default 5 s: shorter phases alias with the (real-time) retry backoff.
    quick: ['--seconds', '20'],
  },
];

/** `skipped: …` when `command` is not installed (wrk exits 1 on --version: only ENOENT counts). */
function missing(command: string, argv: string[], reason: string): string | undefined {
  const r = spawnSync(command, argv, { stdio: 'ignore' });
  return (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? reason : undefined;
}

/** Whether a Redis server answers PING on 127.0.0.1:6379 within a second. */
function redisAnswers(): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(6379, '127.0.0.1');
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => finish(d.toString().startsWith('+PONG')));
  });
}

const only = option('only')?.split(',');
if (only) {
  const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length)
    throw new Error(
      `--only: unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`,
    );
}
const selected = BENCHES.filter((b) => !only || only.includes(b.name));
const full = !QUICK && selected.length === BENCHES.length;
const root = here('..');
const out = resolve(
  option('out') ??
    (full
      ? here('../docs/benchmarks.md')
      : `${os.tmpdir()}/threadline-benchmarks-${QUICK ? 'quick' : 'partial'}.md`),
);

const pkg = JSON.parse(readFileSync(here('./package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const readme = readFileSync(here('./README.md'), 'utf8');

/** The script's command, with this process's node (the same Node 24) in place of `node`. */
function command(script: string): string[] {
  const words = (pkg.scripts[script] ?? '').split(/\s+/).filter(Boolean);
  if (words[0] !== 'node')
    throw new Error(`bench/package.json "${script}" must be "node …", got "${words.join(' ')}"`);
  return words.slice(1);
}

/** GitHub's anchor for the README section of `file` (`## file — …`). */
function readmeLink(file: string): string {
  const heading = readme.split('\n').find((l) => l.startsWith(`## ${file} `));
  if (!heading) return '../bench/README.md';
  const slug = heading
    .slice(3)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
  return `../bench/README.md#${slug}`;
}

interface Outcome {
  bench: Bench;
  argv: string[];
  skipped?: string;
  code?: number | null;
  seconds: number;
  markdown: string;
  stderrTail: string;
  json?: Record<string, unknown>;
}

/** The process group of the benchmark running now. */
let current: number | undefined;
function endGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}
// Detached groups do not get the terminal's Ctrl-C: pass it on.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    endGroup(current);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });

function run(bench: Bench): Promise<Outcome> {
  const argv = [...command(bench.script), ...(QUICK ? bench.quick : (bench.args ?? []))];
  console.error(`\n[bench:all] ${bench.name}: node ${argv.join(' ')}`);
  const started = performance.now();
  // A process group of its own, so that whatever it leaves running (a receiver of a
  // driver that crashed holds our pipe open) is ended with it.
  const child = spawn(process.execPath, argv, {
    cwd: here('.'),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  current = child.pid;
  let stdout = '';
  let stderr = '';
  // Decoded as a stream: a character of several bytes may straddle two chunks.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    stdout += d;
    process.stdout.write(d);
  });
  child.stderr.on('data', (d: string) => {
    stderr += d;
    process.stderr.write(d);
  });
  child.on('exit', () => endGroup(child.pid));
  return new Promise((done) => {
    child.on('close', (code) => {
      current = undefined;
      const lines = stdout.split('\n');
      const jsonLine = lines.findLast((l) => l.startsWith('BENCH_JSON '));
      let json: Record<string, unknown> | undefined;
      try {
        json = jsonLine ? JSON.parse(jsonLine.slice('BENCH_JSON '.length)) : undefined;
      } catch {
        json = undefined;
      }
      done({
        bench,
        argv,
        code,
        seconds: (performance.now() - started) / 1000,
        markdown: lines
          .filter((l) => !l.startsWith('BENCH_JSON '))
          .join('\n')
          .trim(),
        stderrTail: stderr.trim().split('\n').slice(-15).join('\n'),
        json,
      });
    });
  });
}

const startedAt = new Date();
const loadAtStart = os.loadavg();
const outcomes: Outcome[] = [];
for (const bench of selected) {
  const reason = await bench.unavailable?.();
  if (reason) {
    console.error(`\n[bench:all] ${bench.name}: skipped: ${reason}`);
    outcomes.push({
      bench,
      argv: command(bench.script),
      skipped: reason,
      seconds: 0,
      markdown: '',
      stderrTail: '',
    });
    continue;
  }
  outcomes.push(await run(bench));
}
const totalSeconds = (Date.now() - startedAt.getTime()) / 1000;

// ---------------------------------------------------------------- targets

const int = (n: number) => Math.round(n).toLocaleString('en');
const x = (n: number) => `${n.toFixed(2)}×`;
const range = (xs: number[]) =>
  xs.length > 1 ? ` (${int(Math.min(...xs))}–${int(Math.max(...xs))})` : '';
/** Min–max of the per-round ratios a[i] / b[i] (the variants of one round ran side by side). */
function spread(a: number[], b: number[]): string {
  const rs = a.map((v, i) => v / (b[i] ?? Number.NaN)).filter(Number.isFinite);
  return rs.length > 1 ? `, per round ${Math.min(...rs).toFixed(2)}–${x(Math.max(...rs))}` : '';
}
const MiB = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
/**
 * `a` against `b` (per-round figures of two variants run side by side): both
 * medians with their ranges, the ratio of the medians, and its per-round spread.
 */
function versus(
  a: number[],
  b: number[],
  unit: string,
  o: { aRange?: boolean; bLabel?: string } = {},
): string {
  const r = median(a) / median(b);
  return `${int(median(a))} ${unit}${o.aRange === false ? '' : range(a)} vs ${int(median(b))}${range(b)}${o.bLabel ? ` for ${o.bLabel}` : ''}: **${x(r)}**${spread(a, b)}`;
}

type Status = 'met' | 'not met' | 'not measured' | 'reported';
interface Target {
  key: string;
  issue: string;
  target: string;
  figure: string;
  status: Status;
}

interface ExportJson {
  rounds: number;
  modes: Record<
    string,
    { bestSdk?: string; rows: Record<string, { rates: number[]; lost: number[] }> }
  >;
}
interface HttpJson {
  runs: Record<
    string,
    Array<{ rps: number; requests: number; delivered: number; expected: number }>
  >;
  /** The fixed rates of the latency runs, by framework: half of bare's, half of pino-http's. */
  latencyRate?: Record<string, number>;
  latencyRateOwn?: Record<string, number>;
  latency?: Record<
    string,
    Array<{ rps: number; p99: number; delivered: number; expected: number }>
  >;
}
interface RatesJson {
  rates: Record<string, number[]>;
  /** pino: lines/s on the logging thread (until the loop of logging calls returns). */
  appRates?: Record<string, number[]>;
  delivered: Record<string, number[]>;
  lines?: number;
  jobs?: number;
}
interface SoakJson {
  seconds: number;
  compression: number;
  rate: number;
  up: number;
  down: number;
  budgetBytes: number;
  toleranceBytes: number;
  maxHeapGrowthBytes: number;
  withinBudget: boolean;
  upStartHeapBytes: number[];
  peakDriftBytes: number;
  troughExcessBytes: number;
  undrainedUpPhases: number;
  noLeak: boolean;
  written: number;
  delivered: number;
  exported: number;
  dropped: number;
  queuedAtEnd: number;
  accountingOk: boolean;
}

const outcome = (name: string) => outcomes.find((o) => o.bench.name === name);
/** The bench's figures, or why there are none. */
function figures<T>(name: string): T | string {
  const o = outcome(name);
  if (!o) return 'not run (not selected)';
  if (o.skipped) return `skipped: ${o.skipped}`;
  if (!o.json) return `no figures: the benchmark exited with ${o.code} (see its section)`;
  return o.json as T;
}
const pass = (ok: boolean): Status => (ok ? 'met' : 'not met');

const targets: Target[] = [];
function add(
  key: string,
  issue: string,
  target: string,
  measure: () => { figure: string; status: Status } | string,
): void {
  const m = measure();
  targets.push(
    typeof m === 'string'
      ? { key, issue, target, figure: m, status: 'not measured' }
      : { key, issue, target, ...m },
  );
}

// Issue 17: the incident console's store.
interface DevStoreJson {
  records: number;
  queries: Record<string, { median: number; slowest: number }>;
}
add(
  'dev-store-queries',
  '17 (incident console)',
  'every query of `threadline dev` (overviews, trace list and its filters, logs, errors, one trace) under 100 ms on a store of 1,000,000 records',
  () => {
    const d = figures<DevStoreJson>('dev-store');
    if (typeof d === 'string') return d;
    const slowest = Object.entries(d.queries).sort((a, b) => b[1].slowest - a[1].slowest)[0];
    if (!slowest) return 'no query figures';
    return {
      figure: `${int(d.records)} records; slowest: ${slowest[0]}, ${slowest[1].slowest.toFixed(1)} ms (median ${slowest[1].median.toFixed(1)} ms)`,
      status: d.records < 1_000_000 ? 'reported' : pass(slowest[1].slowest < 100),
    };
  },
);

// Issue 2: the core pipeline against the bare SDK's best configuration.
const TL = 'threadline http/protobuf (defaults)';
for (const mode of ['burst', 'paced']) {
  add(
    `export-${mode}`,
    '2 (core)',
    `${mode}: Threadline (defaults, http/protobuf) delivers ≥ the best bare-SDK configuration's records/s`,
    () => {
      const e = figures<ExportJson>('export');
      if (typeof e === 'string') return e;
      const m = e.modes[mode];
      const t = m?.rows[TL];
      const sdkNames = Object.keys(m?.rows ?? {}).filter((n) => n.startsWith('sdk'));
      // The bench's own choice: the fastest SDK configuration that lost nothing.
      const best =
        m?.bestSdk ??
        sdkNames.sort(
          (a, b) => median(m?.rows[b]?.rates ?? [0]) - median(m?.rows[a]?.rates ?? [0]),
        )[0];
      const s = best ? m?.rows[best] : undefined;
      if (!t || !s) return `no ${mode} figures`;
      const r = median(t.rates) / median(s.rates);
      return {
        figure: versus(t.rates, s.rates, 'records/s', { bLabel: best }),
        status: pass(r >= 1),
      };
    },
  );
}
add('export-lost', '2 (core)', 'Threadline loses no record (burst and paced, every round)', () => {
  const e = figures<ExportJson>('export');
  if (typeof e === 'string') return e;
  const lost = Object.entries(e.modes).map(([mode, m]) => [mode, m.rows[TL]?.lost ?? []] as const);
  const worst = Math.max(...lost.flatMap(([, l]) => l));
  return {
    figure: lost.map(([mode, l]) => `${mode}: ${l.join(', ')} lost`).join('; '),
    status: pass(worst === 0),
  };
});

// Issue 3: HTTP services. (Its targets against the bare frameworks were retired by
// issue 20: with two exported records a request they measured the hello-world handler.)
const FRAMEWORK_NAME = { express: 'Express', koa: 'Koa' } as const;

/**
 * Threadline's requests/s on `fw` against `variant`'s (with the floor server's
 * ratio when `floor` and the run has it): the figure and the ratio, or why
 * there is none.
 */
function httpVersus(
  fw: string,
  variant: string,
  o: { aRange: boolean; floor: boolean },
): { figure: string; ratio: number } | string {
  const h = figures<HttpJson>('http');
  if (typeof h === 'string') return h;
  const rps = (v: string) => (h.runs[`${fw} ${v}`] ?? []).map((r) => r.rps);
  const t = rps('threadline');
  const other = rps(variant);
  if (t.length === 0 || other.length === 0) return `no ${fw} figures`;
  const f = o.floor ? rps('floor') : [];
  const floor =
    f.length > 0
      ? ` (the floor, http-floor.cjs: ${int(median(f))} req/s, ${x(median(f) / median(other))})`
      : '';
  return {
    figure: `${versus(t, other, 'req/s', { aRange: o.aRange })}${floor}`,
    ratio: median(t) / median(other),
  };
}

/** Records received against expected for Threadline on `frameworks`, every round. */
function delivery(h: HttpJson, frameworks: string[]): { figure: string; status: Status } {
  const runs = frameworks.flatMap((fw) => h.runs[`${fw} threadline`] ?? []);
  const delivered = runs.reduce((n, r) => n + r.delivered, 0);
  const expected = runs.reduce((n, r) => n + r.expected, 0);
  return {
    // A few more arrive than wrk counted: requests in flight when it stops are still served.
    figure: `${int(delivered)} records received for ${int(expected)} expected`,
    status: pass(runs.every((r) => r.delivered >= r.expected)),
  };
}

for (const fw of ['express', 'koa'] as const) {
  add(
    `http-${fw}-auto`,
    '3 (HTTP)',
    `${FRAMEWORK_NAME[fw]} with Threadline ≥ 2× the OpenTelemetry auto-instrumentation variant`,
    () => {
      const v = httpVersus(fw, 'otel-auto', { aRange: false, floor: false });
      return typeof v === 'string' ? v : { figure: v.figure, status: pass(v.ratio >= 2) };
    },
  );
}
add('http-lost', '3 (HTTP)', 'No record lost (Express and Koa, every round)', () => {
  const h = figures<HttpJson>('http');
  return typeof h === 'string' ? h : delivery(h, ['express', 'koa']);
});

// Issue 19: Fastify and Hono, against what their users would run instead.
for (const [fw, name, own] of [
  ['fastify', 'Fastify', "Fastify's own request logging"],
  ['hono', 'Hono', 'hono/logger'],
] as const) {
  for (const [key, variant, min, target] of [
    [
      'own',
      'pino-http',
      1,
      `${name} with Threadline (2 records a request, exported) serves more requests/s than ${own} to /dev/null (nothing exported)`,
    ],
    [
      'auto',
      'otel-auto',
      3,
      `${name} with Threadline ≥ 3× the OpenTelemetry auto-instrumentation variant`,
    ],
  ] as const) {
    add(`http-${fw}-${key}`, '19 (Fastify, Hono)', target, () => {
      const v = httpVersus(fw, variant, { aRange: false, floor: true });
      if (typeof v === 'string') return v;
      return { figure: v.figure, status: pass(key === 'own' ? v.ratio > min : v.ratio >= min) };
    });
  }
}
add(
  'http-lost-fastify-hono',
  '19 (Fastify, Hono)',
  'No record lost (Fastify and Hono, every round)',
  () => {
    const h = figures<HttpJson>('http');
    if (typeof h === 'string') return h;
    if (!h.runs['fastify threadline'] && !h.runs['hono threadline'])
      return 'no Fastify or Hono figures';
    return delivery(h, ['fastify', 'hono']);
  },
);

// Issue 20: the request, the job and the pino line near the floor.
interface FloorJson {
  floor: Record<string, number[]>;
  floorUs: number;
  threadlineUs: number;
}
interface HttpCostJson {
  rows: Record<string, { rps: number; cpuUs: number }>;
}
for (const fw of ['express', 'koa'] as const) {
  const name = FRAMEWORK_NAME[fw];
  for (const [key, variant, min, label] of [
    ['pino-http', 'pino-http', 1.5, 'pino-http (one line to /dev/null, nothing exported)'],
    ['auto3', 'otel-auto', 3, 'the OpenTelemetry auto-instrumentation variant'],
  ] as const) {
    add(
      `http-${fw}-${key}`,
      '20 (hot path)',
      `${name} with Threadline (2 records a request, exported) ≥ ${min}× ${label} (requests/s)`,
      () => {
        const v = httpVersus(fw, variant, { aRange: key === 'pino-http', floor: true });
        return typeof v === 'string' ? v : { figure: v.figure, status: pass(v.ratio >= min) };
      },
    );
  }
  add(
    `http-${fw}-p99`,
    '20 (hot path)',
    `${name}: p99 latency at a fixed rate (half the bare framework's requests/s) within 1.2× of pino-http's`,
    () => {
      const h = figures<HttpJson>('http');
      if (typeof h === 'string') return h;
      const p99 = (key: string) => (h.latency?.[`${fw} ${key}`] ?? []).map((r) => r.p99);
      const t = p99('threadline');
      const o = p99('pino-http');
      if (t.length === 0 || o.length === 0) return `no ${fw} latency figures`;
      const us = (xs: number[]) =>
        `${int(median(xs))} µs (${int(Math.min(...xs))}–${int(Math.max(...xs))})`;
      const r = median(t) / median(o);
      const tOwn = p99('threadline @own');
      const oOwn = p99('pino-http @own');
      const fOwn = p99('floor @own');
      const floorOwn =
        fOwn.length > 0
          ? ` (the floor, http-floor.cjs: ${us(fOwn)}, ${x(median(fOwn) / median(oOwn))})`
          : '';
      const own =
        tOwn.length > 0 && oOwn.length > 0
          ? `; at ${int(h.latencyRateOwn?.[fw] ?? 0)} requests/s (half of pino-http's): ${us(tOwn)} vs ${us(oOwn)}, ${x(median(tOwn) / median(oOwn))}${floorOwn}`
          : '';
      return {
        figure: `at ${int(h.latencyRate?.[fw] ?? 0)} requests/s: Threadline ${us(t)} vs pino-http ${us(o)}: **${x(r)}**${own}`,
        status: pass(r <= 1.2),
      };
    },
  );
  add(
    `http-${fw}-cpu`,
    '20 (hot path)',
    `${name}: the server CPU Threadline adds to a request, stated against the floor`,
    () => {
      const c = figures<HttpCostJson>('http-cost');
      const f = figures<FloorJson>('floor');
      if (typeof c === 'string') return c;
      if (typeof f === 'string') return f;
      const bare = c.rows[`${fw} bare`];
      const used = c.rows[`${fw} + exported (Threadline as used)`];
      const floor = c.rows[`${fw} the floor (http-floor.cjs), to bare`];
      if (!bare || !used) return `no ${fw} cost figures`;
      const floorFigure = floor
        ? `, the floor (http-floor.cjs) ${floor.cpuUs.toFixed(1)} µs: +${(floor.cpuUs - bare.cpuUs).toFixed(1)} µs`
        : '';
      return {
        figure: `server CPU a request (http-cost.ts --steps): bare ${bare.cpuUs.toFixed(1)} µs, with Threadline ${used.cpuUs.toFixed(1)} µs: **+${(used.cpuUs - bare.cpuUs).toFixed(1)} µs**${floorFigure}; in a loop without a server (floor.ts): the floor ${f.floorUs.toFixed(2)} µs, Threadline ${f.threadlineUs.toFixed(2)} µs (${x(f.threadlineUs / f.floorUs)} the floor)`,
        status: 'reported',
      };
    },
  );
}
add(
  'jobs-by-hand',
  '20 (hot path)',
  'Jobs/s with `correlateProcessor` ≥ 0.97× the same three lines and attributes written by hand',
  () => {
    const j = figures<RatesJson>('jobs');
    if (typeof j === 'string') return j;
    const w = j.rates.wrapped ?? [];
    const h = j.rates['three-lines-attributes'] ?? [];
    const floor = j.rates.floor ?? [];
    const inWorker = floor.length
      ? ` (the floor, the same lines in the job's trace continued: ${x(median(floor) / median(h))})`
      : '';
    // The same paths without Redis: CPU a job in a loop (job-steps.ts), when it ran.
    const s = figures<{ steps: Record<string, number[]> }>('job-steps');
    const step = (key: string) =>
      typeof s === 'string' || !s.steps[key]?.length ? undefined : median(s.steps[key]);
    const [hand, loopFloor, wrapper] = [step('by-hand'), step('floor'), step('wrapper')];
    const loop =
      hand && wrapper
        ? `; without Redis (job-steps.ts), CPU a job: by hand ${hand.toFixed(1)} µs, ${loopFloor ? `the floor ${loopFloor.toFixed(1)} µs (${x(hand / loopFloor)}), ` : ''}the wrapper ${wrapper.toFixed(1)} µs (${x(hand / wrapper)})`
        : '';
    return {
      figure: `${versus(w, h, 'jobs/s')}${inWorker}${loop}`,
      status: pass(median(w) / median(h) >= 0.97),
    };
  },
);
/**
 * The floor of an exported pino line against `step` (pino-steps.ts, µs a
 * line until exported, when it ran): `; the floor …` or ''.
 */
function pinoFloor(step: string, name: string): string {
  const s = figures<{ steps: Record<string, { total: number[] }> }>('pino-steps');
  if (typeof s === 'string') return '';
  const floor = s.steps.floor?.total ?? [];
  const other = s.steps[step]?.total ?? [];
  const threadline = s.steps.export?.total ?? [];
  if (!floor.length || !other.length || !threadline.length) return '';
  const us = (xs: number[]) => `${median(xs).toFixed(2)} µs`;
  return `; in pino-steps.ts, µs a line until exported: ${name} ${us(other)}, the floor (pino-floor.cjs) ${us(floor)}, Threadline ${us(threadline)}: the floor serves ${x(median(other) / median(floor))} of ${name}'s lines/s`;
}
add(
  'pino-alone-20',
  '20 (hot path)',
  'pino with `@threadline/pino` ≥ 0.6× pino alone (lines/s until every record is exported)',
  () => {
    const p = figures<RatesJson>('pino');
    if (typeof p === 'string') return p;
    const t = p.rates.threadline ?? [];
    const a = p.rates.alone ?? [];
    return {
      figure: `${versus(t, a, 'lines/s')}${pinoFloor('alone', 'pino alone')}`,
      status: pass(median(t) / median(a) >= 0.6),
    };
  },
);
add(
  'pino-otel-20',
  '20 (hot path)',
  '`@threadline/pino` ≥ 2.5× instrumentation-pino log sending',
  () => {
    const p = figures<RatesJson>('pino');
    if (typeof p === 'string') return p;
    const t = p.rates.threadline ?? [];
    const o = p.rates['otel-pino'] ?? [];
    return {
      figure: `${versus(t, o, 'lines/s', { aRange: false })}${pinoFloor('otel-pino', 'instrumentation-pino')}`,
      status: pass(median(t) / median(o) >= 2.5),
    };
  },
);
for (const mode of ['burst', 'paced']) {
  add(
    `export-${mode}-20`,
    '20 (hot path)',
    `${mode}: Threadline (defaults, http/protobuf) delivers ≥ 1.5× the best bare-SDK configuration's records/s`,
    () => {
      const e = figures<ExportJson>('export');
      if (typeof e === 'string') return e;
      const m = e.modes[mode];
      const t = m?.rows[TL];
      const s = m?.bestSdk ? m.rows[m.bestSdk] : undefined;
      if (!t || !s) return `no ${mode} figures`;
      return {
        figure: versus(t.rates, s.rates, 'records/s', { bLabel: m?.bestSdk }),
        status: pass(median(t.rates) / median(s.rates) >= 1.5),
      };
    },
  );
}

// Issue 4: BullMQ.
add('jobs-wrapper', '4 (BullMQ)', 'Jobs/s with `correlateProcessor` ≥ 0.95× without', () => {
  const j = figures<RatesJson>('jobs');
  if (typeof j === 'string') return j;
  const w = j.rates.wrapped ?? [];
  const b = j.rates.bare ?? [];
  const byHand = j.rates['three-lines-attributes'] ?? [];
  const r = median(w) / median(b);
  return {
    figure: `${versus(w, b, 'jobs/s')} (the wrapper’s three lines and attributes written by hand, no scope: ${x(median(byHand) / median(b))})`,
    status: pass(r >= 0.95),
  };
});

// Issue 6: the pino and winston bridges.
add(
  'pino-alone',
  '6 (pino)',
  'pino with `@threadline/pino` ≥ 0.85× pino alone (lines/s until every record is exported)',
  () => {
    const p = figures<RatesJson>('pino');
    if (typeof p === 'string') return p;
    const t = p.rates.threadline ?? [];
    const a = p.rates.alone ?? [];
    const r = median(t) / median(a);
    return {
      figure: `${versus(t, a, 'lines/s')}; records received per round ${(p.delivered.threadline ?? []).map(int).join(', ')} of ${int(p.lines ?? 0)}`,
      status: pass(r >= 0.85),
    };
  },
);
add(
  'pino-alone-transport',
  '6 (pino)',
  'pino with `@threadline/pino/transport` (export in pino’s worker thread) ≥ 0.85× pino alone (lines/s on the logging thread)',
  () => {
    const p = figures<RatesJson>('pino');
    if (typeof p === 'string') return p;
    const t = p.appRates?.transport ?? [];
    const a = p.appRates?.alone ?? [];
    if (t.length === 0) return 'no figures: this run has no transport variant';
    const r = median(t) / median(a);
    const end = median(p.rates.transport ?? []) / median(p.rates.alone ?? []);
    return {
      figure: `${versus(t, a, 'lines/s')}; until every record is exported ${x(end)} (the worker's rate); records received per round ${(p.delivered.transport ?? []).map(int).join(', ')} of ${int(p.lines ?? 0)}`,
      status: pass(r >= 0.85),
    };
  },
);
add('pino-otel', '6 (pino)', '`@threadline/pino` ≥ 1.5× instrumentation-pino log sending', () => {
  const p = figures<RatesJson>('pino');
  if (typeof p === 'string') return p;
  const t = p.rates.threadline ?? [];
  const o = p.rates['otel-pino'] ?? [];
  const r = median(t) / median(o);
  return {
    figure: versus(t, o, 'lines/s', { aRange: false }),
    status: pass(r >= 1.5),
  };
});
add(
  'winston',
  '6 (winston)',
  'winston with `@threadline/winston`, to winston alone (no target)',
  () => {
    const w = figures<RatesJson>('winston');
    if (typeof w === 'string') return w;
    const t = w.rates.threadline ?? [];
    const a = w.rates.alone ?? [];
    const all = (w.delivered.threadline ?? []).every((n) => n === w.lines);
    return {
      figure: `${versus(t, a, 'lines/s')}; ${all ? 'every record delivered' : 'records lost'}`,
      status: 'reported',
    };
  },
);

// Issue 7: the soak.
const soakPlan = (s: SoakJson) =>
  `${s.seconds} s for 60 min (×${s.compression.toFixed(0)}), ${int(s.rate)} records/s, collector ${s.up} s up / ${s.down} s down`;
add(
  'soak-budget',
  '7 (soak)',
  'Heap growth stays within `maxQueueBytes` with the collector down half the time',
  () => {
    const s = figures<SoakJson>('soak');
    if (typeof s === 'string') return s;
    return {
      figure: `max growth ${MiB(s.maxHeapGrowthBytes)} for a ${MiB(s.budgetBytes)} budget (**${((s.maxHeapGrowthBytes / s.budgetBytes) * 100).toFixed(0)}%**; allowed: the budget + ${MiB(s.toleranceBytes)} for exporter buffers); ${soakPlan(s)}`,
      status: pass(s.withinBudget),
    };
  },
);
add(
  'soak-leak',
  '7 (soak)',
  'No leak: heap back to baseline after each outage; the last outage peak not above the first',
  () => {
    const s = figures<SoakJson>('soak');
    if (typeof s === 'string') return s;
    const sign = (b: number) => `${b >= 0 ? '+' : '−'}${MiB(Math.abs(b))}`;
    return {
      figure: `last outage peak ${sign(s.peakDriftBytes)} from the first (${s.upStartHeapBytes.length} outages); after recovery at most ${sign(s.troughExcessBytes)} over baseline${s.undrainedUpPhases ? ` (**the queue did not drain in ${s.undrainedUpPhases} up-phase${s.undrainedUpPhases > 1 ? 's' : ''}**)` : ''}; tolerance ${MiB(s.toleranceBytes)}`,
      status: pass(s.noLeak),
    };
  },
);
add(
  'soak-accounting',
  '7 (soak)',
  'Every record accounted for: delivered + dropped + queued = written',
  () => {
    const s = figures<SoakJson>('soak');
    if (typeof s === 'string') return s;
    return {
      figure: `${int(s.written)} written = ${int(s.delivered)} delivered + ${int(s.dropped)} dropped + ${int(s.queuedAtEnd)} queued${s.delivered === s.exported ? '' : ` (Threadline counted ${int(s.exported)} exported)`}`,
      status: pass(s.accountingOk && s.delivered === s.exported),
    };
  },
);

// ------------------------------------------------------------------ page

/**
 * Drafts for the `### Why` of a target not met, from what the packages'
 * READMEs already say. A `### Why` without the DRAFT mark is the author's
 * and is kept by the next run.
 */
const DRAFTS: Record<string, string> = {
  'export-paced':
    'From packages/core/README.md (Performance): in the paced run every pipeline is held back by the writer (at most 200,000 records/s); there Threadline encodes and sends larger batches on the writer’s thread.',
  'jobs-wrapper':
    'From packages/bullmq/README.md (Performance): most of the gap is the content, not the scope: a processor that writes the same three lines with the same attributes by hand already runs at about 0.8×. The scope (metadata, the hop’s span, the context) costs about 3 µs a job on top.',
  'pino-alone':
    'From packages/pino/README.md (Performance): exporting a record (parsing the line, the record, encoding, sending) costs several times what pino spends writing a line to `/dev/null`, which is why the ratio to pino alone is low.',
  'pino-otel':
    'packages/pino/README.md records the ratio (1.22× in an earlier run) but no explanation yet.',
};

/** The `### Why` bodies the author wrote in the page this run replaces. */
const kept = new Map<string, string>();
/** The author's analysis of where the time goes (the floor, the design), kept the same way. */
let analysis: string | undefined;
if (existsSync(out)) {
  const old = readFileSync(out, 'utf8');
  analysis = /<!-- analysis -->\n([\s\S]*?)\n<!-- \/analysis -->/.exec(old)?.[1];
  for (const m of old.matchAll(/<!-- why:([\w-]+) -->\n([\s\S]*?)\n<!-- \/why -->/g)) {
    const [, key, body] = m;
    if (key && body && !body.includes('DRAFT')) kept.set(key, body);
  }
}

/** A bench's Markdown under a heading of level 3: its own headings go three levels down. */
const nest = (md: string) => md.replace(/^(#{1,3}) /gm, (_, h: string) => `${h}### `);
const duration = (s: number) =>
  s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(0)} s`;
const git = (...a: string[]) => {
  try {
    return execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
const commit = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain') !== '';
const cpus = os.cpus();
const STATUS = {
  met: 'met',
  'not met': '**not met**',
  'not measured': 'not measured',
  reported: 'reported',
} as const;

const page: string[] = [];
const p = (...lines: string[]) => page.push(...lines);
p(
  '# Benchmarks',
  '',
  '<!-- Written by bench/all.ts (`bench:all`). Regenerated by every full run; the text of a `### Why` section without the DRAFT mark is kept. -->',
  '',
);
if (QUICK)
  p(
    '> **Quick smoke run** (`--quick`): small sizes and one or two rounds, to check that every benchmark runs and is read; the figures below are not measurements.',
    '',
  );
p(
  `Measured on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${commit ? `, commit ${commit}${dirty ? ' (with uncommitted changes)' : ''}` : ''}, on ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB of memory, ${os.type()} ${os.release()}, Node ${process.version}; load average at the start ${loadAtStart.map((l) => l.toFixed(2)).join(', ')}. The whole run took ${duration(totalSeconds)}.`,
  '',
  '## Method',
  '',
  '- One command (`bench:all`, see [Reproduce](#reproduce)) runs every benchmark of [bench/](../bench) one after the other, each in processes of its own, exactly as its own package script does, and writes this page from what they print.',
  '- Every comparison is made **side by side in one run**: the variants compared are interleaved within each round (each in a fresh process), so that drift and noise hit them alike. Compare ratios within a run, not absolute figures across runs: on a 2-core machine the same figure can vary by 2× from one run to the next.',
  '- Figures are **medians over the rounds, with the min–max in brackets**. A ratio is median ÷ median; its spread (“per round a–b×”) is the range of the ratios of the variants measured in the same round.',
  '- Receivers count the records they accept (an OTLP/HTTP receiver in its own process that counts without decoding), so records lost are measured, not assumed.',
  `- What each benchmark measures and how: ${outcomes.map((o) => `[${o.bench.name}](${readmeLink(scriptFile(o.bench))})`).join(', ')} (bench/README.md).`,
  '',
  '## Targets',
  '',
  'The targets set in the earlier issues, with the figure measured in this run.',
  '',
  '| issue | target | measured in this run | status |',
  '|---|---|---|---|',
  ...targets.map((t) => `| ${t.issue} | ${t.target} | ${t.figure} | ${STATUS[t.status]} |`),
  '',
);
const unmet = targets.filter((t) => t.status === 'not met');
if (unmet.length === 0) p('Every target measured in this run was met.', '');
else
  p(
    `${unmet.length} target${unmet.length > 1 ? 's were' : ' was'} **not met** in this run: ${unmet.map((t) => t.target).join('; ')}.`,
    '',
  );
for (const t of unmet) {
  p(
    `### Why: ${t.target} (not met)`,
    '',
    `<!-- why:${t.key} -->`,
    kept.get(t.key) ??
      `> **DRAFT — to be replaced by the explanation.** ${DRAFTS[t.key] ?? 'No explanation in the READMEs yet.'}`,
    '<!-- /why -->',
    '',
  );
}
const notMeasured = targets.filter((t) => t.status === 'not measured');
// Those of benchmarks that were selected but skipped or failed (the table says which were not selected).
const missed = notMeasured.filter((t) => !t.figure.startsWith('not run'));
const reasons = [...new Set(missed.map((t) => t.figure))];
if (reasons.length)
  p(
    `Not measured in this run: ${reasons.map((r) => `${missed.filter((t) => t.figure === r).length} target(s), ${r}`).join('; ')}.`,
    '',
  );

p(
  '## Where the time goes',
  '',
  '<!-- analysis -->',
  analysis ??
    '> **DRAFT — to be written.** The floor of each path (what any design must do) and where each µs above it goes, from the floor, http-cost, jobs and pino tables below.',
  '<!-- /analysis -->',
  '',
);
p('## Results', '', '| benchmark | command | took | outcome |', '|---|---|---:|---|');
for (const o of outcomes) {
  const state = o.skipped
    ? `skipped: ${o.skipped}`
    : o.code === 0
      ? 'ran'
      : `**exited with ${o.code}**`;
  p(`| ${o.bench.name} | \`node ${o.argv.join(' ')}\` | ${duration(o.seconds)} | ${state} |`);
}
p('');
for (const o of outcomes) {
  p(`### ${o.bench.name} ([method](${readmeLink(scriptFile(o.bench))}))`, '');
  if (o.skipped) {
    p(`Skipped: ${o.skipped}.`, '');
    continue;
  }
  if (o.code !== 0)
    p(
      `**The benchmark exited with ${o.code}.** The end of its stderr:`,
      '',
      '```',
      o.stderrTail,
      '```',
      '',
    );
  if (o.markdown) p(nest(o.markdown), '');
}
p(
  '## Reproduce',
  '',
  'On an otherwise idle machine (the http benchmark pins the server to core 0 and wrk to core 1), from the repository root:',
  '',
  '```sh',
  'npx -y pnpm@10 install && npx -y pnpm@10 build && npx -y pnpm@10 --filter @threadline/bench run bench:all',
  '```',
  '',
  `The http benchmark needs \`wrk\` (\`apt-get install wrk\`), the jobs benchmark a Redis server on 127.0.0.1:6379 (\`apt-get install redis-server\`, or \`docker run -p 6379:6379 redis\`); without them those benchmarks are skipped and say so. \`bench:all -- --quick\` is a smoke test of the whole pipeline (written to the temporary directory), \`--only export,pino\` runs some, \`--out FILE\` writes elsewhere; each benchmark also runs alone (\`bench:export\`, … \`bench:soak\`, see [bench/README.md](../bench/README.md)).`,
  '',
);

writeFileSync(out, `${page.join('\n').trimEnd()}\n`);
console.error(
  `\n[bench:all] wrote ${out} in ${duration(totalSeconds)}: ${targets.filter((t) => t.status === 'met').length} targets met, ${unmet.length} not met, ${notMeasured.length} not measured`,
);
const failed = outcomes.filter((o) => !o.skipped && o.code !== 0);
if (failed.length) {
  console.error(`[bench:all] failed: ${failed.map((o) => o.bench.name).join(', ')}`);
  process.exitCode = 1;
}

/** The file a bench's script runs (the README's section is named after it). */
function scriptFile(bench: Bench): string {
  return command(bench.script).find((w) => /\.(ts|cjs)$/.test(w)) ?? '';
}
