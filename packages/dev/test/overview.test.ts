import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bucketOf, percentiles } from '../src/histogram.js';
import { type ReceivedRecord, RecordStore } from '../src/index.js';
import { NEW_COMMIT, NOW, scenario } from './overview-scenario.js';

const MIN = 60_000;
const CLI = fileURLToPath(new URL('../bin/threadline.mjs', import.meta.url));

/** A store file of its own in a new folder, holding `records`, closed: for the CLI to read. */
function storeFileOf(records: ReceivedRecord[], prefix: string): string {
  const db = join(mkdtempSync(join(tmpdir(), prefix)), 'dev.sqlite');
  const written = new RecordStore(db);
  written.add(records);
  written.close();
  return db;
}
let store: RecordStore;
beforeEach(() => {
  store = new RecordStore(':memory:');
});
afterEach(() => store.close());

describe('histograms', () => {
  it('round a duration up to two significant digits', () => {
    expect([0, -1, 0.3, 3.671, 810, 812, 99.5, 1234, 0.0004].map(bucketOf)).toEqual([
      '0',
      '0',
      '0.3',
      '3.7',
      '810',
      '820',
      '100',
      '1300',
      '0.0004',
    ]);
  });

  it('give nearest-rank percentiles', () => {
    const h: Record<string, number> = {};
    for (let i = 1; i <= 100; i++) h[bucketOf(i)] = 1;
    expect(percentiles(h, [50, 95, 99, 100])).toEqual([50, 95, 99, 100]);
    expect(percentiles({}, [50])).toEqual([undefined]);
  });
});

describe('the overview', () => {
  it('gives the figures of known records exactly, over the last hour', () => {
    store.add(scenario());
    const o = store.overview({ now: NOW, windowMs: 60 * MIN });
    expect(o.fromMs).toBe(NOW - 60 * MIN);
    expect(o.services.map((s) => s.service)).toEqual(['orders', 'worker']);
    const orders = o.services[0];
    expect(orders).toMatchObject({
      owner: 'team-checkout',
      runbook: 'https://runbooks.example.com/orders',
      lastSeenMs: NOW - 19 * MIN + 49 * 20_000,
      starts: 3,
      restarts: 2,
      instances: [
        { instance: 'o-2', version: '1.4.1' },
        { instance: 'o-1', version: '1.4.0' },
      ],
      requests: {
        count: 150,
        errors: 5,
        clientErrors: 2,
        errorRate: 5 / 150,
        // The service was first seen 50 minutes before the end of the window.
        ratePerSecond: 150 / (50 * 60),
      },
    });
    // Durations 1–100 (GET) and 10–500 by 10 (POST), by nearest rank.
    const all = [
      ...Array.from({ length: 100 }, (_, i) => i + 1),
      ...Array.from({ length: 50 }, (_, i) => (i + 1) * 10),
    ].sort((a, b) => a - b);
    const rank = (p: number) => all[Math.ceil((p / 100) * all.length) - 1];
    expect(orders?.requests).toMatchObject({ p50: rank(50), p95: rank(95), p99: rank(99) });
    expect(orders?.routes).toEqual([
      expect.objectContaining({
        method: 'POST',
        route: '/checkout',
        count: 50,
        errors: 4,
        clientErrors: 0,
        errorRate: 0.08,
        p50: 250,
        p95: 480,
        p99: 500,
      }),
      expect.objectContaining({
        method: 'GET',
        route: '/orders/:id',
        count: 100,
        errors: 1,
        clientErrors: 2,
        p50: 50,
        p95: 95,
        p99: 99,
      }),
    ]);
    expect(orders?.deploy).toMatchObject({
      version: '1.4.1',
      commit: NEW_COMMIT,
      sinceMs: NOW - 20 * MIN,
      before: { version: '1.4.0', count: 100, errorRate: 0.01, p95: 95 },
      after: { count: 50, errorRate: 0.08, p95: 480 },
      summary: '5xx 1.0% → 8.0%, p95 95 ms → 480 ms since 1.4.1 (commit 1f0c2e9)',
    });

    const worker = o.services[1];
    expect(worker?.requests.count).toBe(0);
    expect(worker?.queues).toEqual([
      {
        queue: 'emails',
        started: 3,
        completed: 2,
        failed: 1,
        retried: 1,
        postponed: 1,
        stalled: 1,
        waitP95: 200,
      },
    ]);
    expect(worker?.cron).toEqual([
      {
        name: 'nightly-report',
        lastRunMs: NOW - 15 * MIN,
        outcome: 'failed',
        lagMs: 1500,
        consecutiveFailures: 2,
      },
    ]);
    expect(worker?.owner).toBe('team-fulfilment');
    expect(worker?.deploy?.summary).toBe('first version seen: 2.0.0');
  });

  it('counts only the window’s minutes: the last 5 minutes, and since the start', () => {
    store.add(scenario());
    const recent = store.overview({ now: NOW, windowMs: 5 * MIN }).services[0];
    // POST #43–#50 (430–500 ms), #45 a 503.
    expect(recent?.requests).toMatchObject({
      count: 8,
      errors: 1,
      p50: 460,
      p95: 500,
      ratePerSecond: 8 / 300,
    });
    expect(recent).toMatchObject({ starts: 0, restarts: 0 });
    expect(recent?.instances.map((i) => i.instance)).toEqual(['o-2']);
    const all = store.overview({ now: NOW }).services[0];
    expect(all?.requests.count).toBe(150);
    expect(all?.starts).toBe(3);
  });

  it('reads long windows from whole hours and the minutes around them, exact to the minute', () => {
    // One request every 10 minutes from 07:00 to 11:50, each 1 ms longer than the one before.
    const requests = Array.from({ length: 30 }, (_, i) => {
      const r = scenario().find((x) => x.body === 'request completed') as ReceivedRecord;
      return {
        ...r,
        timeUnixNano: String(BigInt(NOW - 5 * 60 * MIN + i * 10 * MIN) * 1_000_000n),
        attributes: { ...r.attributes, 'threadline.duration_ms': i + 1 },
      };
    });
    store.add(requests);
    const figures = (at: number, windowMs: number) =>
      store.overview({ now: at, windowMs }).services[0]?.requests;
    // 08:00–12:00: the requests of 08:00 to 11:50.
    expect(figures(NOW, 4 * 60 * MIN)).toMatchObject({ count: 24, p50: 18, p99: 30 });
    // 08:05–12:05: from the minute of 08:05, so 08:10 to 11:50.
    expect(figures(NOW + 5 * MIN, 4 * 60 * MIN)).toMatchObject({ count: 23, p50: 19 });
    // 07:35–09:35, within hours partly covered at both ends.
    expect(figures(NOW - 145 * MIN, 2 * 60 * MIN)).toMatchObject({ count: 12 });
  });

  it('sees nothing after the window’s end: last record, instances and deploy as they were then', () => {
    store.add(scenario());
    // 30 minutes before NOW: orders 1.4.1 (deployed 20 minutes before NOW) was not there yet.
    const then = store.overview({ now: NOW - 30 * MIN, windowMs: 60 * MIN }).services[0];
    expect(then).toMatchObject({
      service: 'orders',
      // GET #67, the last request before then.
      lastSeenMs: NOW - 50 * MIN + 66 * 18_000,
      instances: [{ instance: 'o-1', version: '1.4.0' }],
      deploy: { version: '1.4.0', summary: 'first version seen: 1.4.0' },
    });
    expect(then?.requests.count).toBe(67);
    expect(then?.deploy?.after.count).toBe(67);
    // Services first seen after it are not listed.
    const early = store.overview({ now: NOW - 45 * MIN, windowMs: 60 * MIN });
    expect(early.services.map((x) => x.service)).toEqual(['orders']);
  });

  it('adds up figures written in several exports, as one export would', () => {
    const records = scenario();
    const one = new RecordStore(':memory:');
    try {
      one.add(records);
      for (let i = 0; i < records.length; i += 7) store.add(records.slice(i, i + 7));
      expect(store.overview({ now: NOW, windowMs: 60 * MIN })).toEqual(
        one.overview({ now: NOW, windowMs: 60 * MIN }),
      );
    } finally {
      one.close();
    }
  });

  it('keeps at most maxRecords, deleting the oldest and the figures of the minutes before them', () => {
    const bounded = new RecordStore(':memory:', { maxRecords: 100 });
    try {
      const records = scenario().sort((a, b) =>
        Number(BigInt(a.timeUnixNano) - BigInt(b.timeUnixNano)),
      );
      for (let i = 0; i < records.length; i += 10) bounded.add(records.slice(i, i + 10));
      expect(bounded.count()).toBeLessThanOrEqual(100);
      expect(bounded.count()).toBeGreaterThanOrEqual(90);
      const oldest = Number(bounded.recent({ limit: 100 })[0]?.timeUnixNano) / 1e6;
      const oldestMinute = oldest - (oldest % MIN);
      const kept = records.filter(
        (r) => r.body === 'request completed' && Number(r.timeUnixNano) / 1e6 >= oldestMinute,
      );
      const orders = bounded.overview({ now: NOW, windowMs: 60 * MIN }).services[0];
      expect(kept.length).toBeLessThan(150);
      expect(orders?.requests.count).toBe(kept.length);
    } finally {
      bounded.close();
    }
    expect(() => new RecordStore(':memory:', { maxRecords: 0 })).toThrow(/maxRecords/);
  });
});

describe('threadline status', () => {
  it('prints the same figures as the overview, and the overview as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threadline-status-'));
    const db = join(dir, 'dev.sqlite');
    const written = new RecordStore(db);
    written.add(scenario());
    const expected = written.overview({ now: NOW, windowMs: 60 * MIN });
    written.close();
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [
        CLI,
        'status',
        '--db',
        db,
        '--at',
        new Date(NOW).toISOString(),
        ...args,
      ]);
    const { stdout } = await run();
    expect(stdout.split('\n')).toEqual([
      'last 1 h (from 11:00:00 to 12:00:00 UTC), 2 services',
      '',
      'orders  owner team-checkout  runbook https://runbooks.example.com/orders',
      '  up        last record 11:57:20 (3 min ago); 3 starts, 2 restarts; instances o-2 (1.4.1), o-1 (1.4.0)',
      '  requests  150 (0.05/s), 5xx 3.3%, 4xx 2, p50 69 ms, p95 430 ms, p99 490 ms',
      '  slowest   POST /checkout       50  5xx 8.0%  p50 250 ms  p95 480 ms  p99 500 ms',
      '            GET /orders/:id     100  5xx 1.0%  p50 50 ms  p95 95 ms  p99 99 ms',
      '  deploy    5xx 1.0% → 8.0%, p95 95 ms → 480 ms since 1.4.1 (commit 1f0c2e9)',
      '',
      'worker  owner team-fulfilment',
      '  up        last record 11:45:00 (15 min ago); 0 starts, 0 restarts; instances w-1 (2.0.0)',
      '  queue     emails: started 3, completed 2, failed 1, retried 1, postponed 1, stalled 1, wait p95 200 ms',
      '  cron      nightly-report: last run 11:45:00 failed, lag 1.5 s, 2 failures in a row',
      '  deploy    first version seen: 2.0.0',
      '',
    ]);
    const json = await run('--json');
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
    await expect(run('--window', 'soon')).rejects.toMatchObject({
      stderr: expect.stringContaining('--window must be a length such as 5m, 1h or 2d, or all'),
    });
  });
});

describe('threadline errors', () => {
  it('groups failures by service, route, queue or cron job and message, most frequent first, with the newest trace', async () => {
    const records = scenario();
    const db = storeFileOf(records, 'threadline-errors-');
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [CLI, 'errors', '--db', db, ...args]);
    const { stdout } = await run();
    const heads = stdout.split('\n').filter((l) => /^\d+× /.test(l));
    expect(heads).toEqual([
      // #5, #15, #25, #45 of the POSTs answered 503; each request is a trace of its own.
      '4× orders POST /checkout: request completed',
      '2× worker cron nightly-report: cron run failed',
      '2× worker queue emails: job failed',
      '1× orders GET /orders/:id: request completed',
    ]);
    // Each group names its newest failure's trace: the 503 of #45.
    const checkout503s = records.filter((r) => r.attributes['http.response.status_code'] === 503);
    expect(stdout).toContain(`threadline trace ${checkout503s.at(-1)?.traceId} --db ${db}`);
    // The job group says what became of its newest failed attempt's job.
    expect(stdout).toMatch(
      /2× worker queue emails: job failed\n {4}newest: .*\n {4}job \(newest\): failed for good/,
    );
    const json = (await run('--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.map((g) => [g.count, g.where])).toEqual([
      [4, 'POST /checkout'],
      [2, 'cron nightly-report'],
      [2, 'queue emails'],
      [1, 'GET /orders/:id'],
    ]);
    expect(
      (await run('--limit', '1')).stdout.split('\n').filter((l) => /^\d+× /.test(l)),
    ).toHaveLength(1);
  });

  it('prints a trace’s hops as a waterfall above its records', async () => {
    const records = scenario();
    const db = storeFileOf(records, 'threadline-trace-');
    const failed = records.find((r) => r.attributes['http.response.status_code'] === 500);
    const { stdout } = await promisify(execFile)(process.execPath, [
      CLI,
      'trace',
      failed?.traceId as string,
      '--db',
      db,
    ]);
    const [head, hop, blank, line] = stdout.split('\n');
    expect(head).toBe(`trace ${failed?.traceId}: 1 record, 1 service`);
    // The hop: its service, route and status, a bar, and the duration its line states (7 ms).
    expect(hop).toMatch(/^orders@1\.4\.0 GET \/orders\/:id 500 {2}█+ {2}7 ms$/);
    expect(blank).toBe('');
    expect(line).toMatch(/orders@1\.4\.0 \[[0-9a-f]{8}\] ERROR request completed/);
    const json = JSON.parse(
      (
        await promisify(execFile)(process.execPath, [
          CLI,
          'trace',
          failed?.traceId as string,
          '--json',
          '--db',
          db,
        ])
      ).stdout,
    );
    expect(json).toMatchObject({
      depth: 0,
      hop: { name: 'GET /orders/:id', outcome: '500', durationMs: 7 },
    });
  });
});

describe('the trace list', () => {
  it('says of each trace its outermost request, first error, services, versions and jobs', () => {
    const at = (ms: number) => String(BigInt(NOW + ms) * 1_000_000n);
    const base = {
      scope: { name: 's' },
      observedTimeUnixNano: '0',
      severityText: 'INFO',
      flags: 1,
      eventName: '',
      droppedAttributesCount: 0,
      traceId: 'ab'.repeat(16),
    };
    const orders = { 'service.name': 'orders', 'service.version': '1.4.1' };
    const inventory = { 'service.name': 'inventory', 'service.version': '0.9.0' };
    const line = (
      resource: object,
      ms: number,
      body: string,
      severityNumber: number,
      attributes = {},
    ) => ({
      ...base,
      resource: resource as Record<string, unknown>,
      timeUnixNano: at(ms),
      severityNumber,
      body,
      attributes,
      spanId: '01'.repeat(8),
    });
    const request = (route: string, status: number, ms: number) => ({
      'http.request.method': 'POST',
      'http.route': route,
      'http.response.status_code': status,
      'threadline.duration_ms': ms,
    });
    // Written in two exports, the inner request's service after the outer one's.
    store.add([
      line(orders, 0, 'checkout started', 9),
      line(inventory, 5, 'reserve failed', 17),
      line(inventory, 9, 'request completed', 17, request('/reserve/:sku', 503, 4)),
    ]);
    store.add([
      line(orders, 12, 'job started', 9, { 'messaging.destination.name': 'emails' }),
      line(orders, 30, 'request completed', 17, request('/checkout', 502, 29.5)),
    ]);
    store.add(
      [line({ 'service.name': 'worker', 'service.version': '2.0.0' }, 40, 'quiet', 9)].map((r) => ({
        ...r,
        traceId: 'cd'.repeat(16),
      })),
    );
    expect(store.traces()).toEqual([
      {
        traceId: 'ab'.repeat(16),
        startUnixNano: at(0),
        spanMs: 30,
        maxSeverity: 17,
        records: 5,
        services: ['inventory', 'orders'],
        versions: ['0.9.0', '1.4.1'],
        rootService: 'orders',
        method: 'POST',
        route: '/checkout',
        status: 502,
        durationMs: 29.5,
        firstError: 'reserve failed',
        jobs: 1,
      },
      expect.objectContaining({
        traceId: 'cd'.repeat(16),
        rootService: 'worker',
        route: '',
        jobs: 0,
      }),
    ]);
    // A job attempt that ran in a trace of its own (link mode) counts for the request that enqueued it.
    store.add([
      {
        ...line(orders, 50, 'job started', 9, {
          'messaging.destination.name': 'emails',
          'threadline.link.trace_id': 'ab'.repeat(16),
        }),
        traceId: 'ef'.repeat(16),
      },
    ]);
    const jobs = Object.fromEntries(store.traces().map((t) => [t.traceId.slice(0, 2), t.jobs]));
    expect(jobs).toEqual({ ab: 2, cd: 0, ef: 1 });
    // Threadline's own failure lines say less than their exception: the list shows the exception.
    store.add([
      {
        ...line(orders, 60, 'request failed', 17, {
          'exception.type': 'TypeError',
          'exception.message': "Cannot read properties of undefined (reading 'amount')",
        }),
        traceId: '12'.repeat(16),
      },
    ]);
    expect(store.traces({ text: 'amount' })[0]?.firstError).toBe(
      "TypeError: Cannot read properties of undefined (reading 'amount')",
    );
    expect(store.traces({ service: 'inventory' }).map((t) => t.traceId)).toEqual(['ab'.repeat(16)]);
    expect(store.traces({ version: '2.0.0' }).map((t) => t.traceId)).toEqual(['cd'.repeat(16)]);
    expect(store.traces({ text: 'quiet' }).map((t) => t.traceId)).toEqual(['cd'.repeat(16)]);
    expect(store.errors().map((r) => r.body)).toEqual(['request failed', 'reserve failed']);
    expect(store.facets()).toEqual({
      services: ['inventory', 'orders', 'worker'],
      versions: ['0.9.0', '1.4.1', '2.0.0'],
    });
  });
});

describe('a store written by an older version', () => {
  it('gets its trace list from its records when `threadline dev` opens it, and says so when read first', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const dir = mkdtempSync(join(tmpdir(), 'threadline-old-store-'));
    const db = join(dir, 'dev.sqlite');
    const written = new RecordStore(db);
    written.add(scenario());
    const expected = written
      .traces({ limit: 500 })
      .map((t) => [t.traceId, t.records, t.maxSeverity]);
    written.close();
    // What an older version left: the records without the trace list.
    const raw = new DatabaseSync(db);
    raw.exec('DROP TABLE traces');
    raw.close();
    expect(() => new RecordStore(db, { readOnly: true })).toThrow(
      /older @threadline\/dev: run `threadline dev` on it once/,
    );
    const upgraded = new RecordStore(db);
    try {
      expect(
        upgraded.traces({ limit: 500 }).map((t) => [t.traceId, t.records, t.maxSeverity]),
      ).toEqual(expected);
    } finally {
      upgraded.close();
    }
  });
});

describe('the terminal, read by other programs and filtered', () => {
  it('`tail` starts from the last records that pass its filters, however old', async () => {
    const db = storeFileOf(scenario(), 'threadline-tail-');
    // orders' five 5xx lines are older than the 20 newest records (the worker's).
    const tail = spawn(process.execPath, [
      CLI,
      'tail',
      '--service',
      'orders',
      '--level',
      'error',
      '--db',
      db,
    ]);
    let out = '';
    tail.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await expect.poll(() => out.split('\n').filter(Boolean).length, { timeout: 10_000 }).toBe(5);
    } finally {
      tail.kill();
    }
    for (const line of out.trim().split('\n'))
      expect(line).toMatch(/orders@1\.4\.\d .* ERROR request completed .*status=50\d/);
  });

  it('ends quietly when its reader stops early (`threadline errors | head`)', async () => {
    // Enough output to fill a pipe: 3,000 failing traces.
    const failed = scenario().find((r) => r.severityNumber >= 17) as ReceivedRecord;
    const db = storeFileOf(
      Array.from({ length: 3000 }, (_, i) => ({
        ...failed,
        traceId: i.toString(16).padStart(32, '0'),
      })),
      'threadline-epipe-',
    );
    const child = spawn(process.execPath, [
      CLI,
      'errors',
      '--each',
      '--json',
      '--limit',
      '3000',
      '--db',
      db,
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = await once(child, 'exit');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
