// HTTP throughput with wrk on loopback: the server pinned to core 0, wrk (and
// the counting OTLP receiver) on core 1. For Express, Koa, Fastify and Hono,
// each variant of bench/http-server.cjs is measured in turn, interleaved
// within each round so that drift hits all alike, and reported as a ratio to
// the bare framework of the same run. Exported variants are checked for
// delivery: records received by the receiver against requests served.
//
// Then latency at fixed rates (Express and Koa unless --latency-frameworks
// says otherwise): half the bare framework's median requests/s of this run,
// for bare, Threadline and the framework's own request logging, and half the
// own request logging's, for the last two and the floor; interleaved the
// same way; open loop, each request's latency from when it was due
// (paced-load.ts), how long the server's event loop was held (its
// monitorEventLoopDelay between the flushes around the run) and the load
// generator's own.
// Usage: pnpm bench:http [-- --rounds 3 --seconds 8 --connections 32 --frameworks express,koa,fastify,hono
//                          --latency-frameworks express,koa --latency-seconds 8 --latency-rounds 5]
import { type PacedRun, pacedLoad, pin, requireWrk, startServer, wrk } from './http-lib.js';
import { arg, args, forkReceiver, median, once } from './lib.js';

const ROUNDS = arg('rounds', 3);
const SECONDS = arg('seconds', 8);
const CONNECTIONS = arg('connections', 32);

const LATENCY_SECONDS = arg('latency-seconds', 8);
// More rounds than the throughput's: one round's p99 of one variant varies several-fold here.
const LATENCY_ROUNDS = arg('latency-rounds', 5);

const ALL_FRAMEWORKS = ['express', 'koa', 'fastify', 'hono'];
/** The frameworks `--<name>` lists (comma-separated), or `fallback`. */
function frameworks(name: string, fallback: string[]): string[] {
  const chosen = args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined;
  const list = chosen ? chosen.split(',').filter((f) => f !== '') : fallback;
  const unknown = list.filter((f) => !ALL_FRAMEWORKS.includes(f));
  if (unknown.length > 0) {
    console.error(`--${name}: ${unknown.join(', ')} unknown (known: ${ALL_FRAMEWORKS.join(', ')})`);
    process.exit(2);
  }
  return list;
}
const FRAMEWORKS = frameworks('frameworks', ALL_FRAMEWORKS);
const LATENCY_FRAMEWORKS = frameworks(
  'latency-frameworks',
  ['express', 'koa'].filter((f) => FRAMEWORKS.includes(f)),
).filter((f) => FRAMEWORKS.includes(f));
/** The variants measured at a fixed rate. */
const LATENCY_VARIANTS = ['bare', 'threadline', 'pino-http'];
/** What each framework's `pino-http` variant is: its own request logging, to /dev/null. */
const OWN_LOGGING: Record<string, string> = {
  express: 'pino-http',
  koa: 'pino-http',
  fastify: "Fastify's logger",
  hono: 'hono/logger',
};
/** Records each variant exports per request (0: nothing exported). */
const VARIANTS: Record<string, number> = {
  bare: 0,
  threadline: 2,
  floor: 2,
  'otel-auto': 1,
  'pino-http': 0,
};

requireWrk();

const receiver = await forkReceiver();
const { url } = receiver;
// The receiver's threads on core 1, beside wrk: they must not take the server's core.
pin(receiver.pid, 1);
/** Waits until the receiver's count stops moving. */
const settledCount = () => receiver.settled(300);

interface Run {
  rps: number;
  requests: number;
  delivered: number;
  expected: number;
}

/**
 * One fresh server of `framework` `variant`: a warm-up, a flush, `load` on its
 * port, a flush; the load's figures with the records delivered and expected,
 * and the server's event-loop delay between the two flushes.
 */
async function measureWith<L extends { requests: number; errors: number }>(
  framework: string,
  variant: string,
  load: (port: number) => L,
): Promise<L & { delivered: number; expected: number; loopP99: number; loopMax: number }> {
  const server = await startServer(framework, variant, url);
  try {
    wrk(server.port, 2, CONNECTIONS); // warm-up
    server.child.send({ type: 'flush' });
    await once(server.child, 'flushed');
    await settledCount();
    await receiver.reset();
    const r = load(server.port);
    if (r.errors > 0) console.error(`${framework} ${variant}: ${r.errors} errors`);
    server.child.send({ type: 'flush' });
    const { loopDelay } = await once<{ loopDelay: { p99: number; max: number } }>(
      server.child,
      'flushed',
    );
    const delivered = await settledCount();
    return {
      ...r,
      delivered,
      expected: r.requests * (VARIANTS[variant] ?? 0),
      loopP99: loopDelay.p99,
      loopMax: loopDelay.max,
    };
  } finally {
    await server.stop();
  }
}

const measure = async (framework: string, variant: string): Promise<Run> => {
  const r = await measureWith(framework, variant, (port) => wrk(port, SECONDS, CONNECTIONS));
  return { rps: r.rps, requests: r.requests, delivered: r.delivered, expected: r.expected };
};

interface LatencyRun extends PacedRun {
  delivered: number;
  expected: number;
  /** The server's event-loop delay during the run (monitorEventLoopDelay), ms. */
  loopP99: number;
  loopMax: number;
}

const measureLatency = (framework: string, variant: string, rate: number): Promise<LatencyRun> =>
  measureWith(framework, variant, (port) => pacedLoad(port, LATENCY_SECONDS, rate));

const results: Record<string, Run[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const framework of FRAMEWORKS) {
    for (const variant of Object.keys(VARIANTS)) {
      const r = await measure(framework, variant);
      const key = `${framework} ${variant}`;
      results[key] ??= [];
      results[key].push(r);
    }
  }
}

// Latency at fixed rates: half of this run's bare saturation (the rate:
// the variants that cannot keep up with it queue), and half of the framework's
// own request logging's, which both it and Threadline can serve.
interface LatencyPlan {
  /** The key's suffix in `latency`: '' or ' @own'. */
  suffix: string;
  label: string;
  variants: string[];
  rate: Record<string, number>;
}
const half = (framework: string, variant: string) =>
  Math.round(median((results[`${framework} ${variant}`] ?? []).map((r) => r.rps)) / 2);
const PLANS: LatencyPlan[] = [
  {
    suffix: '',
    label: "half of the bare framework's requests/s above",
    variants: LATENCY_VARIANTS,
    rate: Object.fromEntries(LATENCY_FRAMEWORKS.map((f) => [f, half(f, 'bare')])),
  },
  {
    suffix: ' @own',
    label: "half of the framework's own request logging's requests/s above",
    variants: ['threadline', 'floor', 'pino-http'],
    rate: Object.fromEntries(LATENCY_FRAMEWORKS.map((f) => [f, half(f, 'pino-http')])),
  },
];
const latencyRate = PLANS[0]?.rate ?? {};
const latencyRateOwn = PLANS[1]?.rate ?? {};
const latency: Record<string, LatencyRun[]> = {};
for (let round = 0; round < (LATENCY_FRAMEWORKS.length > 0 ? LATENCY_ROUNDS : 0); round++) {
  for (const plan of PLANS) {
    for (const framework of LATENCY_FRAMEWORKS) {
      for (const variant of plan.variants) {
        const r = await measureLatency(framework, variant, plan.rate[framework] as number);
        const key = `${framework} ${variant}${plan.suffix}`;
        latency[key] ??= [];
        latency[key].push(r);
      }
    }
  }
}

console.log(
  `# HTTP throughput: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s on loopback, server on core 0, wrk and receiver on core 1; ${ROUNDS} rounds, median (min–max)\n`,
);
for (const framework of FRAMEWORKS) {
  console.log(`## ${framework}\n`);
  console.log('| variant | requests/s | ratio to bare | records exported / expected |');
  console.log('|---|---:|---:|---:|');
  const bare = median((results[`${framework} bare`] ?? []).map((r) => r.rps));
  for (const variant of Object.keys(VARIANTS)) {
    const runs = results[`${framework} ${variant}`] ?? [];
    const name =
      variant === 'pino-http'
        ? `own request logging (${OWN_LOGGING[framework]})`
        : variant === 'floor'
          ? 'floor (the least any design does for 2 exported records)'
          : variant;
    const rates = runs.map((r) => r.rps);
    const m = median(rates);
    const delivered = runs.reduce((n, r) => n + r.delivered, 0);
    const expected = runs.reduce((n, r) => n + r.expected, 0);
    const delivery =
      expected === 0
        ? 'not exported'
        : `${delivered.toLocaleString('en')} / ${expected.toLocaleString('en')} (${((delivered / expected) * 100).toFixed(1)}%)`;
    console.log(
      `| ${name} | ${Math.round(m).toLocaleString('en')} (${Math.round(Math.min(...rates)).toLocaleString('en')}–${Math.round(Math.max(...rates)).toLocaleString('en')}) | ${(m / bare).toFixed(2)}× | ${delivery} |`,
    );
  }
  const t = median((results[`${framework} threadline`] ?? []).map((r) => r.rps));
  const o = median((results[`${framework} otel-auto`] ?? []).map((r) => r.rps));
  const own = median((results[`${framework} pino-http`] ?? []).map((r) => r.rps));
  console.log(
    `\nThreadline / auto-instrumentation: ${(t / o).toFixed(2)}×; Threadline / own request logging: ${(t / own).toFixed(2)}×\n`,
  );
}
const us = (xs: number[]) =>
  `${Math.round(median(xs)).toLocaleString('en')} (${Math.round(Math.min(...xs)).toLocaleString('en')}–${Math.round(Math.max(...xs)).toLocaleString('en')})`;
for (const plan of LATENCY_FRAMEWORKS.length > 0 ? PLANS : []) {
  console.log(
    `# Latency at a fixed rate (${plan.label}): paced-load.ts on core 1, open loop (each request's latency from when it was due), 64 connections, ${LATENCY_SECONDS} s; ${LATENCY_ROUNDS} rounds, median (min–max), µs\n`,
  );
  for (const framework of LATENCY_FRAMEWORKS) {
    console.log(`## ${framework} at ${plan.rate[framework]?.toLocaleString('en')} requests/s\n`);
    console.log(
      '| variant | requests/s reached | p50 | p90 | p99 | p99.9 | max | server loop delay p99 / max (ms) | load generator loop delay p99 / max (ms) |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const variant of plan.variants) {
      const runs = latency[`${framework} ${variant}${plan.suffix}`] ?? [];
      const name =
        variant === 'pino-http'
          ? `own request logging (${OWN_LOGGING[framework]})`
          : variant === 'floor'
            ? 'floor (http-floor.cjs)'
            : variant;
      console.log(
        `| ${name} | ${Math.round(median(runs.map((r) => r.rps))).toLocaleString('en')} | ${us(runs.map((r) => r.p50))} | ${us(runs.map((r) => r.p90))} | ${us(runs.map((r) => r.p99))} | ${us(runs.map((r) => r.p999))} | ${us(runs.map((r) => r.max))} | ${median(runs.map((r) => r.loopP99)).toFixed(1)} / ${median(runs.map((r) => r.loopMax)).toFixed(1)} | ${(median(runs.map((r) => r.ownLoopP99)) / 1000).toFixed(1)} / ${(median(runs.map((r) => r.ownLoopMax)) / 1000).toFixed(1)} |`,
      );
    }
    const p99 = (v: string) =>
      median((latency[`${framework} ${v}${plan.suffix}`] ?? []).map((r) => r.p99));
    // Per round: the variants of one round ran one after the other.
    const own = latency[`${framework} pino-http${plan.suffix}`] ?? [];
    const perRound = (latency[`${framework} threadline${plan.suffix}`] ?? []).map(
      (r, i) => r.p99 / (own[i]?.p99 ?? Number.NaN),
    );
    const floor = plan.variants.includes('floor')
      ? `; the floor's p99 / own request logging's: ${(p99('floor') / p99('pino-http')).toFixed(2)}×`
      : '';
    console.log(
      `\nThreadline's p99 / own request logging's p99: ${(p99('threadline') / p99('pino-http')).toFixed(2)}× (per round ${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}×)${floor}\n`,
    );
  }
}
// For bench/all.ts: every round's figures, paired by round (variants interleave within one).
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'http', rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, runs: results, latencyRate, latencyRateOwn, latency })}`,
);
receiver.close();
