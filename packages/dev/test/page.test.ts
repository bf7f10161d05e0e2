import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevReceiver,
  type ReceivedRecord,
  RecordStore,
  startDevReceiver,
} from '../src/index.js';
import { NOW, scenario } from './overview-scenario.js';
import { CHECKOUT, PAYMENTS_STACK, RECEIPT_1, story } from './page-story.js';

// Debian's chromium (apt-get install chromium); no browser download.
const CHROMIUM = '/usr/bin/chromium';
const CLI = fileURLToPath(new URL('../bin/threadline.mjs', import.meta.url));
// THREADLINE_SCREENSHOTS=1 writes the README's screenshots of each view here.
const SCREENSHOTS = process.env.THREADLINE_SCREENSHOTS
  ? fileURLToPath(new URL('../docs/', import.meta.url))
  : undefined;

const OK = '1'.repeat(32);
const FAILED = '2'.repeat(32);
const WORKER = '3'.repeat(32);
const ODD = '4'.repeat(32);
// A name a DNS-rebinding page would use: Chromium resolves it to 127.0.0.1.
const REBOUND = 'rebind.test';

let n = 0;
function rec(
  traceId: string,
  spanId: string,
  service: string,
  version: string,
  severityNumber: number,
  body: string,
  attributes: Record<string, unknown> = {},
): ReceivedRecord {
  n++;
  return {
    resource: { 'service.name': service, 'service.version': version },
    scope: { name: 's' },
    timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n),
    observedTimeUnixNano: '0',
    severityNumber,
    severityText: severityNumber >= 17 ? 'ERROR' : severityNumber >= 13 ? 'WARN' : 'INFO',
    body,
    attributes,
    traceId,
    spanId,
    flags: 1,
    eventName: '',
    droppedAttributesCount: 0,
  };
}

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** The trace ids the trace list shows, in order. */
const listed = (page: Page) =>
  page
    .locator('#trace-list a.trace')
    .evaluateAll((els) =>
      els.map((e) => (e as unknown as { dataset: { trace?: string } }).dataset.trace),
    );

describe('the page of threadline dev, in headless Chromium', { timeout: 30_000 }, () => {
  let store: RecordStore;
  let receiver: DevReceiver;
  let base: string;
  beforeAll(async () => {
    store = new RecordStore(':memory:');
    const a = 'a'.repeat(16);
    const b = 'b'.repeat(16);
    store.add([
      rec(OK, a, 'orders', '1.0.0', 9, 'checkout started'),
      rec(FAILED, a, 'orders', '1.0.0', 9, 'checkout started', { 'http.request.method': 'POST' }),
      rec(FAILED, b, 'inventory', '1.0.0', 13, 'request failed', {
        'threadline.parent_span_id': a,
      }),
      rec(FAILED, a, 'orders', '1.0.0', 17, 'request completed', {
        'http.response.status_code': 502,
      }),
      rec(
        WORKER,
        'c'.repeat(16),
        'worker',
        '2.0.0',
        9,
        '<img src=x onerror="window.pwned=1"> shipped',
        { 'threadline.runbook.note': '<script>window.pwned=2</script>' },
      ),
    ]);
    store.add([
      {
        ...rec(ODD, 'd'.repeat(16), 'odd', '1.0.0', 9, 'a map from a log', {
          'http.route': JSON.parse('{"toString":"x"}'),
          'threadline.parent_span_id': 'd'.repeat(16),
        }),
        resource: { 'service.name': 'odd', 'threadline.runbook.url': 'javascript:window.pwned=3' },
      },
    ]);
    receiver = await startDevReceiver({ store, port: 0 });
    base = receiver.url.replace('/v1/logs', '/');
  });
  afterAll(async () => {
    await receiver?.close();
    store?.close();
  });

  it('lists traces with errors first and shows one trace’s timeline, hops indented', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#traces`);
    await page.waitForSelector('a.trace');
    const ids = await listed(page);
    expect(ids[0]).toBe(FAILED);
    expect(new Set(ids)).toEqual(new Set([OK, FAILED, WORKER, ODD]));
    await page.locator(`a.trace[data-trace="${FAILED}"]`).click();
    await page.waitForSelector('#trace-records .row');
    const rows = await page.locator('#trace-records .row').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/orders@1\.0\.0 \[aaaaaaaa\] INFO {2}checkout started {2}method=POST/);
    // The inventory hop is indented under the orders hop.
    expect(rows[1]).toMatch(/^\S+ {3}inventory@1\.0\.0 \[bbbbbbbb\] WARN/);
    expect(rows[2]).toMatch(/ERROR request completed {2}status=502/);
    expect(await page.locator('#trace-records .row.error').count()).toBe(1);
    await page.close();
  });

  it('filters by service, severity, deploy version and text', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#traces`);
    await page.waitForSelector('a.trace');
    const form = '#trace-filters';
    await page.selectOption(`${form} select[name=service]`, 'inventory');
    await expect.poll(() => listed(page)).toEqual([FAILED]);
    await page.selectOption(`${form} select[name=service]`, '');
    await page.selectOption(`${form} select[name=version]`, '2.0.0');
    await expect.poll(() => listed(page)).toEqual([WORKER]);
    await page.selectOption(`${form} select[name=version]`, '');
    await page.selectOption(`${form} select[name=severity]`, '17');
    await expect.poll(() => listed(page)).toEqual([FAILED]);
    await page.selectOption(`${form} select[name=severity]`, '');
    await page.fill(`${form} input[name=q]`, 'shipped');
    await expect.poll(() => listed(page)).toEqual([WORKER]);
    // The filters are in the address: a reload keeps them.
    await page.reload();
    await expect.poll(() => listed(page)).toEqual([WORKER]);
    expect(await page.inputValue(`${form} input[name=q]`)).toBe('shipped');
    await page.close();
  });

  it('shows what a log says as text, never as markup, in the trace and in the logs', async () => {
    const page = await browser.newPage();
    const answer = await page.goto(`${base}#trace=${WORKER}`);
    // Only the page's own script and style run, named by their hashes: no inline script else.
    const policy = answer?.headers()['content-security-policy'] ?? '';
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(policy).not.toContain('unsafe-inline');
    await page.waitForSelector('#trace-records .row');
    expect(await page.locator('#trace-records .row').first().textContent()).toContain(
      '<img src=x onerror=',
    );
    await page.locator('#trace-records summary').first().click();
    await expect
      .poll(() => page.locator('#trace-records .kv').first().textContent())
      .toContain('<script>window.pwned=2</script>');
    await page.goto(`${base}#logs`);
    await page.waitForSelector('#log-list .row');
    expect(await page.locator('#log-list').textContent()).toContain('<img src=x onerror=');
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    await page.close();
  });

  it('shows a stored map with keys such as toString as JSON text, and links no javascript: runbook', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#trace=${ODD}`);
    await page.waitForSelector('#trace-records .row');
    expect(await page.locator('#trace-records .row').first().textContent()).toMatch(
      /a map from a log {2}route=\{"toString":"x"\}/,
    );
    expect(await page.locator('#runbooks a').count()).toBe(0);
    await page.goto(`${base}#overview?window=all`);
    await page.waitForSelector('section.service[data-service="odd"]');
    const runbook = page.locator('section.service[data-service="odd"] [data-figure=runbook]');
    expect(await runbook.textContent()).toBe('javascript:window.pwned=3');
    expect(await runbook.evaluate((e) => (e as unknown as { tagName: string }).tagName)).toBe(
      'SPAN',
    );
    await page.close();
  });

  it('refuses the page and API calls under a name that is not loopback (DNS rebinding)', async () => {
    const page = await browser.newPage();
    const port = new URL(base).port;
    // The page a rebinding attacker serves would run as http://rebind.test:<port>/.
    const answer = await page.goto(`http://${REBOUND}:${port}/`);
    expect(answer?.status()).toBe(403);
    const fromRebound = await page.evaluate(async () => {
      const reads: Record<string, number> = {};
      for (const path of ['/api/traces', '/api/overview', '/api/logs', '/api/events']) {
        reads[path] = (await fetch(path)).status;
      }
      const post = await fetch('/v1/logs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { reads, post: post.status };
    });
    expect(fromRebound).toEqual({
      reads: { '/api/traces': 403, '/api/overview': 403, '/api/logs': 403, '/api/events': 403 },
      post: 403,
    });
    // The same page under 127.0.0.1 works.
    expect((await page.goto(base))?.status()).toBe(200);
    await page.close();
  });
});

/** A service block of the overview as `threadline status` prints it, from what the page shows. */
interface ShownService {
  name: string;
  owner: string;
  runbook: string;
  up: Record<string, string>;
  tiles: Record<string, string>;
  routes: Record<string, string>[];
  queues: Record<string, string>[];
  cron: Record<string, string>[];
  deploy: string;
}

interface DomNode {
  textContent: string | null;
  dataset: Record<string, string>;
  querySelector(selector: string): DomNode | null;
  querySelectorAll(selector: string): Iterable<DomNode>;
}

/** The overview's figures as the page shows them (each element's `data-figure`). */
function shownOverview(page: Page): Promise<{ head: string; services: ShownService[] }> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: DomNode }).document;
    const figures = (root: DomNode | null) => {
      const out: Record<string, string> = {};
      for (const e of root?.querySelectorAll('[data-figure]') ?? []) {
        out[e.dataset.figure as string] = e.textContent ?? '';
      }
      return out;
    };
    const rows = (card: DomNode, label: string) =>
      [...card.querySelectorAll(`table[aria-label^="${label} of"] tbody tr`)].map(figures);
    return {
      head: doc.querySelector('#ov-head')?.textContent ?? '',
      services: [...doc.querySelectorAll('section.service')].map((card) => {
        const head = figures(card.querySelector('.service-head'));
        return {
          name: head.name ?? '',
          owner: head.owner ?? '',
          runbook: head.runbook ?? '',
          up: figures(card.querySelector('.up')),
          tiles: figures(card.querySelector('.tiles')),
          routes: rows(card, 'routes'),
          queues: rows(card, 'queues'),
          cron: rows(card, 'cron jobs'),
          deploy: card.querySelector('.deploy [data-figure=deploy]')?.textContent ?? '',
        };
      }),
    };
  });
}

/** The lines `threadline status` prints, rebuilt from what the page shows. */
function asStatusLines(shown: { head: string; services: ShownService[] }): string[] {
  const lines = [shown.head];
  for (const s of shown.services) {
    const who = [s.owner && `owner ${s.owner}`, s.runbook && `runbook ${s.runbook}`].filter(
      Boolean,
    );
    lines.push('', [s.name, ...who].join('  '));
    const u = s.up;
    lines.push(
      `up last record ${u.last} (${u.ago}); ${u.starts}, ${u.restarts}${u.instances ? `; instances ${u.instances}` : ''}`,
    );
    const t = s.tiles;
    if (t.count) {
      lines.push(
        `requests ${t.count} (${t.rate}), 5xx ${t.errors}, 4xx ${t.clientErrors}, p50 ${t.p50}, p95 ${t.p95}, p99 ${t.p99}`,
      );
      s.routes.slice(0, 5).forEach((r, i) => {
        lines.push(
          `${i === 0 ? 'slowest ' : ''}${r.route} ${r.count} 5xx ${r.errors} p50 ${r.p50} p95 ${r.p95} p99 ${r.p99}`,
        );
      });
    }
    for (const q of s.queues) {
      lines.push(
        `queue ${q.queue}: started ${q.started}, completed ${q.completed}, failed ${q.failed}, retried ${q.retried}, postponed ${q.postponed}, stalled ${q.stalled}, wait p95 ${q.waitP95}`,
      );
    }
    for (const c of s.cron) {
      const failures = Number(c.failures);
      lines.push(
        `cron ${c.cron}: last run ${c.lastRun} ${c.outcome}, lag ${c.lag}${failures > 0 ? `, ${failures} failure${failures === 1 ? '' : 's'} in a row` : ''}`,
      );
    }
    if (s.deploy) lines.push(`deploy ${s.deploy}`);
  }
  return lines.map((l) => l.replace(/\s+/g, ' ').trim());
}

interface Box {
  width: number;
  right: number;
  tag: string;
}

/** How far the page reaches past the viewport's width: the document, and the widest element. */
function overflow(page: Page) {
  return page.evaluate(() => {
    const doc = (
      globalThis as unknown as {
        document: {
          scrollingElement: { scrollWidth: number; clientWidth: number };
          querySelectorAll(s: string): Iterable<{
            tagName: string;
            className: string;
            getBoundingClientRect(): { width: number; right: number };
          }>;
        };
      }
    ).document;
    const width = doc.scrollingElement.clientWidth;
    const wider: Box[] = [];
    for (const e of doc.querySelectorAll('body *')) {
      const box = e.getBoundingClientRect();
      if (box.width > width || box.right > width + 0.5) {
        wider.push({ width: box.width, right: box.right, tag: `${e.tagName}.${e.className}` });
      }
    }
    return { scrollWidth: doc.scrollingElement.scrollWidth, clientWidth: width, wider };
  });
}

/** An OTLP/JSON export of one record, as an SDK's JSON exporter sends it. */
function otlpJson(service: string, body: string, atMs: number): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [
          {
            scope: { name: 'live' },
            logRecords: [
              {
                timeUnixNano: String(BigInt(atMs) * 1_000_000n),
                severityNumber: 9,
                severityText: 'INFO',
                body: { stringValue: body },
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('the incident console, on known records', { timeout: 60_000 }, () => {
  let dir: string;
  let db: string;
  let store: RecordStore;
  let receiver: DevReceiver;
  let base: string;
  let failedCheckouts: string[];
  const at = new Date(NOW).toISOString();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'threadline-page-'));
    db = join(dir, 'dev.sqlite');
    store = new RecordStore(db);
    const records = scenario();
    store.add(records);
    store.add(story());
    // The scenario's failing checkouts, newest first.
    failedCheckouts = records
      .filter(
        (r) =>
          r.attributes['http.route'] === '/checkout' &&
          Number(r.attributes['http.response.status_code']) >= 500,
      )
      .map((r) => r.traceId)
      .reverse();
    receiver = await startDevReceiver({ store, port: 0 });
    base = receiver.url.replace('/v1/logs', '/');
  });
  afterAll(async () => {
    await receiver?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const status = async (window: string) => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      CLI,
      ...['status', '--db', db, '--at', at, '--window', window],
    ]);
    return stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/\s+/g, ' ').trim());
  };

  it('shows the overview with exactly the figures `threadline status` prints, for each window', async () => {
    const page = await browser.newPage();
    for (const [window, name] of [
      ['1h', '1 h'],
      ['5m', '5 min'],
      ['all', 'since start'],
    ] as const) {
      // The window is chosen on the page, as a person would.
      await page.goto(`${base}?at=${at}#overview`);
      await page.getByRole('link', { name, exact: true }).click();
      await expect
        .poll(() => page.locator('#windows a[aria-current=true]').textContent())
        .toBe(name);
      await page.waitForSelector('section.service');
      const shown = await shownOverview(page);
      expect(asStatusLines(shown)).toEqual(await status(window));
    }
    // And the figures are those of the scenario, not merely the same on both sides.
    await page.goto(`${base}?at=${at}#overview?window=1h`);
    await page.waitForSelector('section.service');
    const shown = await shownOverview(page);
    expect(shown.head).toBe('last 1 h (from 11:00:00 to 12:00:00 UTC), 4 services');
    const orders = shown.services.find((s) => s.name === 'orders');
    expect(orders?.routes[0]).toMatchObject({
      route: 'POST /checkout',
      count: '51',
      p95: '480 ms',
    });
    expect(orders?.deploy).toMatch(
      /^5xx 1\.0% → 9\.8%, p95 95 ms → 480 ms since 1\.4\.1 \(commit 1f0c2e9\)$/,
    );
    expect(shown.services.find((s) => s.name === 'worker')?.cron[0]).toMatchObject({
      outcome: 'failed',
      lag: '1.5 s',
      failures: '2',
    });
    await page.close();
  });

  it('follows a failing request from the overview into its trace, with the keyboard, and reads its exception', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}?at=${at}#overview`);
    const checkout = page
      .locator('section.service[data-service="orders"] table[aria-label="routes of orders"] tr')
      .filter({ hasText: 'POST /checkout' });
    await checkout.getByRole('link', { name: '9.8%' }).click();
    // The failed checkouts of the hour, errors first and newest first.
    await expect.poll(() => listed(page)).toEqual([CHECKOUT, ...failedCheckouts]);
    expect(await page.inputValue('#trace-filters select[name=status]')).toBe('5xx');
    expect(await page.inputValue('#trace-filters input[name=route]')).toBe('/checkout');
    const line = page.locator(`a.trace[data-trace="${CHECKOUT}"]`);
    expect(await line.textContent()).toMatch(
      /^502POST \/checkoutorders425 ms11:58:00\.000payment provider timed outinventory, orders, payments · 2 jobs · 8 records/,
    );
    await line.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#waterfall .hop');
    expect(await page.locator('#trace-id').textContent()).toBe(CHECKOUT);
    // Each hop a bar, nested by parent: the linked job attempts hang under the checkout.
    const hops = await page
      .locator('#waterfall .hop')
      .evaluateAll((els) =>
        els.map((e) =>
          [
            (e as unknown as { textContent: string }).textContent,
            (
              e as unknown as { querySelector(s: string): { style: { paddingLeft: string } } }
            ).querySelector('.label').style.paddingLeft,
          ].join(' | '),
        ),
      );
    expect(hops).toEqual([
      'orders@1.4.1POST /checkout 502425 ms | 0px',
      'inventory@0.9.0GET /reserve/:sku 2004.2 ms | 14px',
      'payments@3.2.0POST /charge 504405 ms | 14px',
      'worker@2.0.0job receipts #77 attempt 1 failed, to be retried own trace 7b7b7b7b30 ms | 14px',
      'worker@2.0.0job receipts #77 attempt 2 completed own trace 7c7c7c7c25 ms | 14px',
    ]);
    // The checkout's records and those of the job attempts it started.
    expect(await page.locator('#trace-records details.rec').count()).toBe(14);
    const runbooks = await page
      .locator('#runbooks a')
      .evaluateAll((els) => els.map((e) => (e as unknown as { href: string }).href));
    expect(runbooks).toEqual([
      'https://runbooks.example.com/orders',
      'https://runbooks.example.com/payments',
    ]);
    // Open the record of the timeout: every attribute, the resource and the stack.
    const timeout = page
      .locator('#trace-records details.rec')
      .filter({ hasText: 'payment provider timed out' });
    await timeout.locator('summary').focus();
    await page.keyboard.press('Enter');
    expect(await timeout.locator('pre.stack').textContent()).toBe(PAYMENTS_STACK);
    const attributes = await timeout.locator('table[aria-label=attributes]').textContent();
    expect(attributes).toContain('exception.typeTimeoutError');
    expect(attributes).toContain(`threadline.parent_span_id${'a1'.repeat(8)}`);
    expect(await timeout.locator('table[aria-label=resource]').textContent()).toContain(
      'threadline.runbook.urlhttps://runbooks.example.com/payments',
    );
    // Escape closes the record, then goes back to the list, on the trace just read.
    await page.keyboard.press('Escape');
    expect(await timeout.getAttribute('open')).toBeNull();
    await page.keyboard.press('Escape');
    await page.waitForSelector('#view-traces:not([hidden])');
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: DomNode } }).document
              .activeElement.dataset.trace,
        ),
      )
      .toBe(CHECKOUT);
    await page.close();
  });

  it('links a job attempt’s own trace (link mode) back to the request that enqueued it', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#trace=${RECEIPT_1}`);
    await page.waitForSelector('#waterfall .hop');
    expect(await page.locator('#waterfall .hop').allTextContents()).toEqual([
      'worker@2.0.0job receipts #77 attempt 1 failed, to be retried30 ms',
    ]);
    const started = page.locator('#trace-records details.rec').first();
    await started.locator('summary').click();
    await started.getByRole('link', { name: CHECKOUT }).click();
    await page.waitForSelector(`#trace-id:text("${CHECKOUT}")`);
    expect(await page.locator('#waterfall .hop').count()).toBe(5);
    await page.close();
  });

  it('lists every record in the logs, traced or not, newest first, searchable and paged', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#logs`);
    await page.waitForSelector('#log-list .row');
    const rows = () => page.locator('#log-list .row').allTextContents();
    expect((await rows())[0]).toMatch(/worker@2\.0\.0 \[e5e5e5e5\] INFO {2}job completed/);
    expect(await rows()).toHaveLength(100);
    await page.fill('#log-filters input[name=q]', 'provider client');
    await expect
      .poll(rows)
      .toEqual([expect.stringMatching(/payments@3\.2\.0 INFO {2}provider client ready\s*$/)]);
    await page.fill('#log-filters input[name=q]', '');
    await page.selectOption('#log-filters select[name=service]', 'payments');
    await page.selectOption('#log-filters select[name=severity]', '17');
    await expect
      .poll(rows)
      .toEqual([
        expect.stringMatching(/ERROR request completed/),
        expect.stringMatching(/ERROR payment provider timed out/),
      ]);
    // Paging back and forth through all of them.
    await page.goto(`${base}#logs`);
    await page.waitForSelector('#log-list .row');
    const newest = await rows();
    await page.click('#older');
    await expect.poll(async () => (await rows())[0]).not.toBe(newest[0]);
    const older = await rows();
    expect(older.length + newest.length).toBe(store.count());
    expect(older.some((r) => r.includes('INFO  service started'))).toBe(true);
    await page.click('#newer');
    await expect.poll(rows).toEqual(newest);
    await page.close();
  });

  it('moves through the views with the keyboard, focus always visible', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}?at=${at}#overview`);
    await page.waitForSelector('section.service');
    const focused = () =>
      page.evaluate(() => {
        const doc = (
          globalThis as unknown as {
            document: { activeElement: { textContent: string } };
            getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string };
          }
        ).document;
        const style = (
          globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string } }
        ).getComputedStyle(doc.activeElement);
        return `${doc.activeElement.textContent?.trim()} (${style.outlineStyle})`;
      });
    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual([
      'Skip to the view (solid)',
      'Overview (solid)',
      'Traces (solid)',
      'Logs (solid)',
      'Pause (solid)',
      '5 min (solid)',
      '1 h (solid)',
    ]);
    // Enter on a tab opens its view, its heading takes the focus.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('Logs (solid)');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#view-logs:not([hidden])');
    await expect.poll(focused).toMatch(/^Logs /);
    await page.close();
  });

  it('fits 1280×800 and a 375 px phone without scrolling sideways, in every view', async () => {
    const views: [string, string][] = [
      ['overview', `?at=${at}#overview`],
      ['traces', `?at=${at}#traces`],
      ['trace', `#trace=${CHECKOUT}`],
      ['logs', '#logs'],
    ];
    for (const [width, height] of [
      [1280, 800],
      [375, 740],
    ] as const) {
      const page = await browser.newPage({ viewport: { width, height } });
      for (const [view, address] of views) {
        await page.goto(`${base}${address}`);
        await page.waitForSelector(`#view-${view}:not([hidden])`);
        const item = {
          overview: 'section.service',
          traces: 'a.trace',
          trace: '.hop',
          logs: '.row',
        };
        await page.waitForSelector(`#view-${view} ${item[view as keyof typeof item]}`);
        if (view === 'trace') {
          await page
            .locator('#trace-records details.rec')
            .filter({ hasText: 'payment provider timed out' })
            .locator('summary')
            .click();
          await page.waitForSelector('pre.stack');
        }
        if (view === 'logs') await page.locator('#log-list summary').nth(3).click();
        const { scrollWidth, clientWidth, wider } = await overflow(page);
        expect({ view, width, scrollWidth, wider }).toEqual({
          view,
          width,
          scrollWidth: clientWidth,
          wider: [],
        });
        if (SCREENSHOTS && width === 1280) {
          mkdirSync(SCREENSHOTS, { recursive: true });
          await page.screenshot({ path: join(SCREENSHOTS, `page-${view}.png`) });
        }
      }
      await page.close();
    }
  });

  it('shows new records as they arrive, and none while paused', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#logs`);
    await page.waitForSelector('#live[data-state=live]');
    const top = () => page.locator('#log-list .row').first().textContent();
    const send = (body: string) =>
      fetch(receiver.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: otlpJson('live-app', body, NOW + 3_600_000),
      }).then((answer) => expect(answer.status).toBe(200));
    await send('arrived while the page was open');
    await expect.poll(top, { timeout: 5000 }).toContain('arrived while the page was open');
    await page.getByRole('button', { name: 'Pause' }).click();
    expect(await page.locator('#live-state').textContent()).toBe('paused');
    await send('arrived while paused');
    await page.waitForTimeout(1500);
    expect(await top()).toContain('arrived while the page was open');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(top, { timeout: 5000 }).toContain('arrived while paused');
    // The overview follows too: a new service shows up.
    await page.goto(`${base}#overview?window=all`);
    await page.waitForSelector('section.service');
    await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: otlpJson('late-app', 'a service of its own', NOW + 3_600_000),
    });
    await expect
      .poll(() => page.locator('section.service[data-service="late-app"]').count(), {
        timeout: 5000,
      })
      .toBe(1);
    await page.close();
  });
});
