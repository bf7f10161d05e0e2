/** Starts fixture services as separate OS processes, the way they run in production. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A finished span of a fixture's tracing SDK, as fixtures/spans-to-test.cjs sends it. */
export interface SpanInfo {
  name: string;
  /** SpanKind: 0 INTERNAL, 1 SERVER, 2 CLIENT, 3 PRODUCER, 4 CONSUMER. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

export interface Service {
  /** `http://127.0.0.1:<port>` */
  url: string;
  child: ChildProcess;
  /** The first message the process sent (its port, and whatever else it reports). */
  ready: Record<string, unknown> & { port: number };
  /** SIGTERM, then waits for the process to end (Threadline flushes first). */
  stop(): Promise<void>;
}

/** Forks `fixtures/<file>` with `env` and waits until it reports its port. */
export async function startService(
  file: string,
  env: Record<string, string>,
  execArgv: string[] = [],
): Promise<Service> {
  const child = fork(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url)), {
    env: { ...process.env, OTEL_SERVICE_NAME: '', ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${file} exited with code ${code} before listening`);
    }),
  ])) as [Service['ready']];
  return {
    url: `http://127.0.0.1:${message.port}`,
    child,
    ready: message,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
