import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOtlpReceiver } from '@threadline/testing';
import { expect, it } from 'vitest';

it('runs the quick start and its records reach an OTLP receiver on one trace', async () => {
  const receiver = await startOtlpReceiver();
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [fileURLToPath(new URL('./index.mjs', import.meta.url))],
      {
        env: { ...process.env, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: receiver.url },
      },
    );
    expect(stdout).toContain('trace id: 4bf92f3577b34da6a3ce929d0e0e4736');
    const records = await receiver.waitForRecords(4);
    const bodies = records.map((r) => r.body);
    expect(bodies).toEqual([
      'service started',
      'loading order',
      'slow payment provider',
      'calling inventory',
    ]);
    for (const r of records.slice(1)) {
      expect(r.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(r.resource['service.name']).toBe('quickstart');
      expect(r.resource['threadline.owner']).toBe('team-docs');
    }
    expect(records[2]?.attributes['tenant.id']).toBe('t-42');
  } finally {
    await receiver.close();
  }
  // A whole Node process starts and exports: past vitest's default 5 s on a loaded CI machine.
}, 30_000);
