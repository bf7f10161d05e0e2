import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ReceivedRecord, RecordStore } from '../src/index.js';
import { LOG_SCAN_ROWS } from '../src/store.js';
import { NOW, scenario } from './overview-scenario.js';
import { CHECKOUT, RECEIPT_1, RECEIPT_2, story } from './page-story.js';

const MIN = 60_000;
let store: RecordStore;
beforeEach(() => {
  store = new RecordStore(':memory:');
});
afterEach(() => store.close());

/** A record of its own trace (or of none), at `atMs`. */
function record(atMs: number, body: string, traceId = '', severityNumber = 9): ReceivedRecord {
  return {
    resource: { 'service.name': 'svc' },
    scope: { name: 's' },
    timeUnixNano: String(BigInt(atMs) * 1_000_000n),
    observedTimeUnixNano: '0',
    severityNumber,
    severityText: '',
    body,
    attributes: {},
    traceId,
    spanId: traceId ? '01'.repeat(8) : '',
    flags: 1,
    eventName: '',
    droppedAttributesCount: 0,
  };
}

describe('the trace list’s filters', () => {
  it('finds traces by their outermost request’s route, method and status class, and by time, newest first', () => {
    const records = scenario();
    store.add(records);
    store.add(story());
    const traceOf = (pick: (r: ReceivedRecord) => boolean) =>
      records
        .filter(pick)
        .map((r) => r.traceId)
        .reverse();
    const status = (r: ReceivedRecord) => Number(r.attributes['http.response.status_code']);
    const ids = (filters: Parameters<RecordStore['traces']>[0]) =>
      store.traces({ limit: 500, ...filters }).map((t) => t.traceId);

    // POST /checkout answered 5xx: the story's checkout, then the scenario's, newest first.
    const failedCheckouts = traceOf(
      (r) => r.attributes['http.route'] === '/checkout' && status(r) >= 500,
    );
    expect(ids({ route: '/checkout', statusClass: 5 })).toEqual([CHECKOUT, ...failedCheckouts]);
    expect(ids({ route: '/checkout', method: 'GET' })).toEqual([]);
    // 404s are the two GETs of 1.4.0; errors first puts nothing before them (they are WARN).
    expect(ids({ statusClass: 4 })).toEqual(traceOf((r) => status(r) === 404));
    // The last five minutes: the 8 newest checkouts (one a 503) and the story's traces.
    const recent = ids({ fromMs: NOW - 5 * MIN, toMs: NOW });
    expect(recent.slice(0, 4)).toEqual([RECEIPT_1, CHECKOUT, failedCheckouts[0], RECEIPT_2]);
    expect(recent).toHaveLength(3 + 8);
    // A trace is as old as its newest record: the checkout ended 424 ms after it began.
    expect(ids({ fromMs: NOW - 2 * MIN + 1, toMs: NOW - 2 * MIN + 424 })).toEqual([CHECKOUT]);
    expect(ids({ fromMs: NOW - 2 * MIN, toMs: NOW - 2 * MIN + 423 })).toEqual([]);
  });

  it('puts errors first unless asked for the newest first', () => {
    store.add([record(NOW, 'failed', 'a'.repeat(32), 17), record(NOW + 1, 'fine', 'b'.repeat(32))]);
    expect(store.traces().map((t) => t.traceId)).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    expect(store.traces({ errorsFirst: false }).map((t) => t.traceId)).toEqual([
      'b'.repeat(32),
      'a'.repeat(32),
    ]);
    expect(store.traces({ errorsFirst: false, text: 'f' }).map((t) => t.traceId)).toEqual([
      'b'.repeat(32),
      'a'.repeat(32),
    ]);
  });
});

describe('the logs', () => {
  it('list every record, traced or not, newest first, filtered by service, level and text', () => {
    store.add(scenario());
    store.add(story());
    const all = store.logs({ limit: 500 });
    expect(all.records).toHaveLength(store.count());
    expect(all.nextBeforeId).toBeUndefined();
    expect(all.records.map((r) => r.id)).toEqual(
      [...all.records.map((r) => r.id)].sort((a, b) => b - a),
    );
    expect(all.records[0]?.body).toBe('job completed');
    const bodies = (filters: Parameters<RecordStore['logs']>[0]) =>
      store.logs(filters).records.map((r) => `${r.service} ${r.body}`);
    expect(bodies({ service: 'payments' })).toEqual([
      'payments request completed',
      'payments payment provider timed out',
      'payments charging card',
      'payments provider client ready',
      'payments service started',
    ]);
    expect(bodies({ service: 'payments', minSeverity: 17 })).toHaveLength(2);
    // Text in the message, in an attribute, or a whole trace id.
    expect(bodies({ text: 'client ready' })).toEqual(['payments provider client ready']);
    expect(bodies({ text: 'acme-pay' })).toEqual(['payments provider client ready']);
    expect(bodies({ text: RECEIPT_2 })).toEqual([
      'worker job completed',
      'worker receipt sent',
      'worker job started',
    ]);
    // LIKE's wildcards are plain characters.
    expect(bodies({ text: '%' })).toEqual([]);
  });

  it('pages back with nextBeforeId and follows with afterId', () => {
    store.add(Array.from({ length: 25 }, (_, i) => record(NOW + i, `line ${i}`)));
    const first = store.logs({ limit: 10 });
    expect(first.records.map((r) => r.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `line ${24 - i}`),
    );
    const second = store.logs({ limit: 10, beforeId: first.nextBeforeId });
    expect(second.records[0]?.body).toBe('line 14');
    const third = store.logs({ limit: 10, beforeId: second.nextBeforeId });
    expect(third.records.map((r) => r.body)).toEqual(
      Array.from({ length: 5 }, (_, i) => `line ${4 - i}`),
    );
    expect(third.nextBeforeId).toBeUndefined();
    const newest = first.records[0]?.id as number;
    expect(store.lastId()).toBe(newest);
    expect(store.logs({ afterId: newest }).records).toEqual([]);
    store.add([record(NOW + 99, 'new one')]);
    expect(store.logs({ afterId: newest }).records.map((r) => r.body)).toEqual(['new one']);
    expect(new RecordStore(':memory:').logs()).toEqual({ records: [], nextBeforeId: undefined });
  });

  it('reads at most LOG_SCAN_ROWS records a call, and says where to go on', () => {
    const needle = record(NOW, 'the needle');
    const hay = Array.from({ length: 2_000 }, (_, i) => record(NOW + i, 'hay'));
    store.add([needle]);
    for (let i = 0; i < LOG_SCAN_ROWS; i += hay.length) store.add(hay);
    const page = store.logs({ text: 'needle' });
    expect(page.records).toEqual([]);
    // The next page starts at the oldest record read; it holds the needle.
    expect(page.nextBeforeId).toBe(store.lastId() - LOG_SCAN_ROWS + 1);
    const next = store.logs({ text: 'needle', beforeId: page.nextBeforeId });
    expect(next.records.map((r) => r.body)).toEqual(['the needle']);
    expect(next.nextBeforeId).toBeUndefined();
  }, 60_000);
});

describe('the routes', () => {
  it('names each method and route requests were answered on', () => {
    store.add(scenario());
    expect(store.routes()).toEqual([
      { method: 'POST', route: '/checkout' },
      { method: 'GET', route: '/orders/:id' },
    ]);
  });
});
