// Where an HTTP server's time goes, per request: for bare and Threadline (and
// pino-http) Express and Koa, fresh servers pinned as in http-throughput.ts,
// interleaved, each measured once: requests/s, the server's CPU per request
// (user and system, all its threads, from /proc/<pid>/stat around the
// measured wrk run) and, with `perf` installed, how often wrk went to sleep
// per request (its context switches): each time it did, the server's write of
// a response had to wake it. Not a target: it explains the http figures.
//
// With --steps, the variants are Threadline's request path cut short at each
// step instead (by options only, as pino-steps.ts does for a pino line): the
// scope alone (level `fatal`: ids, context, response listener, no record),
// the two records built and dropped (a queue of one, exporter `none`), kept
// in the export queue (exporter `none`: as objects), and exported (encoded
// when written, kept as bytes, sent); with the difference
// each step adds; and the floor (http-floor.cjs: the least any design does
// for two exported records), with what it adds to bare.
// Usage: node --import tsx http-cost.ts [--servers 3 --seconds 5 --connections 32 --frameworks express,hono --steps]
import { readFileSync } from 'node:fs';
import { pin, requireWrk, startServer, wrk } from './http-lib.js';
import { arg, args, forkReceiver, median } from './lib.js';

const SERVERS = arg('servers', 3);
const SECONDS = arg('seconds', 5);
const CONNECTIONS = arg('connections', 32);
const STEPS = args.includes('--steps');
/** A variant: the server's variant, and the Threadline options it runs with. */
const VARIANTS: Array<[name: string, variant: string, options: object]> = STEPS
  ? [
      ['bare', 'bare', {}],
      ['scope only (no record)', 'threadline', { exporter: 'none', level: 'fatal' }],
      [
        '+ 2 records built, dropped',
        'threadline',
        { exporter: 'none', maxQueueSize: 1, maxExportBatchSize: 1 },
      ],
      ['+ kept in the export queue (as objects)', 'threadline', { exporter: 'none' }],
      ['+ exported (Threadline as used)', 'threadline', {}],
      ['the floor (http-floor.cjs), to bare', 'floor', {}],
    ]
  : [
      ['bare', 'bare', {}],
      ['threadline', 'threadline', {}],
      ['floor', 'floor', {}],
      ['pino-http', 'pino-http', {}],
    ];
const FRAMEWORKS = args.includes('--frameworks')
  ? String(args[args.indexOf('--frameworks') + 1]).split(',')
  : args.includes('--koa')
    ? ['koa']
    : args.includes('--express')
      ? ['express']
      : ['express', 'koa'];
const TICK_US = 1e6 / 100; // clock ticks of /proc/<pid>/stat (USER_HZ, 100 on Linux)

requireWrk();
const receiver = await forkReceiver();
pin(receiver.pid, 1);

/** User and system CPU of a process so far, in µs. */
function cpu(pid: number | undefined): { user: number; sys: number } {
  // Fields after the `(comm)`: state is the 1st, utime the 12th, stime the 13th.
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { user: Number(f[11]) * TICK_US, sys: Number(f[12]) * TICK_US };
}

interface Row {
  rps: number[];
  user: number[];
  sys: number[];
  switches: number[];
}
const rows: Record<string, Row> = {};
for (let i = 0; i < SERVERS; i++) {
  for (const framework of FRAMEWORKS) {
    for (const [name, variant, options] of VARIANTS) {
      process.env.BENCH_THREADLINE_OPTIONS = JSON.stringify(options);
      const server = await startServer(framework, variant, receiver.url);
      try {
        wrk(server.port, 2, CONNECTIONS); // warm-up
        const before = cpu(server.child.pid);
        const r = wrk(server.port, SECONDS, CONNECTIONS, true);
        const after = cpu(server.child.pid);
        const key = `${framework} ${name}`;
        rows[key] ??= { rps: [], user: [], sys: [], switches: [] };
        const row = rows[key];
        row.rps.push(r.rps);
        row.user.push((after.user - before.user) / r.requests);
        row.sys.push((after.sys - before.sys) / r.requests);
        if (r.switches !== undefined) row.switches.push(r.switches / r.requests);
      } finally {
        await server.stop();
      }
    }
  }
}
receiver.close();

console.log(
  `# HTTP cost per request: ${SERVERS} fresh servers per variant, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s; medians\n`,
);
console.log(
  `| server | requests/s | server CPU µs/request (user + system) | ${STEPS ? 'added by the step | ' : ''}wrk context switches/request |`,
);
console.log(`|---|---:|---:|${STEPS ? '---:|' : ''}---:|`);
let previous: number | undefined;
for (const [name, r] of Object.entries(rows)) {
  const user = median(r.user);
  const sys = median(r.sys);
  const switches = r.switches.length > 0 ? median(r.switches).toFixed(2) : 'no perf';
  const bare = rows[`${name.split(' ')[0]} bare`];
  const added =
    name.endsWith(', to bare') && bare
      ? `${(user + sys - median(bare.user) - median(bare.sys)).toFixed(1)} | `
      : previous === undefined || name.endsWith(' bare')
        ? ''
        : `${(user + sys - previous).toFixed(1)} | `;
  previous = user + sys;
  console.log(
    `| ${name} | ${Math.round(median(r.rps)).toLocaleString('en-US')} | ${(user + sys).toFixed(1)} (${user.toFixed(1)} + ${sys.toFixed(1)}) | ${STEPS ? added || '– | ' : ''}${switches} |`,
  );
}
// For bench/all.ts: the medians of each row, in µs a request.
console.log(
  `BENCH_JSON ${JSON.stringify({
    bench: 'http-cost',
    steps: STEPS,
    rows: Object.fromEntries(
      Object.entries(rows).map(([name, r]) => [
        name,
        { rps: median(r.rps), cpuUs: median(r.user) + median(r.sys) },
      ]),
    ),
  })}`,
);
process.exit(0);
