// What fills the p99 at a fixed rate: for each variant of http-server.cjs
// (Threadline, the floor server, the framework's own request logging), the
// latency of paced-load.ts at one rate, as http-throughput.ts measures it,
// beside the stalls of the server's event loop during the run (more than
// 8 ms without a turn: stall-recorder.cjs, preloaded), how many of them a
// garbage collection pause or the start of an export fell in. Variants interleaved
// within each round, each in a fresh server pinned to core 0; the load
// generator and the counting receiver on core 1.
// Usage: node --import tsx latency-stalls.ts --rate 6500 [--framework express --rounds 5
//   --seconds 8 --variants threadline,floor,pino-http]
import { pacedLoad, pin, requireWrk, startServer, wrk } from './http-lib.js';
import { arg, forkReceiver, here, median, once, textArg } from './lib.js';

const RATE = arg('rate', 0);
const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 8);
const FRAMEWORK = textArg('framework', 'express');
const VARIANTS = textArg('variants', 'threadline,floor,pino-http').split(',');
if (!(RATE > 0)) {
  console.error(
    '--rate <requests/s> is needed (half of pino-http’s saturation: bench:http prints it)',
  );
  process.exit(2);
}
requireWrk();

interface Stalls {
  count: number;
  withPause: number;
  withRequest: number;
  offCpu: number;
  longest: number;
  total: number;
  onCpuTotal: number;
  otherThreadsTotal: number;
  threadShare: number;
  processShare: number;
}

const receiver = await forkReceiver();
pin(receiver.pid, 1);
const rows: Record<string, Array<{ p99: number; stalls: Stalls }>> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of VARIANTS) {
    const server = await startServer(FRAMEWORK, variant, receiver.url, [
      '--require',
      here('./stall-recorder.cjs'),
    ]);
    const { child, port } = server;
    /** Flushes the server; what the recorder saw since the last flush (it answers as the flush begins). */
    const flush = async () => {
      const stalled = once<{ stalls: Stalls }>(child, 'stalls');
      child.send({ type: 'flush' });
      const [, { stalls }] = await Promise.all([once(child, 'flushed'), stalled]);
      return stalls;
    };
    wrk(port, 2, 32); // warm-up
    await flush();
    await receiver.settled(300);
    // The recorder starts again here: the warm-up's export and the pause after it are left out.
    await flush();
    const r = pacedLoad(port, SECONDS, RATE);
    const stalls = await flush();
    await server.stop();
    rows[variant] ??= [];
    rows[variant].push({ p99: r.p99, stalls });
  }
}
receiver.close();

const range = (xs: number[], f = (n: number) => Math.round(n).toLocaleString('en')) =>
  `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
console.log(
  `# ${FRAMEWORK} at ${RATE.toLocaleString('en')} requests/s (paced-load.ts, ${SECONDS} s), ${ROUNDS} rounds, median (min–max)\n`,
);
console.log(
  "| variant | p99 µs | loop stalls > 8 ms | of them with a GC pause | with an export starting | main thread off the CPU for most of it | longest stall ms | time stalled ms | of it on the CPU ms | the process's other threads' CPU in it ms | main thread CPU / wall | process CPU / wall |",
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const share = (n: number) => `${(n * 100).toFixed(1)}%`;
for (const [variant, rs] of Object.entries(rows)) {
  const s = (k: keyof Stalls) => rs.map((r) => r.stalls[k]);
  console.log(
    `| ${variant} | ${range(rs.map((r) => r.p99))} | ${range(s('count'))} | ${range(s('withPause'))} | ${range(s('withRequest'))} | ${range(s('offCpu'))} | ${range(s('longest'), (n) => n.toFixed(1))} | ${range(s('total'))} | ${range(s('onCpuTotal'))} | ${range(s('otherThreadsTotal'))} | ${range(s('threadShare'), share)} | ${range(s('processShare'), share)} |`,
  );
}
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'latency-stalls', framework: FRAMEWORK, rate: RATE, rows })}`,
);
process.exit(0);
