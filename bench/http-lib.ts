// What the HTTP benchmarks share: the wrk check, a pinned server of
// http-server.cjs, and one wrk run (on core 1).
import { type ChildProcess, execFileSync, fork, spawnSync } from 'node:child_process';
import { here, once } from './lib.js';

/** Exits with a hint when wrk is not installed. */
export function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk prints its version and exits 1; only a missing binary is a problem.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error('wrk is needed: apt-get install wrk');
      process.exit(1);
    }
  }
}

/** Moves every thread of a running process to `core` (fork cannot pin; taskset can). */
export function pin(pid: number | undefined, core: number): void {
  execFileSync('taskset', ['-a', '-pc', String(core), String(pid)], { stdio: 'ignore' });
}

export interface HttpServer {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/**
 * One fresh `http-server.cjs <framework> <variant> <endpoint>`, as plain node
 * (no loader between the server and the require hooks), all its threads on
 * core 0: V8's helper threads, started before the pin, too. `execArgv`:
 * node's options for it (a `--require` of a recorder; none by default).
 */
export async function startServer(
  framework: string,
  variant: string,
  endpoint: string,
  execArgv: string[] = [],
): Promise<HttpServer> {
  const child = fork(here('./http-server.cjs'), [framework, variant, endpoint], {
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  pin(child.pid, 0);
  const { port } = await once<{ port: number }>(child, 'ready');
  return {
    child,
    port,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

export interface WrkRun {
  rps: number;
  requests: number;
  errors: number;
  /** wrk's context switches (with `countSwitches`, when `perf` is installed). */
  switches?: number;
}

/** `wrk -t1 -c<connections>` on core 1 against GET /orders/42 for `seconds`. */
export function wrk(
  port: number,
  seconds: number,
  connections: number,
  countSwitches = false,
): WrkRun {
  const command = [
    'taskset',
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    `http://127.0.0.1:${port}/orders/42`,
  ];
  const perf = countSwitches && hasPerf();
  const r = perf
    ? spawnSync('perf', ['stat', '-x,', '-e', 'context-switches', ...command], { encoding: 'utf8' })
    : spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1];
  const switches = perf ? Number(/^(\d+),,context-switches/m.exec(r.stderr)?.[1]) : undefined;
  return { rps, requests, errors: non2xx + (socketErrors ? 1 : 0), switches };
}

export interface PacedRun {
  /** The rate reached, requests/s. */
  rps: number;
  requests: number;
  /** Non-2xx answers and requests never answered. */
  errors: number;
  /** Latency percentiles of every request, from the moment it was due, µs. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** The load generator's own event-loop delay during the run, µs: how late it sent and read. */
  ownLoopP99: number;
  ownLoopMax: number;
}

/**
 * `rate` requests/s for `seconds` from paced-load.ts on core 1: open loop,
 * each request's latency counted from when it was due.
 */
export function pacedLoad(port: number, seconds: number, rate: number): PacedRun {
  const r = spawnSync(
    'taskset',
    [
      '-c',
      '1',
      process.execPath,
      here('./paced-load.ts'),
      String(port),
      String(rate),
      String(seconds),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`paced-load failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as PacedRun;
}

let perfInstalled: boolean | undefined;
function hasPerf(): boolean {
  perfInstalled ??= spawnSync('perf', ['--version']).status === 0;
  return perfInstalled;
}
