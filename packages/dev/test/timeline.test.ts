import { describe, expect, it } from 'vitest';
import { RecordStore, type StoredRecord } from '../src/index.js';
import { traceHops } from '../src/timeline.js';
import { CHECKOUT, RECEIPT_1, story } from './page-story.js';

describe('traceHops', () => {
  it('gives each hop of a trace its kind, name, outcome, times and depth, a hop then those under it', () => {
    const store = new RecordStore(':memory:');
    try {
      store.add(story());
      const hops = traceHops(store.trace(CHECKOUT));
      expect(
        hops.map((h) => [h.service, h.kind, h.name, h.outcome, h.depth, h.durationMs, h.records]),
      ).toEqual([
        ['orders', 'request', 'POST /checkout', '502', 0, 425, 3],
        ['inventory', 'request', 'GET /reserve/:sku', '200', 1, 4.2, 2],
        ['payments', 'request', 'POST /charge', '504', 1, 405, 3],
        ['worker', 'job', 'job receipts #77 attempt 1', 'failed, to be retried', 1, 30, 3],
        ['worker', 'job', 'job receipts #77 attempt 2', 'completed', 1, 25, 3],
      ]);
      // The request's start is its last line's time less the duration it states: 1 ms before
      // its first record, so the earliest hop starts at 0 and the trace's first record at 1.
      const [orders, inventory, , attempt1, attempt2] = hops;
      expect([orders?.startMs, orders?.endMs]).toEqual([0, 425]);
      expect(inventory?.startMs).toBeCloseTo(4.8, 6);
      expect(inventory?.endMs).toBe(9);
      expect([attempt1?.startMs, attempt1?.endMs]).toEqual([441, 471]);
      expect(attempt2?.parentSpanId).toBe(orders?.spanId);
      expect(attempt2?.traceId).not.toBe(CHECKOUT);
      expect(orders?.maxSeverity).toBe(17);
      // A job attempt's trace alone: its hop has nothing above it.
      expect(traceHops(store.trace(RECEIPT_1)).map((h) => [h.depth, h.parentSpanId])).toEqual([
        [0, ''],
      ]);
    } finally {
      store.close();
    }
  });

  it('keeps hops whose parents make a cycle, and records with no span, once each', () => {
    const record = (i: number, spanId: string, parentSpanId: string): StoredRecord => ({
      id: i,
      timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
      severityNumber: 9,
      severityText: '',
      body: `line ${i}`,
      attributes: {},
      resource: {},
      scope: 's',
      traceId: 'ab'.repeat(16),
      spanId,
      parentSpanId,
      linkTraceId: '',
      service: 'svc',
      serviceVersion: '',
    });
    const a = 'a'.repeat(16);
    const b = 'b'.repeat(16);
    const hops = traceHops([record(1, a, b), record(2, b, a), record(3, '', ''), record(4, a, b)]);
    expect(hops.map((h) => [h.spanId, h.depth, h.records, h.kind, h.name])).toEqual([
      [b, 0, 1, 'other', ''],
      [a, 1, 2, 'other', ''],
      ['', 0, 1, 'other', ''],
    ]);
    expect(traceHops([])).toEqual([]);
  });
});
