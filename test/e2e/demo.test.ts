import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RecordStore, type StoredRecord, startDevReceiver } from '@threadline/dev';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The demo (examples/demo/run.mjs): `threadline dev`, orders (Express),
// inventory (Koa) and the worker (BullMQ + cron), each its own OS process,
// with traffic including one failing request. Assertions read the store.
const dir = mkdtempSync(join(tmpdir(), 'threadline-demo-'));
const db = join(dir, 'demo.sqlite');
let stdout = '';
let store: RecordStore;
let all: StoredRecord[] = [];

beforeAll(async () => {
  const run = fileURLToPath(new URL('../../examples/demo/run.mjs', import.meta.url));
  ({ stdout } = await promisify(execFile)(process.execPath, [run, '--db', db], {
    timeout: 60_000,
  }));
  store = new RecordStore(db, { readOnly: true });
  all = store.recent({ limit: 10_000 });
}, 90_000);
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The trace of the last checkout of `sku` the demo printed. */
const traceOf = (sku: string) => {
  const id = [
    ...stdout.matchAll(
      new RegExp(`POST /checkout/${sku} → \\d+ {2}\\(trace ([0-9a-f]{32})\\)`, 'g'),
    ),
  ].at(-1)?.[1];
  if (!id) throw new Error(`no trace id for ${sku} in:\n${stdout}`);
  return id;
};

describe('the demo, end to end', () => {
  it('puts every line of the failing request from both services on one trace, each hop with its own span and the right parent', () => {
    const lines = store.trace(traceOf('out-of-stock'));
    const orders = lines.filter((r) => r.service === 'orders');
    const inventory = lines.filter((r) => r.service === 'inventory');
    expect(orders.map((r) => r.body)).toEqual([
      'checkout started',
      'stock reservation failed',
      'request completed',
    ]);
    expect(inventory.map((r) => r.body)).toEqual([
      'reserving stock',
      'request failed',
      'request completed',
    ]);
    expect(new Set(orders.map((r) => r.spanId)).size).toBe(1);
    expect(new Set(inventory.map((r) => r.spanId)).size).toBe(1);
    expect(inventory[0]?.spanId).not.toBe(orders[0]?.spanId);
    for (const r of inventory) expect(r.parentSpanId).toBe(orders[0]?.spanId);
    expect(orders.at(-1)?.attributes['http.response.status_code']).toBe(502);
    expect(orders.at(-1)?.severityText).toBe('ERROR');
  });

  it('runs the job a good request enqueued on the request’s trace, each attempt with its own span and number', () => {
    const lines = store.trace(traceOf('sku-1'));
    const enqueued = lines.find((r) => r.body === 'fulfilment enqueued');
    const jobId = enqueued?.attributes['messaging.message.id'];
    const job = lines.filter((r) => r.service === 'worker');
    expect(job.length).toBeGreaterThanOrEqual(7);
    for (const r of job) expect(r.attributes['messaging.message.id']).toBe(jobId);
    const attempts = new Map<number, Set<string>>();
    for (const r of job) {
      const n = r.attributes['threadline.job.attempt'] as number;
      attempts.set(n, (attempts.get(n) ?? new Set()).add(r.spanId));
    }
    expect([...attempts.keys()].sort()).toEqual([1, 2]);
    expect(attempts.get(1)?.size).toBe(1);
    expect(attempts.get(2)?.size).toBe(1);
    expect([...(attempts.get(1) ?? [])][0]).not.toBe([...(attempts.get(2) ?? [])][0]);
    expect(job.find((r) => r.body === 'job failed')?.attributes['threadline.job.will_retry']).toBe(
      true,
    );
    expect(job.at(-1)?.body).toBe('job completed');
    const orderSpan = lines.find((r) => r.service === 'orders')?.spanId;
    for (const r of job) expect(r.parentSpanId).toBe(orderSpan);
  });

  it('has the deploy metadata on every record’s resource, orders’ newest on 1.4.1', () => {
    expect(all.length).toBeGreaterThan(20);
    const deployed = all.findIndex((r) => r.service === 'orders' && r.serviceVersion === '1.4.1');
    expect(deployed).toBeGreaterThan(0);
    for (const r of all) {
      const newer = r.service === 'orders' && r.serviceVersion === '1.4.1';
      expect(r.resource).toMatchObject({
        'service.version': newer ? '1.4.1' : '1.4.0',
        'vcs.ref.head.revision': newer
          ? 'b7e4f1c09d2a3b4c5d6e7f8091a2b3c4d5e6f708'
          : 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
        'deployment.environment.name': 'demo',
      });
      expect(r.resource['service.instance.id']).toEqual(expect.any(String));
    }
    expect(new Set(all.map((r) => r.service))).toEqual(new Set(['orders', 'inventory', 'worker']));
  });

  it('ends with `threadline status`: the deploy that brought the bug, the jobs, the owners’ questions answered from the store', () => {
    const status = stdout.slice(stdout.indexOf('`threadline status --window all'));
    const block = (service: string) => {
      const from = status.indexOf(`\n${service}`);
      const to = status.indexOf('\n\n', from + 1);
      return status.slice(from, to);
    };
    // 7 checkouts on 1.4.0 (out-of-stock: 502), 6 on 1.4.1 (sku-2 and sku-12 throw: 500).
    expect(block('orders')).toMatch(/requests {2}13 \([\d.]+\/s\), 5xx 23\.1%, 4xx 0,/);
    expect(block('orders')).toMatch(
      /2 starts, 1 restart; instances \S+ \(1\.4\.1\), \S+ \(1\.4\.0\)/,
    );
    expect(block('orders')).toMatch(
      /deploy {4}5xx 14\.3% → 33\.3%, p95 \S+ ms → \S+ ms since 1\.4\.1 \(commit b7e4f1c\)/,
    );
    // Inventory answered the 11 checkouts that reached it, the out-of-stock one with a 409.
    expect(block('inventory')).toMatch(/requests {2}11 \([\d.]+\/s\), 5xx 0\.0%, 4xx 1,/);
    // Each of the 10 good checkouts' jobs failed once, then completed.
    expect(block('worker')).toMatch(
      /queue {5}fulfilment: started 20, completed 10, failed 0, retried 10, postponed 0, stalled 0,/,
    );
    expect(block('worker')).toMatch(/cron {6}reconcile-stock: last run \S+ completed/);
    // The figures printed are the store's.
    const orders = store.overview().services.find((s) => s.service === 'orders');
    expect(orders?.requests).toMatchObject({ count: 13, errors: 3 });
    // And the newest failure's timeline, with the address to open it on the page.
    const newest = traceOf('sku-12');
    expect(stdout).toContain(`threadline trace ${newest}`);
    expect(stdout).toMatch(/orders@1\.4\.1 \[[0-9a-f]{8}\] ERROR request completed/);
    expect(stdout).toContain(`then open http://127.0.0.1:4318/#trace=${newest}`);
    expect(store.trace(newest).find((r) => r.body === 'request failed')?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.stacktrace': expect.stringContaining('examples/orders/index.mjs'),
    });
  });

  it('answers on the page of threadline dev too: the deploy on the overview, the failing trace’s hops and stack, in Chromium', async () => {
    const receiver = await startDevReceiver({ store, port: 0 });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const origin = receiver.url.replace('/v1/logs', '/');
      // The overview, over everything stored: orders' deploy stated as `threadline status` states it.
      await page.goto(`${origin}?window=all#overview`);
      await page.waitForSelector('section.service[data-service="orders"]');
      const deploy = await page
        .locator('section.service[data-service="orders"] [data-figure=deploy]')
        .textContent();
      expect(deploy).toMatch(
        /5xx 14\.3% → 33\.3%, p95 \S+ ms → \S+ ms since 1\.4\.1 \(commit b7e4f1c\)/,
      );
      expect(stdout).toContain(deploy ?? '(none)');
      // The newest failure, as the demo's last line says to open it: the orders hop's 500 and the stack.
      const failing = traceOf('sku-12');
      await page.goto(`${origin}#trace=${failing}`);
      await page.waitForSelector('#waterfall .hop');
      expect(await page.locator('#trace-id').textContent()).toBe(failing);
      expect(await page.locator('#waterfall').textContent()).toMatch(
        /orders@1\.4\.1\s*POST \/checkout\/:sku\s*500/,
      );
      const failed = page.locator('#trace-records details.rec', { hasText: 'request failed' });
      await failed.locator('summary').click();
      expect(await failed.locator('pre.stack').textContent()).toMatch(
        /^TypeError: Cannot read properties of undefined \(reading 'amount'\)\n\s+at .*examples\/orders\/index\.mjs/,
      );
    } finally {
      await browser.close();
      await receiver.close();
    }
  }, 30_000);

  it('gives each cron run a trace of its own', () => {
    const runs = all.filter((r) => r.body === 'stock reconciled');
    expect(runs.length).toBeGreaterThanOrEqual(1);
    const requestTraces = new Set(['sku-1', 'sku-2', 'out-of-stock', 'sku-12'].map(traceOf));
    const traces = new Set(runs.map((r) => r.traceId));
    expect(traces.size).toBe(runs.length);
    for (const t of traces) expect(requestTraces.has(t)).toBe(false);
    for (const r of runs)
      expect(r.attributes['threadline.cron.run_id']).toEqual(expect.any(String));
  });
});

describe('the demo without Redis', () => {
  it('says how to start Redis and still shows the HTTP and cron parts', async () => {
    const db2 = join(dir, 'no-redis.sqlite');
    const run = fileURLToPath(new URL('../../examples/demo/run.mjs', import.meta.url));
    const { stdout: out } = await promisify(execFile)(process.execPath, [run, '--db', db2], {
      timeout: 60_000,
      env: { ...process.env, REDIS_PORT: '1' },
    });
    expect(out).toMatch(/Redis is not answering on 127\.0\.0\.1:1: the queue part is skipped/);
    expect(out).toMatch(/redis-server --daemonize yes/);
    expect(out).toMatch(/POST \/checkout\/out-of-stock → 502/);
    expect(out).toMatch(/POST \/checkout\/sku-12 → 500/);
    expect(out).toMatch(/orders@1\.4\.1 \[[0-9a-f]{8}\] ERROR request completed/);
    expect(out).toMatch(/requests {2}13 \([\d.]+\/s\), 5xx 23\.1%/);
    expect(out).not.toMatch(/queue {5}fulfilment/);
    const noQueue = new RecordStore(db2, { readOnly: true });
    try {
      const records = noQueue.recent({ limit: 1000 });
      expect(records.some((r) => r.body === 'stock reconciled')).toBe(true);
      expect(records.some((r) => r.service === 'worker' && r.body === 'job started')).toBe(false);
    } finally {
      noQueue.close();
    }
  }, 90_000);
});
