import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOtlpReceiver } from '@threadline/testing';
import { expect, it } from 'vitest';

it('consumes a message published inside a request on that request’s trace, against a real RabbitMQ', async () => {
  const receiver = await startOtlpReceiver();
  try {
    await promisify(execFile)(
      process.execPath,
      [fileURLToPath(new URL('./index.mjs', import.meta.url))],
      {
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: '',
          QUEUE: `tl-test-${process.pid}-${Date.now()}`,
        },
        timeout: 20_000,
      },
    );
    const records = receiver.records.filter((r) => r.body !== 'service started');
    const signup = records.find((r) => r.body === 'signup received');
    const job = records.filter((r) => r.attributes['messaging.system'] === 'rabbitmq');
    expect(job.map((r) => r.body).sort()).toEqual([
      'job completed',
      'job started',
      'sending email',
    ]);
    for (const r of job) {
      expect(r.traceId).toBe(signup?.traceId);
      expect(r.spanId).not.toBe(signup?.spanId);
      expect(r.attributes).toMatchObject({
        'messaging.message.id': 'signup-1',
        'threadline.job.attempt': 1,
        'threadline.parent_span_id': signup?.spanId,
      });
    }
  } finally {
    await receiver.close();
  }
}, 30_000);
