/**
 * The way out: SIGTERM in the middle of the load, with the collector up and
 * with it gone, and an uncaught exception or unhandled rejection in the app.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { byRequest, FaultCollector, runLoad, Service, sleep } from './src/harness.js';

const SHUTDOWN_MS = 2000;

let collector: FaultCollector;
let service: Service | undefined;

beforeEach(async () => {
  collector = new FaultCollector();
  await collector.up();
});

afterEach(async () => {
  await service?.kill();
  service = undefined;
  await collector.down();
});

async function start(): Promise<Service> {
  service = await Service.start({
    ENDPOINT: collector.url,
    SHUTDOWN_MS: String(SHUTDOWN_MS),
    EXPORT_TIMEOUT_MS: '1000',
  });
  return service;
}

describe('SIGTERM during load', () => {
  it('collector up: every accepted record is delivered, once, and the process ends by the signal', async () => {
    const s = await start();
    const load = runLoad(s.url, { rate: 300, durationMs: 3000 });
    await sleep(1500);
    const killedAt = Date.now();
    s.child.kill('SIGTERM');
    const exit = await s.exit;
    const served = await load;
    expect(exit.signal).toBe('SIGTERM');
    const final = s.finalStats();
    expect(final).toBeDefined();
    expect(final?.accepted).toBeGreaterThan(500);
    expect(final?.queued).toBe(0);
    expect(final?.exported).toBe(final?.accepted);
    expect(collector.records).toHaveLength(final?.exported ?? -1);
    expect(s.stderr.some((l) => l.includes('not delivered'))).toBe(false);
    // Every request answered before the signal has both its lines, once.
    const { bodies, duplicates } = byRequest(collector.records);
    expect(duplicates).toBe(0);
    const before = served.served.filter((_, i) => (served.servedAt[i] as number) < killedAt);
    expect(before.length).toBeGreaterThan(300);
    expect(before.filter((id) => bodies.get(id)?.length !== 2)).toEqual([]);
  });

  for (const fault of ['down', 'never answering'] as const) {
    it(`collector ${fault}: the process ends within the shutdown deadline and says what was not delivered`, async () => {
      const s = await start();
      await sleep(300);
      if (fault === 'down') await collector.down();
      else collector.fault = { kind: 'hang' };
      const load = runLoad(s.url, { rate: 300, durationMs: 2500 });
      await sleep(1500);
      const killedAt = Date.now();
      s.child.kill('SIGTERM');
      const exit = await s.exit;
      const took = Date.now() - killedAt;
      await load;
      expect(exit.signal).toBe('SIGTERM');
      expect(took).toBeLessThan(SHUTDOWN_MS + 1000);
      const final = s.finalStats();
      expect(final?.queued).toBeGreaterThan(0);
      expect(s.stderr.some((l) => /shut down with \d+ records not delivered/.test(l))).toBe(true);
    });
  }
});

describe('a crash in the app', () => {
  for (const [path, message, what] of [
    ['/crash', 'boom from a timer', 'uncaught exception'],
    ['/reject', 'nobody awaited this', 'unhandled rejection'],
  ] as const) {
    it(`${what}: logged with its stack and flushed, then the process dies as Node would have it die`, async () => {
      const s = await start();
      const res = await fetch(`${s.url}${path}`);
      expect(res.status).toBe(200);
      const exit = await s.exit;
      expect(exit.code).toBe(1);
      // Node printed the error itself, as it would have without Threadline.
      expect(s.stderr.join('\n')).toContain(message);
      const fatal = collector.records.find((r) => r.body === what);
      expect(fatal?.severityText).toBe('FATAL');
      expect(fatal?.attributes['exception.message']).toBe(message);
      expect(String(fatal?.attributes['exception.stacktrace'])).toContain('service.mjs');
    });
  }
});
