/**
 * The fault suite's moving parts: a collector that can be scripted to fail in
 * every way the OTLP/HTTP spec and real networks allow, the service under
 * test in its own process, and a paced load generator measuring latency.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  type OtlpReceiver,
  type ReceivedRecord,
  type ReceiverResponse,
  startOtlpReceiver,
} from '@threadline/testing';

/** How the collector answers. */
export type Fault =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'hang' }
  | { kind: 'reset-after-headers' }
  | { kind: 'partial'; rejected: number };

export interface Attempt {
  at: number;
  fault: Fault['kind'];
  records: number;
}

/** A scriptable OTLP/HTTP collector on a fixed loopback port that can also go away entirely. */
export class FaultCollector {
  port = 0;
  fault: Fault = { kind: 'ok' };
  readonly attempts: Attempt[] = [];
  private receiver: OtlpReceiver | undefined;
  private readonly earlier: ReceivedRecord[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/logs`;
  }

  get isUp(): boolean {
    return this.receiver !== undefined;
  }

  /** Every record accepted (answered 2xx) since the collector was created, across restarts. */
  get records(): ReceivedRecord[] {
    return [...this.earlier, ...(this.receiver?.records ?? [])];
  }

  async up(): Promise<void> {
    if (this.receiver) return;
    const receiver = await startOtlpReceiver({ port: this.port });
    this.port = receiver.port;
    receiver.respondWith((req) => {
      this.attempts.push({ at: Date.now(), fault: this.fault.kind, records: req.records.length });
      return answer(this.fault);
    });
    this.receiver = receiver;
  }

  /** Stops listening: connections are refused until {@link up}. */
  async down(): Promise<void> {
    const receiver = this.receiver;
    if (!receiver) return;
    this.receiver = undefined;
    this.earlier.push(...receiver.records);
    await receiver.close();
  }

  attemptsSince(t: number): Attempt[] {
    return this.attempts.filter((a) => a.at >= t);
  }
}

function answer(fault: Fault): ReceiverResponse | undefined {
  switch (fault.kind) {
    case 'ok':
      return undefined;
    case 'hang':
      return { status: 200, hang: true };
    case 'reset-after-headers':
      return { status: 200, resetAfterHeaders: true };
    case 'status':
      return {
        status: fault.status,
        headers: fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
      };
    case 'partial': {
      // ExportLogsServiceResponse { partial_success { rejected_log_records, error_message } }
      const message = Buffer.from('attribute value too long');
      const inner = Buffer.concat([
        Buffer.from([0x08, fault.rejected, 0x12, message.length]),
        message,
      ]);
      return { status: 200, body: Buffer.concat([Buffer.from([0x0a, inner.length]), inner]) };
    }
  }
}

export interface ServiceStats {
  stats: {
    queued: number;
    queuedBytes: number;
    accepted: number;
    exported: number;
    dropped: {
      queueFull: number;
      rejected: number;
      afterShutdown: number;
      beforeStart: number;
    };
    failedExports: number;
    lastError: string | undefined;
  };
  heapUsed: number;
}

/** The Express service, in its own process. */
export class Service {
  readonly stderr: string[] = [];
  port = 0;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      this.stderr.push(...lines);
    });
    this.exit = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  static async start(env: Record<string, string>): Promise<Service> {
    const child = fork(fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url)), {
      env: { ...process.env, OTEL_SERVICE_NAME: '', ...env },
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const service = new Service(child);
    const ready = new Promise<{ port: number }>((resolve) => {
      const onMessage = (m: { type?: string; port?: number }) => {
        if (m?.type === 'ready') {
          child.off('message', onMessage);
          resolve({ port: m.port as number });
        }
      };
      child.on('message', onMessage);
    });
    const { port } = await Promise.race([
      ready,
      service.exit.then(({ code }) => {
        throw new Error(`service exited (${code}) before listening: ${service.stderr.join('\n')}`);
      }),
    ]);
    service.port = port;
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  stats(): Promise<ServiceStats> {
    return new Promise((resolve) => {
      const onMessage = (m: ServiceStats & { type?: string }) => {
        if (m?.type === 'stats') {
          this.child.off('message', onMessage);
          resolve(m);
        }
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats' });
    });
  }

  /** Polls until `check` holds or `timeoutMs` passes; returns the last stats either way. */
  async waitFor(check: (s: ServiceStats) => boolean, timeoutMs: number): Promise<ServiceStats> {
    const deadline = Date.now() + timeoutMs;
    let s = await this.stats();
    while (!check(s) && Date.now() < deadline) {
      await sleep(100);
      s = await this.stats();
    }
    return s;
  }

  /** The counters the service printed as it ended (see fixtures/service.mjs). */
  finalStats(): ServiceStats['stats'] | undefined {
    const line = this.stderr.find((l) => l.startsWith('final-stats '));
    return line ? JSON.parse(line.slice('final-stats '.length)) : undefined;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Request ids of the requests that got a 200. */
  served: string[];
  /** When each of them was answered (epoch ms, same order). */
  servedAt: number[];
  p50: number;
  p99: number;
  max: number;
}

let loadRun = 0;

/**
 * GET /work at `rate` requests/s for `durationMs` from a separate process
 * (fixtures/load.mjs); `onTick` is called here every 50 ms with the elapsed
 * time, for faults that change during the run.
 */
export async function runLoad(
  baseUrl: string,
  options: { rate: number; durationMs: number; onTick?: (elapsedMs: number) => void },
): Promise<LoadResult> {
  const child = fork(fileURLToPath(new URL('../fixtures/load.mjs', import.meta.url)), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = once(child, 'message') as Promise<
    [{ sent: number; failed: number; served: string[]; servedAt: number[]; latencies: number[] }]
  >;
  const start = performance.now();
  child.send({ url: baseUrl, rate: options.rate, durationMs: options.durationMs, run: ++loadRun });
  const ticker = options.onTick
    ? setInterval(() => options.onTick?.(performance.now() - start), 50)
    : undefined;
  try {
    const [{ sent, failed, served, servedAt, latencies }] = await result;
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      sent,
      ok: served.length,
      failed,
      served,
      servedAt,
      p50: at(0.5),
      p99: at(0.99),
      max: at(1),
    };
  } finally {
    clearInterval(ticker);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `request id → bodies` of the records that reached the collector, and the duplicates among them. */
export function byRequest(records: ReceivedRecord[]): {
  bodies: Map<string, string[]>;
  duplicates: number;
} {
  const bodies = new Map<string, string[]>();
  const seen = new Set<string>();
  let duplicates = 0;
  for (const r of records) {
    const id = r.attributes['threadline.request.id'];
    if (typeof id !== 'string') continue;
    const key = `${id}|${String(r.body)}`;
    if (seen.has(key)) duplicates++;
    seen.add(key);
    const list = bodies.get(id) ?? [];
    list.push(String(r.body));
    bodies.set(id, list);
  }
  return { bodies, duplicates };
}
