import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevReceiver, RecordStore, startDevReceiver } from '../src/index.js';
import { send } from './http.js';
import { NOW, scenario } from './overview-scenario.js';
import { CHECKOUT, story } from './page-story.js';

let store: RecordStore;
let receiver: DevReceiver;
let origin: string;
beforeAll(async () => {
  store = new RecordStore(':memory:');
  store.add(scenario());
  store.add(story());
  receiver = await startDevReceiver({ store, port: 0 });
  origin = receiver.url.replace('/v1/logs', '');
});
afterAll(async () => {
  await receiver.close();
  store.close();
});

async function read(path: string, headers: Record<string, string> = {}) {
  const answer = await send(`${origin}${path}`, 'GET', headers);
  const text = answer.body.toString();
  return { status: answer.status, text, json: () => JSON.parse(text) };
}

describe('the page’s JSON API', () => {
  it('answers /api/overview with the overview `threadline status --json` prints, for a window ending --at', async () => {
    const at = new Date(NOW).toISOString();
    for (const [window, windowMs] of [
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['all', undefined],
    ] as const) {
      const answer = await read(`/api/overview?window=${window}&at=${at}`);
      expect(answer.json()).toEqual(
        JSON.parse(JSON.stringify(store.overview({ now: NOW, windowMs }))),
      );
    }
    const now = (await read('/api/overview')).json();
    expect(now.windowMs).toBe(3_600_000);
    expect(Math.abs(now.now - Date.now())).toBeLessThan(60_000);
    expect(await read('/api/overview?window=soon')).toMatchObject({
      status: 400,
      text: expect.stringContaining('window must be'),
    });
    expect((await read('/api/overview?at=noon')).status).toBe(400);
  });

  it('filters /api/traces by route, method, status class, time, errors first, and names the routes', async () => {
    const ids = async (query: string) =>
      ((await read(`/api/traces?${query}`)).json().traces as { traceId: string }[]).map(
        (t) => t.traceId,
      );
    const failed = await ids(
      `route=/checkout&method=POST&status=5xx&from=${NOW - 3_600_000}&to=${NOW}&limit=500`,
    );
    expect(failed).toHaveLength(5);
    expect(failed[0]).toBe(CHECKOUT);
    expect(await ids(`status=5xx&from=${NOW - 3 * 60_000}&to=${NOW}`)).toEqual([CHECKOUT]);
    const newest = await ids('errorsFirst=0&limit=2');
    const errorsFirst = await ids('limit=2');
    expect(newest).not.toEqual(errorsFirst);
    expect(await ids('limit=1')).toHaveLength(1);
    expect(await ids('limit=100000')).toHaveLength(store.traces({ limit: 1000 }).length);
    const { facets } = (await read('/api/traces?limit=1')).json();
    expect(facets.routes).toContainEqual({ method: 'GET', route: '/reserve/:sku' });
    expect(facets.services).toEqual(['inventory', 'orders', 'payments', 'worker']);
    expect((await read('/api/traces?status=500')).status).toBe(400);
    expect((await read('/api/traces?from=yesterday')).status).toBe(400);
  });

  it('pages /api/logs newest first, and follows with after', async () => {
    const first = (await read('/api/logs?limit=3')).json();
    expect(first.records.map((r: { body: string }) => r.body)).toEqual([
      'job completed',
      'receipt sent',
      'job started',
    ]);
    expect(first.facets.services).toContain('payments');
    const second = (await read(`/api/logs?limit=3&before=${first.nextBeforeId}`)).json();
    expect(second.records[0].body).toBe('job failed');
    const untraced = (await read('/api/logs?service=payments&q=client%20ready')).json();
    expect(
      untraced.records.map((r: { traceId: string; body: string }) => [r.traceId, r.body]),
    ).toEqual([['', 'provider client ready']]);
    const top = first.records[0].id;
    expect((await read(`/api/logs?after=${top}`)).json().records).toEqual([]);
  });

  it('answers /api/traces/:id with the records, each with its hop depth, and the hops', async () => {
    const { records, hops } = (await read(`/api/traces/${CHECKOUT}`)).json();
    expect(records).toHaveLength(14);
    expect(records.map((r: { depth: number }) => r.depth)).toEqual([
      0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1,
    ]);
    expect(hops.map((h: { name: string }) => h.name)).toEqual([
      'POST /checkout',
      'GET /reserve/:sku',
      'POST /charge',
      'job receipts #77 attempt 1',
      'job receipts #77 attempt 2',
    ]);
  });

  it('refuses reads of the API from another site’s page (its Origin), as it refuses its POSTs', async () => {
    for (const path of ['/api/traces', '/api/overview', '/api/logs']) {
      expect((await read(path, { origin: 'http://attacker.example' })).status, path).toBe(403);
      expect((await read(path, { origin: 'null' })).status, path).toBe(403);
    }
    expect((await read('/api/traces', { origin })).status).toBe(200);
    // A page's own navigation is no API read: an Origin there changes nothing.
    expect((await read('/', { origin: 'http://attacker.example' })).status).toBe(200);
  });
});
