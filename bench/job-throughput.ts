// BullMQ jobs processed per second on one worker, with and without
// correlateProcessor, each job writing one log line exported over OTLP to the
// counting receiver. Each variant runs in a fresh process against the local
// Redis (127.0.0.1:6379), alternating, with a queue prefix of its own that is
// removed afterwards. Every variant fills its queue the same way and does the
// same Redis work (the same commands per job: checked with INFO commandstats).
// Jobs are added inside a traced scope, as a request would add them, so the
// wrapper continues their trace; `--untraced` adds them outside any (each job
// then starts a fresh trace, after one warning). Per variant it also prints the
// CPU time per job of the worker process, of Redis and of the receiver (all on
// this machine's 2 cores), and the OTLP bytes exported per job.
// Usage: pnpm bench:jobs [-- --jobs 20000 --rounds 3 --concurrency 10 --untraced
//   --variants bare,three-lines,three-lines-attributes,floor,wrapped]
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Job } from 'bullmq';
import { continuedLines, wrapperLinesByHand } from './job-lines.js';
import { arg, args, forkReceiver, here, median, once } from './lib.js';

const JOBS = arg('jobs', 20_000);
const ROUNDS = arg('rounds', 3);
const CONCURRENCY = arg('concurrency', 10);
const UNTRACED = args.includes('--untraced');
const connection = { host: '127.0.0.1', port: 6379 };

if (args[0] === '--child') {
  // One variant: fill a queue, then process it with one worker and time it.
  const [, variant = '', endpoint = ''] = args;
  const { log, startThreadline, withHopScope } = await import('@threadline/core');
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
    const add = () =>
      queue.addBulk(
        Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
          name: 'job',
          data: { n: i + k },
        })),
      );
    // A traced scope, as a request's: its traceparent goes into the jobs' metadata.
    await (UNTRACED ? add() : withHopScope({}, add));
  }
  const events = new QueueEvents('bench', { connection, prefix });
  await events.waitUntilReady();
  let done = 0;
  const finished = new Promise<void>((resolve) =>
    events.on('completed', () => {
      if (++done === JOBS) resolve();
    }),
  );
  // bare: one line, `job processed` {n}; no trace context (no scope).
  const processor = async (job: Job<{ n: number }>) => {
    log.info('job processed', { n: job.data.n });
  };
  // three-lines: `job started`, `job processed`, `job completed`, each {n} only,
  // no trace context: two more lines, not the wrapper's content.
  const threeLines = async (job: Job<{ n: number }>) => {
    log.info('job started', { n: job.data.n });
    await processor(job);
    log.info('job completed', { n: job.data.n });
  };
  // wrapped: correlateProcessor(processor): the three lines, each with the job's
  // six attributes (and threadline.parent_span_id when traced) from its scope
  // and the trace and span ids; `job started` adds the wait, `job completed` the duration and the wait.
  const processors: Record<string, (job: Job<{ n: number }>) => Promise<void>> = {
    bare: processor,
    'three-lines': threeLines,
    // The wrapper's three lines and attributes written by hand, without its scope.
    'three-lines-attributes': wrapperLinesByHand,
    // The floor of continuing the job's trace around the same lines (job-lines.ts).
    floor: continuedLines,
    wrapped: correlateProcessor(processor),
  };
  // Redis's own CPU time (s), from INFO over a plain socket (no client library needed).
  const redisCpu = () =>
    new Promise<number>((resolve, reject) => {
      let info = '';
      const socket = connect(connection.port, connection.host, () => socket.write('INFO cpu\r\n'));
      socket.setEncoding('utf8');
      socket.on('error', reject);
      socket.on('data', (chunk: string) => {
        info += chunk;
        // A bulk reply: `$<length>\r\n<body>\r\n`.
        const head = /^\$(\d+)\r\n/.exec(info);
        if (!head || info.length < head[0].length + Number(head[1])) return;
        socket.end();
        const read = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
        resolve(read('used_cpu_user') + read('used_cpu_sys'));
      });
    });
  const redis0 = await redisCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = new Worker('bench', processors[variant] ?? processor, {
    connection,
    prefix,
    concurrency: CONCURRENCY,
  });
  await finished;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const redisMs = ((await redisCpu()) - redis0) * 1000;
  await worker.close();
  await threadline.forceFlush(10_000);
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await threadline.shutdown();
  process.send?.({ type: 'done', ms, cpuMs: (cpu.user + cpu.system) / 1000, redisMs });
} else {
  const receiver = await forkReceiver();
  const { url } = receiver;
  // CPU time of a process (user + system, ms), from /proc (Linux): the receiver's share of the 2 cores.
  const procCpuMs = (pid: number | undefined): number => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
    } catch {
      return Number.NaN;
    }
  };
  const ALL = ['bare', 'three-lines', 'three-lines-attributes', 'floor', 'wrapped'];
  const only = args.indexOf('--variants');
  const VARIANTS = only >= 0 ? String(args[only + 1]).split(',') : ALL;
  const NAMES: Record<string, string> = {
    bare: 'processor alone (1 line)',
    'three-lines': 'processor alone, writing started/completed lines itself (3 lines, {n} only)',
    'three-lines-attributes':
      'processor alone, writing the wrapper’s 3 lines and attributes itself (no scope, no trace ids)',
    floor:
      'the floor: the same 3 lines in the job’s trace continued (ids from its traceparent, one context entry)',
    wrapped:
      'correlateProcessor (3 lines: started, the line, completed; job attributes and trace ids on each)',
  };
  const rates: Record<string, number[]> = {};
  const delivered: Record<string, number[]> = {};
  // Per job, µs: the worker process's CPU, Redis's, the receiver's; exported bytes per job.
  const cost: Record<
    string,
    { worker: number[]; redis: number[]; receiver: number[]; bytes: number[] }
  > = {};
  for (const v of VARIANTS) {
    rates[v] = [];
    delivered[v] = [];
    cost[v] = { worker: [], redis: [], receiver: [], bytes: [] };
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of VARIANTS) {
      const before = await receiver.count();
      const child = fork(
        here('./job-throughput.ts'),
        [
          '--child',
          variant,
          url,
          '--jobs',
          String(JOBS),
          '--concurrency',
          String(CONCURRENCY),
          ...(UNTRACED ? ['--untraced'] : []),
        ],
        {
          execArgv: ['--import', 'tsx'],
        },
      );
      const receiverBefore = procCpuMs(receiver.pid);
      const { ms, cpuMs, redisMs } = await once<{ ms: number; cpuMs: number; redisMs: number }>(
        child,
        'done',
      );
      const receiverMs = procCpuMs(receiver.pid) - receiverBefore;
      const after = await receiver.count();
      rates[variant]?.push(JOBS / (ms / 1000));
      delivered[variant]?.push(after.count - before.count);
      const c = cost[variant];
      c?.worker.push((cpuMs * 1000) / JOBS);
      c?.redis.push((redisMs * 1000) / JOBS);
      c?.receiver.push((receiverMs * 1000) / JOBS);
      c?.bytes.push((after.bytes - before.bytes) / JOBS);
    }
  }
  const bare = median(rates[VARIANTS[0] ?? 'bare'] ?? []);
  console.log(
    `# BullMQ: ${JOBS} jobs on one worker (concurrency ${CONCURRENCY}), one exported line per job; ${ROUNDS} rounds, median (min–max)\n`,
  );
  console.log(
    `| variant | jobs/s | ratio to the ${NAMES[VARIANTS[0] ?? ''] ?? VARIANTS[0]} | records exported per round |`,
  );
  console.log('|---|---:|---:|---:|');
  for (const variant of VARIANTS) {
    const rs = rates[variant] ?? [];
    console.log(
      `| ${NAMES[variant]} | ${Math.round(median(rs)).toLocaleString('en')} (${Math.round(Math.min(...rs)).toLocaleString('en')}–${Math.round(Math.max(...rs)).toLocaleString('en')}) | ${(median(rs) / bare).toFixed(2)}× | ${(delivered[variant] ?? []).join(', ')} |`,
    );
  }
  // Where the time goes on a 2-core machine: the worker, Redis and the receiver share it.
  console.log(
    '\n| variant | wall µs/job | worker CPU µs/job | Redis CPU µs/job | receiver CPU µs/job | OTLP bytes/job |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const variant of VARIANTS) {
    const c = cost[variant];
    if (!c) continue;
    const f = (xs: number[]) => median(xs).toFixed(1);
    console.log(
      `| ${NAMES[variant]} | ${(1e6 / median(rates[variant] ?? [])).toFixed(1)} | ${f(c.worker)} | ${f(c.redis)} | ${f(c.receiver)} | ${Math.round(median(c.bytes))} |`,
    );
  }
  // For bench/all.ts: every round's figures, paired by round (variants alternate within one).
  console.log(
    `\nBENCH_JSON ${JSON.stringify({ bench: 'jobs', jobs: JOBS, rounds: ROUNDS, concurrency: CONCURRENCY, traced: !UNTRACED, rates, delivered, cost })}`,
  );
  receiver.close();
}
