import { ExportResultCode } from '@opentelemetry/core';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { QUIET } from '@threadline/testing/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { log, startThreadline, type ThreadlineHandle } from '../../src/index.js';
import { endOf, RecordBlocks, SeverityQueue, startOf } from '../../src/internal/queue.js';

let handle: ThreadlineHandle | undefined;
afterEach(async () => {
  await handle?.shutdown(200);
  handle = undefined;
});

/** An exporter standing in for a collector that is down: every export fails as a network error would. */
function downExporter(): LogRecordExporter & { calls: number } {
  const e = {
    calls: 0,
    export(_records: unknown, done: (r: { code: number; error?: Error }) => void) {
      e.calls++;
      const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), {
        code: 'ECONNREFUSED',
      });
      setTimeout(() => done({ code: ExportResultCode.FAILED, error: err }), 1);
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  return e;
}

describe('export queue', () => {
  it('keeps memory bounded and counts drops while 100k records are logged with the collector down', async () => {
    const budget = 4 * 1024 * 1024;
    handle = startThreadline({
      exporter: downExporter(),
      maxQueueBytes: budget,
      ...QUIET,
    });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      log.info('request handled', { 'http.route': '/orders/:id', i, 'user.agent': 'curl/8.5.0' });
    }
    const elapsed = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
    const s = handle.stats();
    expect(s.queuedBytes).toBeLessThanOrEqual(budget);
    expect(s.dropped.queueFull).toBeGreaterThan(0);
    expect(s.accepted + s.dropped.queueFull).toBe(100_000);
    expect(s.queued).toBe(s.accepted);
    global.gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    // The records kept (≤ 4 MiB estimated) cost a few times that on the heap, not 100k records' worth.
    expect(grown).toBeLessThan(budget * 8);
    // The app kept going: 100k log calls, no throw, in well under a second each.
    expect(elapsed).toBeLessThan(20_000);
  });

  it('drops DEBUG and INFO first so that WARN and above survive a flood', async () => {
    handle = startThreadline({
      exporter: downExporter(),
      maxQueueSize: 1000,
      level: 'debug',
      ...QUIET,
    });
    for (let i = 0; i < 50; i++) log.error(`error${i}`);
    for (let i = 0; i < 50; i++) log.warn(`warn${i}`);
    for (let i = 0; i < 5000; i++) log.debug('noise');
    for (let i = 0; i < 5000; i++) log.info('chatter');
    for (let i = 0; i < 20; i++) log.error(`late-error${i}`);
    const s = handle.stats();
    expect(s.queued).toBe(1000);
    expect(s.dropped.bySeverity.error).toBe(0);
    expect(s.dropped.bySeverity.warn).toBe(0);
    expect(s.dropped.bySeverity.debug).toBe(5000);
    // 4100 INFO found the queue full of INFO and WARN+; 20 INFO made room for the late errors.
    expect(s.dropped.bySeverity.info).toBe(4120);
  });
});

describe('the blocks that hold encoded records', () => {
  it('keep copies, one chain of blocks per severity class, and large records apart', () => {
    const blocks = new RecordBlocks();
    /** A copy kept: its block, and its bytes read back from their place. */
    const keep = (bytes: Uint8Array, cls: number) => {
      const place = blocks.copy(bytes, cls);
      const block = blocks.block;
      return { block, text: block.toString('latin1', startOf(place), endOf(block, place)) };
    };
    const scratch = Buffer.from('abc');
    const info1 = keep(scratch, 1);
    const error = keep(scratch, 3);
    scratch.write('xyz');
    const info2 = keep(scratch, 1);
    expect([info1.text, error.text, info2.text]).toEqual(['abc', 'abc', 'xyz']);
    // Records of one class fill a block together; another class never shares it, so an
    // error record cannot keep a block of evicted info records alive.
    expect(info2.block).toBe(info1.block);
    expect(error.block).not.toBe(info1.block);
    // A full block is followed by a new one; a record over half a block has a buffer of its own.
    const half = Buffer.alloc(4096, 1);
    const a = keep(half, 1);
    const b = keep(half, 1);
    expect(a.block).toBe(info1.block);
    expect(a.text).toBe(half.toString('latin1'));
    expect(b.block).not.toBe(info1.block);
    const big = keep(Buffer.alloc(4097, 2), 1);
    expect([big.block === b.block, big.text]).toEqual([false, '\x02'.repeat(4097)]);
    expect(keep(Buffer.from('q'), 1)).toEqual({ block: b.block, text: 'q' });
  });

  it('say what a copy takes besides its bytes: the end of a block it leaves, a buffer of its own', () => {
    const blocks = new RecordBlocks();
    const record = Buffer.alloc(2731, 1);
    // Two fit in a block; the third starts the next one and leaves the end of the first unused,
    // with the first block's objects, until the first block's records have left.
    const costs = [1, 2, 3, 4, 5].map(() => {
      const waste = blocks.waste(record.length, 1);
      blocks.copy(record, 1);
      return waste;
    });
    const left = 8192 - 2 * 2731;
    expect(costs).toEqual([0, 0, left + 256, 0, left + 256]);
    // Another class has blocks of its own.
    expect(blocks.waste(2731, 3)).toBe(0);
    // A record over half a block gets a buffer of its own, whose allocation costs more than it.
    expect(blocks.waste(4097, 1)).toBe(512 + 512);
    expect(blocks.waste(20_000, 1)).toBe(512 + 2500);
  });
});

describe('taking a batch', () => {
  /** A queue of records of the given classes, each its own index, as an object. */
  const queueOf = (classes: number[]) => {
    const q = new SeverityQueue();
    classes.forEach((cls, i) => {
      q.push({ i } as never, i, 10 + i, cls);
    });
    return q;
  };
  const indexes = (records: unknown[]) => records.map((r) => (r as { i: number }).i);

  it('takes records in the order they were written, across classes, in runs of one class', () => {
    // Runs of INFO broken by a WARN and an ERROR, then a long run of one class.
    const classes = [1, 1, 1, 2, 1, 1, 3, 3, 1, ...Array<number>(20).fill(1), 0, 1];
    const q = queueOf(classes);
    const taken: number[] = [];
    const batches: number[][] = [];
    while (q.count > 0) {
      const before = { count: q.count, bytes: q.bytes };
      const b = q.take(7);
      batches.push(indexes(b.records));
      taken.push(...indexes(b.records));
      // Every column of the batch describes the same records.
      expect(b.places).toEqual(indexes(b.records));
      expect(b.sizes).toEqual(b.places.map((i) => 10 + i));
      expect(b.seqs).toEqual(b.places);
      expect(b.classes).toEqual(b.places.map((i) => classes[i]));
      expect(b.bytes).toBe(b.sizes.reduce((a, n) => a + n, 0));
      expect({ count: q.count, bytes: q.bytes }).toEqual({
        count: before.count - b.records.length,
        bytes: before.bytes - b.bytes,
      });
    }
    expect(taken).toEqual(classes.map((_, i) => i));
    expect(batches.map((b) => b.length)).toEqual([7, 7, 7, 7, 3]);
    expect(q.bytes).toBe(0);
  });

  it('lets go of the records it took (the queue holds no reference to them)', () => {
    const q = queueOf(Array<number>(10).fill(1));
    expect(indexes(q.take(4).records)).toEqual([0, 1, 2, 3]);
    const info = (q as unknown as { classes: Array<{ records: unknown[] }> }).classes[1];
    expect(info?.records.slice(0, 5).map((r) => r !== undefined)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  /** The arrays of the queue's INFO class. */
  const infoArrays = (q: SeverityQueue) => {
    const d = (q as unknown as { classes: Array<Record<string, unknown[]>> }).classes[1];
    return d as { records: unknown[]; places: number[]; sizes: number[]; seqs: number[] };
  };

  it('keeps its arrays from batch to batch: entries written again from the start, none held', () => {
    // Arrays made anew each batch lived long enough to be promoted, and the
    // old generation's collections ran on the server's core.
    const q = new SeverityQueue();
    for (let i = 0; i < 2048; i++) q.push({ i } as never, i, 10, 1);
    const arrays = { ...infoArrays(q) };
    expect(indexes(q.take(2048).records)).toHaveLength(2048);
    for (let i = 0; i < 100; i++) q.push({ i: 5000 + i } as never, i, 10, 1);
    const now = infoArrays(q);
    expect(now.records).toBe(arrays.records);
    expect(now.places).toBe(arrays.places);
    expect(now.sizes).toBe(arrays.sizes);
    expect(now.seqs).toBe(arrays.seqs);
    expect(indexes(q.take(2048).records)).toEqual([...Array(100).keys()].map((i) => 5000 + i));
    expect(now.records.every((r) => r === undefined)).toBe(true);
  });

  /** Entries `from` to `to` (exclusive) as the queue holds them: record, place, size, sequence. */
  const entries = (from: number, to: number) =>
    [...Array(to - from).keys()].map((k) => {
      const i = from + k;
      return { i, place: i * 3, size: 1 + (i % 7), seq: i };
    });
  /** Every column of a batch, as entries. */
  const columns = (b: ReturnType<SeverityQueue['take']>) =>
    b.records.map((r, k) => ({
      i: (r as unknown as { i: number }).i,
      place: b.places[k],
      size: b.sizes[k],
      seq: b.seqs[k],
    }));
  const fill = (q: SeverityQueue, from: number, to: number) => {
    for (const e of entries(from, to)) q.push({ i: e.i } as never, e.place, e.size, 1);
  };

  it('moves what is left to the front of its arrays, every column in order, and lets go of a backlog’s arrays', () => {
    const q = new SeverityQueue();
    fill(q, 0, 12_000);
    const arrays = infoArrays(q).records;
    expect(columns(q.take(7000))).toEqual(entries(0, 7000));
    // The released front (7,000) is most of the arrays: the rest moved to the front.
    expect(infoArrays(q).records).toBe(arrays);
    expect(indexes(arrays.slice(0, 5000))).toEqual([...Array(5000).keys()].map((i) => 7000 + i));
    expect(arrays.slice(5000).every((r) => r === undefined)).toBe(true);
    fill(q, 12_000, 30_000);
    const rest = q.take(100_000);
    expect(columns(rest)).toEqual(entries(7000, 30_000));
    expect(rest.bytes).toBe(entries(7000, 30_000).reduce((a, e) => a + e.size, 0));
    expect({ count: q.count, bytes: q.bytes }).toEqual({ count: 0, bytes: 0 });
    // 23,000 entries grew them past what an emptied class keeps.
    expect(infoArrays(q).records).toHaveLength(0);
  });

  it('lets go of a backlog’s arrays when it moves what is left, even if it never empties', () => {
    // Under steady traffic a class may never empty after an outage's backlog.
    const q = new SeverityQueue();
    fill(q, 0, 30_000);
    expect(columns(q.take(29_000))).toEqual(entries(0, 29_000));
    expect(infoArrays(q).records).toHaveLength(1000);
    expect(infoArrays(q).places).toHaveLength(1000);
    fill(q, 30_000, 30_001);
    expect(columns(q.take(100_000))).toEqual(entries(29_000, 30_001));
    expect(q.bytes).toBe(0);
  });

  it('evicts from arrays written again at the front, and moves what is left after evictions', () => {
    // Evictions (shift) go through the same moves as a batch taken.
    const q = new SeverityQueue();
    fill(q, 0, 3000);
    q.take(3000);
    fill(q, 3000, 9000);
    const evicted: number[] = [];
    // A WARN needs room: 5,000 INFO entries are evicted, oldest first.
    expect(
      q.makeRoom(
        2,
        1,
        q.bytes + 1 - entries(3000, 8000).reduce((a, e) => a + e.size, 0),
        1e9,
        0,
        0,
        evicted,
      ),
    ).toBe(true);
    expect(evicted[1]).toBe(5000);
    expect(columns(q.take(100_000))).toEqual(entries(8000, 9000));
    expect({ count: q.count, bytes: q.bytes }).toEqual({ count: 0, bytes: 0 });
  });

  it('after a batch is put back, takes it again first, in order', () => {
    const q = queueOf([1, 2, 1, 1, 3, 1]);
    const first = q.take(4);
    q.putBack(first);
    expect(indexes(q.take(10).records)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
