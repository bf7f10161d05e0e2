import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ReceivedRecord, RecordStore } from '../src/index.js';
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
