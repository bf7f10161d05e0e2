// HTTP throughput with wrk on loopback: the server pinned to core 0, wrk (and
// the counting OTLP receiver) on core 1. For Express, Koa, Fastify and Hono,
// each variant of bench/http-server.cjs is measured in turn, interleaved
// within each round so that drift hits all alike, and reported as a ratio to
// the bare framework of the same run. Exported variants are checked for
// delivery: records received by the receiver against requests served.
// Usage: pnpm bench:http [-- --rounds 3 --seconds 8 --connections 32 --frameworks express,koa,fastify,hono]
import { pin, requireWrk, startServer, wrk } from './http-lib.js';
import { arg, args, forkReceiver, median, once } from './lib.js';

const ROUNDS = arg('rounds', 3);
const SECONDS = arg('seconds', 8);
const CONNECTIONS = arg('connections', 32);

const ALL_FRAMEWORKS = ['express', 'koa', 'fastify', 'hono'];
const chosen = args.includes('--frameworks') ? args[args.indexOf('--frameworks') + 1] : undefined;
const FRAMEWORKS = chosen ? chosen.split(',') : ALL_FRAMEWORKS;
const unknown = FRAMEWORKS.filter((f) => !ALL_FRAMEWORKS.includes(f));
if (unknown.length > 0) {
  console.error(
    `--frameworks: ${unknown.join(', ')} unknown (known: ${ALL_FRAMEWORKS.join(', ')})`,
  );
  process.exit(2);
}
/** What each framework's `pino-http` variant is: its own request logging, to /dev/null. */
const OWN_LOGGING: Record<string, string> = {
  express: 'pino-http',
  koa: 'pino-http',
  fastify: "Fastify's logger",
  hono: 'hono/logger',
};
/** Records each variant exports per request (0: nothing exported). */
const VARIANTS: Record<string, number> = { bare: 0, threadline: 2, 'otel-auto': 1, 'pino-http': 0 };

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

async function measure(framework: string, variant: string): Promise<Run> {
  const server = await startServer(framework, variant, url);
  try {
    wrk(server.port, 2, CONNECTIONS); // warm-up
    server.child.send({ type: 'flush' });
    await once(server.child, 'flushed');
    await settledCount();
    await receiver.reset();
    const r = wrk(server.port, SECONDS, CONNECTIONS);
    if (r.errors > 0) console.error(`${framework} ${variant}: ${r.errors} errors`);
    server.child.send({ type: 'flush' });
    await once(server.child, 'flushed');
    const delivered = await settledCount();
    return {
      rps: r.rps,
      requests: r.requests,
      delivered,
      expected: r.requests * (VARIANTS[variant] ?? 0),
    };
  } finally {
    await server.stop();
  }
}

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
      variant === 'pino-http' ? `own request logging (${OWN_LOGGING[framework]})` : variant;
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
// For bench/all.ts: every round's figures, paired by round (variants interleave within one).
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'http', rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, runs: results })}`,
);
receiver.close();
