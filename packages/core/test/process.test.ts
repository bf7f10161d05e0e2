import { startOtlpReceiver } from '@threadline/testing';
import { describe, expect, it } from 'vitest';
import { forkFixture } from './helpers.js';

function run(fixture: string, endpoint: string, afterReadyMs: number) {
  const p = forkFixture(fixture, endpoint);
  return {
    ...p,
    sigtermAfterReady: async () => {
      await p.ready;
      await new Promise((r) => setTimeout(r, afterReadyMs));
      p.child.kill('SIGTERM');
    },
  };
}

describe('the process boundary', () => {
  it('delivers every record written before SIGTERM, then ends by the signal as it would have (ESM)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const p = run('sigterm-child.mjs', receiver.url, 300);
      await p.sigtermAfterReady();
      const { code, signal } = await p.exited;
      expect(signal).toBe('SIGTERM');
      expect(code).toBeNull();
      const ticks = receiver.records
        .filter((r) => r.body === 'tick')
        .map((r) => r.attributes.i as number);
      expect(ticks.length).toBeGreaterThan(100);
      // Nothing lost: every i from 0 to the last one written arrived.
      const sorted = [...new Set(ticks)].sort((a, b) => a - b);
      expect(sorted[0]).toBe(0);
      expect(sorted.length).toBe((sorted.at(-1) as number) + 1);
      expect(
        receiver.records.some(
          (r) => r.body === 'service started' && r.resource['service.name'] === 'sigterm-child',
        ),
      ).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('leaves the exit to an application that handles SIGTERM itself, and keeps logging for its shutdown (CommonJS, once)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const p = run('sigterm-app-handler.cjs', receiver.url, 100);
      await p.sigtermAfterReady();
      // The app's handler sets exitCode 7 but keeps an interval: it must NOT be killed by us.
      const outcome = await Promise.race([
        p.exited,
        new Promise<'still running'>((r) => setTimeout(() => r('still running'), 1500)),
      ]);
      expect(outcome).toBe('still running');
      expect(receiver.records.filter((r) => r.body === 'cjs record')).toHaveLength(500);
      // The application's own line, written in its handler after the signal, was delivered.
      expect(receiver.records.filter((r) => r.body === 'app shutting down')).toHaveLength(1);
      p.child.kill('SIGKILL');
    } finally {
      await receiver.close();
    }
  });

  it.each([
    [
      'an uncaught exception',
      'throw',
      'uncaught exception',
      'TypeError',
      /TypeError: boom at runtime/,
    ],
    [
      'an unhandled rejection',
      'reject',
      'unhandled rejection',
      'RangeError',
      /RangeError: rejected and forgotten/,
    ],
  ])(
    'logs and flushes %s, then dies as Node would (stderr, status 1)',
    async (_name, mode, body, type, printed) => {
      const receiver = await startOtlpReceiver();
      try {
        const p = forkFixture('crash.mjs', receiver.url, { MODE: mode });
        const { code } = await p.exited;
        const stderr = p.stderr();
        expect(code).toBe(1);
        expect(stderr).toMatch(printed);
        const fatal = receiver.records.find((r) => r.body === body);
        expect(fatal?.severityText).toBe('FATAL');
        expect(fatal?.attributes['exception.type']).toBe(type);
        expect(receiver.records.some((r) => r.body === 'about to fail')).toBe(true);
      } finally {
        await receiver.close();
      }
    },
  );

  it('only logs and flushes an uncaught exception the application handles itself', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const { child, ready } = forkFixture('crash.mjs', receiver.url, { MODE: 'handled' });
      await ready;
      await receiver.waitForRecords(3);
      expect(child.exitCode).toBeNull();
      expect(receiver.records.find((r) => r.body === 'uncaught exception')?.severityText).toBe(
        'FATAL',
      );
      child.kill('SIGKILL');
    } finally {
      await receiver.close();
    }
  });
});
