/**
 * pino and winston beside @opentelemetry/sdk-node and
 * auto-instrumentations-node: each line exported exactly once, each trace
 * field once on stdout, with the set-up @threadline/core's README gives.
 * The SDK's own log export stays on, to the same receiver, so a line it
 * exported too would be counted.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type OtlpReceiver, startOtlpReceiver } from '@threadline/testing';
import { afterEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const fixture = fileURLToPath(new URL('./fixtures/loggers.cjs', import.meta.url));
const preload = require.resolve('./fixtures/auto-instrumentations.cjs');

let receiver: OtlpReceiver | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await receiver?.close();
});

async function run(env: Record<string, string>) {
  receiver = await startOtlpReceiver();
  const proc = fork(fixture, {
    execArgv: ['--require', preload],
    env: {
      ...process.env,
      OTEL_SERVICE_NAME: '',
      ENDPOINT: receiver.url,
      // The SDK's log export is on, to the same receiver; its traces and metrics off.
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: receiver.url,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d) => {
    stdout += d;
  });
  proc.stderr?.on('data', (d) => {
    stderr += d;
  });
  const [ready] = (await once(proc, 'message')) as [{ port: number }];
  expect((await fetch(`http://127.0.0.1:${ready.port}/orders/7`)).status).toBe(200);
  proc.kill('SIGTERM'); // Threadline and the SDK flush
  await once(proc, 'exit');
  const bodies = (body: string) =>
    (receiver as OtlpReceiver).records.filter((r) => r.body === body);
  return { stdout, stderr, bodies };
}

describe('pino and winston beside sdk-node with auto-instrumentations-node', () => {
  it('with OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino: each line exported once, each trace field once', async () => {
    const { stdout, stderr, bodies } = await run({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino' });
    for (const body of ['pino line', 'winston line']) {
      const records = bodies(body);
      expect(records.map((r) => r.scope.name)).toEqual([body === 'pino line' ? 'pino' : 'winston']);
      expect(records[0]?.attributes.orderId).toBe('7');
      expect(records[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
      const line = stdout.split('\n').find((l) => l.includes(body)) as string;
      for (const field of ['trace_id', 'span_id', 'trace_flags']) {
        expect(line.split(`"${field}"`)).toHaveLength(2);
      }
      expect(JSON.parse(line).trace_id).toBe(records[0]?.traceId);
    }
    expect(stderr).not.toContain('instrumentation-pino');
  });

  it('at the defaults, instrumentation-pino exports each pino line a second time, and Threadline says what to turn off', async () => {
    const { stderr, bodies } = await run({});
    expect(
      bodies('pino line')
        .map((r) => r.scope.name)
        .sort(),
    ).toEqual(['@opentelemetry/instrumentation-pino', 'pino']);
    expect(bodies('winston line')).toHaveLength(1);
    expect(stderr).toContain('OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino');
  });
});
