// Where a job's time goes in correlateProcessor, without Redis: CPU time
// (user + system, this process) per job in a loop of jobs shaped as BullMQ
// hands them to a processor (the trace context a request left in
// `opts.telemetry.metadata`, as threadlineTelemetry() writes it), each
// writing its lines to the export queue, exported to the counting receiver.
// Chunks of 1,024 jobs with a turn of the event loop between them, as
// floor.ts does for requests.
//
// The steps: the wrapper's three lines and attributes written by hand (the
// by-hand variant of job-throughput.ts: no scope, no trace ids); the same
// with the job's trace context read from its metadata first (parsed and
// extracted, then not used: what continuing the trace must read); then
// the floor of continuing that trace around the same lines (job-lines.ts:
// the ids sliced out of the traceparent, one context entry, the lines written
// in it); correlateProcessor itself; and, apart, correlateProcessor with every
// line below its level (its scope alone, nothing written). Each variant runs in a fresh process; variants
// are interleaved within each round. job-throughput.ts measures the same
// paths with Redis and BullMQ's worker, where the machine's noise is larger
// than the differences measured here.
// Usage: node --import tsx job-steps.ts [--jobs 102400 --rounds 5]
import { setImmediate as turn } from 'node:timers/promises';
import { correlateProcessor, threadlineTelemetry } from '@threadline/bullmq';
import { extractTraceContext, log, startThreadline, withHopScope } from '@threadline/core';
import { continuedLines, type JobFields, wrapperLinesByHand } from './job-lines.js';
import { answerAsChild, arg, args, interleaved, median } from './lib.js';

const JOBS = arg('jobs', 102_400);
const ROUNDS = arg('rounds', 5);
const CHUNK = 1024;

/** The steps, by the key BENCH_JSON gives their figures under. */
const VARIANTS: ReadonlyArray<readonly [string, string]> = [
  ['by-hand', 'the three lines and attributes written by hand (no scope, no trace ids)'],
  ['carrier', '+ the trace context read from the job’s metadata (parsed, extracted)'],
  [
    'floor',
    'the floor: the lines in the job’s trace continued (ids from its traceparent, one context entry)',
  ],
  ['wrapper', 'correlateProcessor (the scope; three lines with the job’s trace ids)'],
  ['scope', 'correlateProcessor writing no line (level fatal): its scope alone'],
];
/** Steps measured apart, not above the one before. */
const APART = new Set(['by-hand', 'floor', 'scope']);

interface FakeJob extends JobFields {
  /** A Worker's job has its queue (a sandboxed job does not: the wrapper would flush after each). */
  queue: object;
  opts: { attempts: number; telemetry: { metadata: string } };
}

/** Jobs as a Worker hands them over, each carrying the trace context of the request that added it. */
async function jobs(n: number): Promise<FakeJob[]> {
  const telemetry = threadlineTelemetry();
  const out: FakeJob[] = [];
  for (let i = 0; i < n; i++) {
    const metadata = await withHopScope({}, async () =>
      telemetry.contextManager.getMetadata(telemetry.contextManager.active()),
    );
    out.push({
      id: String(i + 1),
      name: 'job',
      queueName: 'bench',
      queue: {},
      attemptsMade: 0,
      timestamp: Date.now(),
      data: { n: i },
      opts: { attempts: 1, telemetry: { metadata } },
    });
  }
  return out;
}

// The line the job's own processor writes.
const processor = async (job: FakeJob) => {
  log.info('job processed', { n: job.data.n });
};

let sink: unknown;
const withCarrierRead = async (job: FakeJob) => {
  const carrier = JSON.parse(job.opts.telemetry.metadata) as Record<string, string>;
  sink = extractTraceContext(carrier);
  await wrapperLinesByHand(job);
};

async function child(index: number, url: string): Promise<number> {
  const key = VARIANTS[index]?.[0] ?? '';
  const handle = startThreadline({
    serviceName: 'bench-jobs',
    endpoint: url,
    logStartup: false,
    diagnostics: 'silent',
    handleSignals: false,
    env: {},
    ...(key === 'scope' ? { level: 'fatal' as const } : {}),
  });
  const wrapped = correlateProcessor(processor);
  const run = {
    'by-hand': wrapperLinesByHand,
    carrier: withCarrierRead,
    floor: continuedLines,
    wrapper: wrapped,
    scope: wrapped,
  }[key];
  if (!run) throw new Error(`no variant ${index}`);
  const chunk = await jobs(CHUNK);
  let chunks = 0;
  const once = async () => {
    for (const job of chunk) await run(job);
    await turn();
    // The export of what was written, counted in: wait for it past every 16 chunks.
    if (++chunks % 16 === 0) await handle.forceFlush(10_000);
  };
  for (let i = 0; i < 20; i++) await once();
  const before = process.cpuUsage();
  for (let done = 0; done < JOBS; done += CHUNK) await once();
  const used = process.cpuUsage(before);
  await handle.shutdown(10_000);
  void sink;
  return (used.user + used.system) / JOBS;
}

if (args.includes('--child')) await answerAsChild(child);

const results = await interleaved('./job-steps.ts', VARIANTS.length, ROUNDS, [
  '--jobs',
  String(JOBS),
]);

const f = (n: number) => n.toFixed(2);
console.log(
  `# A job's steps in correlateProcessor, without Redis: CPU µs a job in a loop of ${JOBS.toLocaleString('en')} jobs; ${ROUNDS} rounds, median (min–max)\n`,
);
console.log('| step | µs a job | added by the step |');
console.log('|---|---:|---:|');
const of = (key: string) => results[VARIANTS.findIndex(([k]) => k === key)] ?? [];
let previous = 0;
for (const [i, [key, name]] of VARIANTS.entries()) {
  const xs = results[i] ?? [];
  const m = median(xs);
  const added = APART.has(key) ? '–' : `${m >= previous ? '+' : ''}${f(m - previous)}`;
  console.log(`| ${name} | ${f(m)} (${f(Math.min(...xs))}–${f(Math.max(...xs))}) | ${added} |`);
  previous = m;
}
const hand = median(of('by-hand'));
console.log(
  `\nThe jobs a core runs, × the lines written by hand: the floor ${f(hand / median(of('floor')))}×, correlateProcessor ${f(hand / median(of('wrapper')))}×`,
);
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'job-steps', jobs: JOBS, rounds: ROUNDS, steps: Object.fromEntries(VARIANTS.map(([k], i) => [k, results[i]])), names: Object.fromEntries(VARIANTS) })}`,
);
process.exit(0);
