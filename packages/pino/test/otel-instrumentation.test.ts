import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTATION_PINO_ADVICE } from '../src/otel-check.js';

const fixture = fileURLToPath(new URL('./fixtures/with-instrumentation-pino.cjs', import.meta.url));

async function run(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [fixture], { env: { ...process.env, ...env } });
}

describe('beside the OpenTelemetry SDK’s instrumentation-pino', () => {
  it.each([['threadlineOptions'], ['mixin']])(
    'says once, with %s, that every line would be exported twice, and what to turn off',
    async (bridge) => {
      const { stderr } = await run({ WITH_INSTRUMENTATION: '1', BRIDGE: bridge });
      const lines = stderr.split('\n').filter((l) => l.includes('instrumentation-pino'));
      expect(lines).toEqual([`[threadline] ${INSTRUMENTATION_PINO_ADVICE}`]);
      expect(lines[0]).toContain('OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino');
    },
  );

  it('says nothing without it', async () => {
    const { stdout, stderr } = await run({ WITH_INSTRUMENTATION: '0' });
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toHaveLength(3);
  });
});
