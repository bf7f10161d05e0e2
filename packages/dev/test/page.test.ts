import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevReceiver,
  type ReceivedRecord,
  RecordStore,
  startDevReceiver,
} from '../src/index.js';

// Debian's chromium (apt-get install chromium); no browser download.
const CHROMIUM = '/usr/bin/chromium';

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

let store: RecordStore;
let receiver: DevReceiver;
let browser: Browser;
let base: string;

beforeAll(async () => {
  store = new RecordStore(':memory:');
  const a = 'a'.repeat(16);
  const b = 'b'.repeat(16);
  store.add([
    rec(OK, a, 'orders', '1.0.0', 9, 'checkout started'),
    rec(FAILED, a, 'orders', '1.0.0', 9, 'checkout started', { 'http.request.method': 'POST' }),
    rec(FAILED, b, 'inventory', '1.0.0', 13, 'request failed', { 'threadline.parent_span_id': a }),
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
    ),
  ]);
  store.add([
    rec(ODD, 'd'.repeat(16), 'odd', '1.0.0', 9, 'a map from a log', {
      'http.route': JSON.parse('{"toString":"x"}'),
      'threadline.parent_span_id': 'd'.repeat(16),
    }),
  ]);
  receiver = await startDevReceiver({ store, port: 0 });
  base = receiver.url.replace('/v1/logs', '/');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`,
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
  await receiver?.close();
  store?.close();
});

describe('the page of threadline dev, in headless Chromium', { timeout: 30_000 }, () => {
  it('lists traces with errors first and shows one trace’s timeline, hops indented', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.waitForSelector('.trace');
    const ids = await page
      .locator('.trace')
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: { trace?: string } }).dataset.trace),
      );
    expect(ids[0]).toBe(FAILED);
    expect(new Set(ids)).toEqual(new Set([OK, FAILED, WORKER, ODD]));
    await page.locator(`.trace[data-trace="${FAILED}"]`).click();
    await page.waitForSelector('.row');
    const rows = await page.locator('.row').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/orders@1\.0\.0 \[aaaaaaaa\] INFO {2}checkout started {2}method=POST/);
    // The inventory hop is indented under the orders hop.
    expect(rows[1]).toMatch(/^\S+ {3}inventory@1\.0\.0 \[bbbbbbbb\] WARN/);
    expect(rows[2]).toMatch(/ERROR request completed {2}status=502/);
    expect(await page.locator('.row.error').count()).toBe(1);
    await page.close();
  });

  it('filters by service, severity, deploy version and text', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.waitForSelector('.trace');
    const listed = () =>
      page
        .locator('.trace')
        .evaluateAll((els) =>
          els.map((e) => (e as unknown as { dataset: { trace?: string } }).dataset.trace),
        );
    await page.selectOption('select[name=service]', 'inventory');
    await expect.poll(listed).toEqual([FAILED]);
    await page.selectOption('select[name=service]', '');
    await page.selectOption('select[name=version]', '2.0.0');
    await expect.poll(listed).toEqual([WORKER]);
    await page.selectOption('select[name=version]', '');
    await page.selectOption('select[name=severity]', '17');
    await expect.poll(listed).toEqual([FAILED]);
    await page.selectOption('select[name=severity]', '0');
    await page.fill('input[name=q]', 'shipped');
    await expect.poll(listed).toEqual([WORKER]);
    await page.close();
  });

  it('shows what a log says as text, never as markup', async () => {
    const page = await browser.newPage();
    const answer = await page.goto(`${base}#trace=${WORKER}`);
    // Only the page's own script and style run, named by their hashes: no inline script else.
    const policy = answer?.headers()['content-security-policy'] ?? '';
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(policy).not.toContain('unsafe-inline');
    await page.waitForSelector('.row');
    expect(await page.locator('.row').first().textContent()).toContain('<img src=x onerror=');
    expect(await page.locator('#detail img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    await page.close();
  });

  it('shows a stored map with keys such as toString as JSON text', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#trace=${ODD}`);
    await page.waitForSelector('.row');
    expect(await page.locator('.row').first().textContent()).toMatch(
      /a map from a log {2}route=\{"toString":"x"\}/,
    );
    await page.close();
  });

  it('refuses a page and API calls under a name that is not loopback (DNS rebinding)', async () => {
    const page = await browser.newPage();
    const port = new URL(base).port;
    // The page a rebinding attacker serves would run as http://rebind.test:<port>/.
    const answer = await page.goto(`http://${REBOUND}:${port}/`);
    expect(answer?.status()).toBe(403);
    const fromRebound = await page.evaluate(async () => {
      const list = await fetch('/api/traces');
      const post = await fetch('/v1/logs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { list: list.status, listBody: await list.text(), post: post.status };
    });
    expect(fromRebound).toEqual({
      list: 403,
      listBody: expect.not.stringContaining('traceId'),
      post: 403,
    });
    // The same page under 127.0.0.1 works.
    expect((await page.goto(base))?.status()).toBe(200);
    await page.close();
  });
});
