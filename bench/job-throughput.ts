// BullMQ jobs processed per second on one worker, with and without
// correlateProcessor, each job writing one log line exported over OTLP to the
// counting receiver. Each variant runs in a fresh process against the local
// Redis (127.0.0.1:6379), alternating, with a queue prefix of its own that is
// removed afterwards. Usage: pnpm bench:jobs [-- --jobs 20000 --rounds 3 --concurrency 10]
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { arg, args, here, once } from './lib.js';

const JOBS = arg('jobs', 20_000);
const ROUNDS = arg('rounds', 3);
const CONCURRENCY = arg('concurrency', 10);
const connection = { host: '127.0.0.1', port: 6379 };

if (args[0] === '--child') {
  // One variant: fill a queue, then process it with one worker and time it.
  const [, variant = '', endpoint = ''] = args;
  const { log, startThreadline } = await import('@threadline/core');
  const { correlateProcessor, threadlineTelemetry } = await import('@threadline/bullmq');
  const { Queue, QueueEvents, Worker } = await import('bullmq');
  const threadline = startThreadline({
    serviceName: 'bench-jobs',
    endpoint,
    logStartup: false,
    diagnostics: 'silent',
    handleSignals: false,
  });
  const prefix = `tl-bench-${randomUUID().slice(0, 8)}`;
  const queue = new Queue('bench', { connection, prefix, telemetry: threadlineTelemetry() });
  for (let i = 0; i < JOBS; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
        name: 'job',
        data: { n: i + k },
      })),
    );
  }
  const events = new QueueEvents('bench', { connection, prefix });
  await events.waitUntilReady();
  let done = 0;
  const finished = new Promise<void>((resolve) =>
    events.on('completed', () => {
      if (++done === JOBS) resolve();
    }),
  );
  const processor = async (job: Job<{ n: number }>) => {
    log.info('job processed', { n: job.data.n });
  };
  // The bare processor writing the wrapper's two lines by hand: isolates the scope's own cost.
  const threeLines = async (job: Job<{ n: number }>) => {
    log.info('job started', { n: job.data.n });
    await processor(job);
    log.info('job completed', { n: job.data.n });
  };
  const t0 = performance.now();
  const worker = new Worker(
    'bench',
    variant === 'wrapped'
      ? correlateProcessor(processor)
      : variant === 'three-lines'
        ? threeLines
        : processor,
    { connection, prefix, concurrency: CONCURRENCY },
  );
  await finished;
  const ms = performance.now() - t0;
  await worker.close();
  await threadline.forceFlush(10_000);
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await threadline.shutdown();
  process.send?.({ type: 'done', ms });
} else {
  const receiver = fork(here('./receiver-process.ts'), [], { execArgv: ['--import', 'tsx'] });
  const { url } = await once<{ url: string }>(receiver, 'ready');
  const count = async () => {
    const p = once<{ count: number }>(receiver, 'count');
    receiver.send({ type: 'count' });
    return (await p).count;
  };
  const VARIANTS = ['bare', 'three-lines', 'wrapped'];
  const NAMES: Record<string, string> = {
    bare: 'processor alone (1 line)',
    'three-lines': 'processor alone, writing started/completed lines itself (3 lines)',
    wrapped: 'correlateProcessor (3 lines: started, the line, completed)',
  };
  const rates: Record<string, number[]> = {};
  const delivered: Record<string, number[]> = {};
  for (const v of VARIANTS) {
    rates[v] = [];
    delivered[v] = [];
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of VARIANTS) {
      const before = await count();
      const child = fork(
        here('./job-throughput.ts'),
        ['--child', variant, url, '--jobs', String(JOBS), '--concurrency', String(CONCURRENCY)],
        {
          execArgv: ['--import', 'tsx'],
        },
      );
      const { ms } = await once<{ ms: number }>(child, 'done');
      rates[variant]?.push(JOBS / (ms / 1000));
      delivered[variant]?.push((await count()) - before);
    }
  }
  const median = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const bare = median(rates.bare ?? []);
  console.log(
    `# BullMQ: ${JOBS} jobs on one worker (concurrency ${CONCURRENCY}), one exported line per job; ${ROUNDS} rounds, median (min–max)\n`,
  );
  console.log('| variant | jobs/s | ratio to the processor alone | records exported per round |');
  console.log('|---|---:|---:|---:|');
  for (const variant of VARIANTS) {
    const rs = rates[variant] ?? [];
    console.log(
      `| ${NAMES[variant]} | ${Math.round(median(rs)).toLocaleString('en')} (${Math.round(Math.min(...rs)).toLocaleString('en')}–${Math.round(Math.max(...rs)).toLocaleString('en')}) | ${(median(rs) / bare).toFixed(2)}× | ${(delivered[variant] ?? []).join(', ')} |`,
    );
  }
  receiver.send({ type: 'close' });
}
