import { once } from 'node:events';
import { type ClientRequest, get, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevReceiver, RecordStore, startDevReceiver } from '../src/index.js';
import { MAX_EVENT_STREAMS } from '../src/live.js';
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

/** A record as an SDK's JSON exporter sends it. */
function exportOf(body: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'later' } }] },
          scopeLogs: [
            { scope: {}, logRecords: [{ timeUnixNano: '1', body: { stringValue: body } }] },
          ],
        },
      ],
    }),
  );
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
    for (const path of ['/api/traces', '/api/overview', '/api/logs', '/api/events']) {
      expect((await read(path, { origin: 'http://attacker.example' })).status, path).toBe(403);
      expect((await read(path, { origin: 'null' })).status, path).toBe(403);
    }
    expect((await read('/api/traces', { origin })).status).toBe(200);
    // A page's own navigation is no API read: an Origin there changes nothing.
    expect((await read('/', { origin: 'http://attacker.example' })).status).toBe(200);
  });
});

/** An open event stream: its answer, and the events it has sent so far. */
async function openStream(): Promise<{
  request: ClientRequest;
  response: IncomingMessage;
  events: { lastId: number }[];
}> {
  const request = get(`${origin}/api/events`, { agent: false });
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  const events: { lastId: number }[] = [];
  let buffer = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const data = /^data: (.*)$/m.exec(buffer.slice(0, end));
      if (data) events.push(JSON.parse(data[1] as string));
      buffer = buffer.slice(end + 2);
    }
  });
  return { request, response, events };
}

describe('the live stream, /api/events', () => {
  it('says the newest record id on opening, and again soon after records are stored', async () => {
    const stream = await openStream();
    try {
      expect(stream.response.statusCode).toBe(200);
      expect(stream.response.headers['content-type']).toBe('text/event-stream');
      await expect.poll(() => stream.events).toEqual([{ lastId: store.lastId() }]);
      const before = store.lastId();
      for (const body of ['one', 'two', 'three']) {
        await send(receiver.url, 'POST', { 'content-type': 'application/json' }, exportOf(body));
      }
      expect(store.lastId()).toBe(before + 3);
      // Stored records are announced together, not one event each.
      await expect.poll(() => stream.events.at(-1)).toEqual({ lastId: before + 3 });
      expect(stream.events.length).toBeLessThanOrEqual(3);
    } finally {
      stream.request.destroy();
    }
  });

  it(`keeps at most ${MAX_EVENT_STREAMS} streams open, and frees a slot when a page goes`, async () => {
    const streams: Awaited<ReturnType<typeof openStream>>[] = [];
    try {
      for (let i = 0; i < MAX_EVENT_STREAMS; i++) streams.push(await openStream());
      expect(streams.map((s) => s.response.statusCode)).toEqual(Array(MAX_EVENT_STREAMS).fill(200));
      const refused = await read('/api/events');
      expect(refused.status).toBe(503);
      expect(refused.text).toContain('close one');
      streams.pop()?.request.destroy();
      await expect
        .poll(async () => {
          const again = await openStream();
          streams.push(again);
          if (again.response.statusCode !== 200) streams.pop()?.request.destroy();
          return again.response.statusCode;
        })
        .toBe(200);
    } finally {
      for (const s of streams) s.request.destroy();
    }
  });
});
