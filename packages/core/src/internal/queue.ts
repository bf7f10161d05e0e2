/**
 * The export queue: bounded by estimated bytes and by count, split by severity
 * class so that when it is full the least severe records go first and WARN and
 * above survive a flood of DEBUG and INFO. Records keep their arrival order
 * (a sequence number) across classes.
 */

import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SEVERITY_NUMBER } from '../severity.js';

/**
 * A queued record: as an object, or encoded when it was written (see
 * RecordEncoder), then as the block of memory that holds its bytes, with
 * its place in that block beside it (see RecordBlocks).
 */
export type QueuedRecord = ReadableLogRecord | Uint8Array;

/** The place of a record that is a whole buffer, or an object. */
export const WHOLE = -1;

/** Severity classes, lowest first: trace/debug, info (and unspecified), warn, error/fatal. */
export const SEVERITY_CLASSES = ['debug', 'info', 'warn', 'error'] as const;
export type SeverityClass = (typeof SEVERITY_CLASSES)[number];

export function severityClass(severityNumber: number | undefined): number {
  if (severityNumber === undefined || severityNumber === 0) return 1;
  if (severityNumber < SEVERITY_NUMBER.info) return 0;
  if (severityNumber < SEVERITY_NUMBER.warn) return 1;
  if (severityNumber < SEVERITY_NUMBER.error) return 2;
  return 3;
}

/**
 * The most entries a class's arrays keep when it empties: a few batches'
 * worth; the arrays a backlog grew are let go.
 */
const KEPT_ENTRIES = 16384;

class Deque {
  records: QueuedRecord[] = [];
  places: number[] = [];
  sizes: number[] = [];
  seqs: number[] = [];
  head = 0;
  /**
   * Where the entries end: the arrays are kept from batch to batch, not made
   * anew (made anew, they lived long enough to be promoted).
   */
  tail = 0;
  /** Sum of `sizes` from `head` on. */
  bytes = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(record: QueuedRecord, place: number, size: number, seq: number): void {
    const t = this.tail++;
    this.records[t] = record;
    this.places[t] = place;
    this.sizes[t] = size;
    this.seqs[t] = seq;
    this.bytes += size;
  }

  /**
   * Puts entries back (given in ascending sequence order), merged by sequence
   * number with what is queued: batches that failed in any order come back in
   * the order they were written. Linear in the queue's length, once per
   * failed export.
   */
  putBack(batch: Batch, indexes: number[]): void {
    const records: QueuedRecord[] = [];
    const places: number[] = [];
    const sizes: number[] = [];
    const seqs: number[] = [];
    let j = this.head;
    const end = this.tail;
    for (const i of indexes) {
      const seq = batch.seqs[i] as number;
      // Queued entries older than this one (put back by another batch) go first.
      while (j < end && (this.seqs[j] as number) < seq) {
        records.push(this.records[j] as QueuedRecord);
        places.push(this.places[j] as number);
        sizes.push(this.sizes[j] as number);
        seqs.push(this.seqs[j] as number);
        j++;
      }
      records.push(batch.records[i] as QueuedRecord);
      places.push(batch.places[i] as number);
      sizes.push(batch.sizes[i] as number);
      seqs.push(seq);
      this.bytes += batch.sizes[i] as number;
    }
    this.records = j < end ? records.concat(this.records.slice(j, end)) : records;
    this.places = j < end ? places.concat(this.places.slice(j, end)) : places;
    this.sizes = j < end ? sizes.concat(this.sizes.slice(j, end)) : sizes;
    this.seqs = j < end ? seqs.concat(this.seqs.slice(j, end)) : seqs;
    this.head = 0;
    this.tail = this.records.length;
  }

  headSeq(): number {
    return this.length > 0 ? (this.seqs[this.head] as number) : Number.POSITIVE_INFINITY;
  }

  /** Removes the oldest entry (evicted) and returns its size. */
  shift(): number {
    const i = this.head;
    const size = this.sizes[i] as number;
    // Release the reference now: an evicted record must be collectable.
    (this.records as unknown[])[i] = undefined;
    this.head++;
    this.bytes -= size;
    this.compact();
    return size;
  }

  /**
   * Moves the oldest entries into `out`, as one run: the oldest, then up to
   * `max` in all of those with a sequence number below `before` (the oldest
   * entry of the other classes). The deque must not be empty and `max` at
   * least 1. Returns how many; their bytes leave `bytes`.
   */
  takeRun(out: Batch, cls: number, max: number, before: number): number {
    const h = this.head;
    const last = Math.min(this.tail, h + max);
    const seqs = this.seqs;
    const sizes = this.sizes;
    // The oldest entry always goes: every call takes at least one.
    let e = h + 1;
    let bytes = sizes[h] as number;
    while (e < last && (seqs[e] as number) < before) bytes += sizes[e++] as number;
    out.addRun(this, h, e, cls, bytes);
    // Release the references now: an exported record must be collectable.
    (this.records as unknown[]).fill(undefined, h, e);
    this.head = e;
    this.bytes -= bytes;
    this.compact();
    return e - h;
  }

  /**
   * Moves the entries to the front of the arrays once they are empty or the
   * released front is most of them. Arrays a backlog grew past
   * `KEPT_ENTRIES` are sliced instead, to let them go: a class that never
   * quite empties under steady traffic would keep them for good.
   */
  private compact(): void {
    const { head, tail } = this;
    if (head !== tail && (head <= 4096 || head * 2 <= tail)) return;
    if (this.records.length > KEPT_ENTRIES) {
      this.records = this.records.slice(head, tail);
      this.places = this.places.slice(head, tail);
      this.sizes = this.sizes.slice(head, tail);
      this.seqs = this.seqs.slice(head, tail);
    } else {
      const { records, places, sizes, seqs } = this;
      for (let from = head, to = 0; from < tail; from++, to++) {
        records[to] = records[from] as QueuedRecord;
        places[to] = places[from] as number;
        sizes[to] = sizes[from] as number;
        seqs[to] = seqs[from] as number;
      }
      // The entries' old places that were not written over: let them go.
      records.fill(undefined as never, Math.max(head, tail - head), tail);
    }
    this.head = 0;
    this.tail = tail - head;
  }
}

/** Records taken out of the queue for one export, with what is needed to put them back. */
export class Batch {
  records: QueuedRecord[] = [];
  places: number[] = [];
  sizes: number[] = [];
  seqs: number[] = [];
  classes: number[] = [];
  bytes = 0;

  /** Entries [from, to) of `d`, all of class `cls`, `bytes` in all: copied as slices, not one by one. */
  addRun(d: Deque, from: number, to: number, cls: number, bytes: number): void {
    if (this.records.length === 0) {
      this.records = d.records.slice(from, to);
      this.places = d.places.slice(from, to);
      this.sizes = d.sizes.slice(from, to);
      this.seqs = d.seqs.slice(from, to);
      this.classes = new Array<number>(to - from).fill(cls);
    } else {
      for (let i = from; i < to; i++) {
        this.records.push(d.records[i] as QueuedRecord);
        this.places.push(d.places[i] as number);
        this.sizes.push(d.sizes[i] as number);
        this.seqs.push(d.seqs[i] as number);
        this.classes.push(cls);
      }
    }
    this.bytes += bytes;
  }
}

export class SeverityQueue {
  private readonly classes: Deque[] = [new Deque(), new Deque(), new Deque(), new Deque()];
  private seq = 0;
  /** Records and bytes waiting (not in flight). */
  count = 0;
  bytes = 0;

  /**
   * Evicts queued records of a class lower than `cls`, oldest first, until
   * `needBytes` fit under `maxBytes` and one more record under `maxCount`
   * (counting `reservedBytes`/`reservedCount` held elsewhere, e.g. in flight).
   * Adds the evicted count per class to `evicted` and returns true when the
   * record fits. When even evicting every lower record could not make room,
   * nothing is evicted and it returns false: the caller drops the incoming
   * record.
   */
  makeRoom(
    cls: number,
    needBytes: number,
    maxBytes: number,
    maxCount: number,
    reservedBytes: number,
    reservedCount: number,
    evicted: number[],
  ): boolean {
    let lowerBytes = 0;
    let lowerCount = 0;
    for (let lower = 0; lower < cls; lower++) {
      const d = this.classes[lower] as Deque;
      lowerBytes += d.bytes;
      lowerCount += d.length;
    }
    if (
      this.bytes - lowerBytes + reservedBytes + needBytes > maxBytes ||
      this.count - lowerCount + reservedCount + 1 > maxCount
    ) {
      return false;
    }
    for (let lower = 0; lower < cls; lower++) {
      const d = this.classes[lower] as Deque;
      while (
        d.length > 0 &&
        (this.bytes + reservedBytes + needBytes > maxBytes ||
          this.count + reservedCount + 1 > maxCount)
      ) {
        this.bytes -= d.shift();
        this.count--;
        evicted[lower] = (evicted[lower] ?? 0) + 1;
      }
    }
    return (
      this.bytes + reservedBytes + needBytes <= maxBytes &&
      this.count + reservedCount + 1 <= maxCount
    );
  }

  /** The sequence number the next record will get. */
  get nextSeq(): number {
    return this.seq;
  }

  /** The sequence number of the oldest queued record (Infinity when empty). */
  oldestSeq(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const d of this.classes) oldest = Math.min(oldest, d.headSeq());
    return oldest;
  }

  push(record: QueuedRecord, place: number, size: number, cls: number): void {
    (this.classes[cls] as Deque).push(record, place, size, this.seq++);
    this.count++;
    this.bytes += size;
  }

  /**
   * Takes up to `max` records in arrival order across classes: runs of one
   * class at a time, up to the oldest record of the others.
   */
  take(max: number): Batch {
    const batch = new Batch();
    const c = this.classes;
    while (batch.records.length < max && this.count > 0) {
      let best = 0;
      let bestSeq = (c[0] as Deque).headSeq();
      let nextSeq = Number.POSITIVE_INFINITY;
      for (let i = 1; i < 4; i++) {
        const s = (c[i] as Deque).headSeq();
        if (s < bestSeq) {
          nextSeq = bestSeq;
          best = i;
          bestSeq = s;
        } else if (s < nextSeq) nextSeq = s;
      }
      const d = c[best] as Deque;
      const bytes = d.bytes;
      this.count -= d.takeRun(batch, best, max - batch.records.length, nextSeq);
      this.bytes -= bytes - d.bytes;
    }
    return batch;
  }

  /** Puts a batch back where its records were, by sequence number (after a transient failure). */
  putBack(batch: Batch): void {
    const byClass: number[][] = [[], [], [], []];
    for (let i = 0; i < batch.records.length; i++) {
      (byClass[batch.classes[i] as number] as number[]).push(i);
    }
    for (let cls = 0; cls < 4; cls++) {
      const indexes = byClass[cls] as number[];
      if (indexes.length > 0) (this.classes[cls] as Deque).putBack(batch, indexes);
    }
    this.count += batch.records.length;
    this.bytes += batch.bytes;
  }
}

/** The size of the blocks that hold encoded records (a power of two). */
const BLOCK_BYTES = 8192;
const BLOCK_BITS = Math.log2(BLOCK_BYTES);
/**
 * A block's Buffer and ArrayBuffer objects and what the heap adds to them:
 * with records of 2,731 bytes (two a block) the heap took 134 bytes a record
 * beyond their blocks, the queue's arrays included. Counted as 256 a block.
 */
const BLOCK_OBJECT_BYTES = 256;

/**
 * Copies of encoded records, in blocks of 8 KiB, one chain of blocks per
 * severity class (as Node's own buffer pool does, but by class). A block's
 * memory is freed once none of its records is queued; records of one class
 * leave the queue oldest first (exported or evicted), so a block never
 * stays for the sake of one record of another class that outlived the
 * rest of it. Records over half a block get a buffer of their own.
 *
 * A record is kept as its block and its place in it, one number (offset and
 * length), rather than as a view: a view is an object of its own, about as
 * large as the record.
 */
export class RecordBlocks {
  private readonly blocks: Array<Buffer | undefined> = [undefined, undefined, undefined, undefined];
  private readonly used = [0, 0, 0, 0];
  /** The buffer that holds the last copy. */
  block: Buffer = Buffer.alloc(0);

  /**
   * What a copy of `n` bytes of severity class `cls` would take besides
   * them, counted with the record so that the queue's budget holds for
   * records of any size. When the record does not fit in the current block
   * and starts the next one: the end of the current block, left unused
   * (two records of 2.7 KiB fill a block of 8 KiB), and its Buffer and
   * ArrayBuffer objects (it is freed once its records, all older than this
   * one, have left the queue). For a record with a buffer of its own: that
   * buffer's overhead (measured with records of 4,097 to 100,000 bytes:
   * 300–2,100 bytes, about a tenth of the record; counted as 512 and an
   * eighth).
   */
  waste(n: number, cls: number): number {
    if (n > BLOCK_BYTES / 2) return 512 + (n >>> 3);
    const at = this.used[cls] as number;
    if (this.blocks[cls] === undefined || at + n <= BLOCK_BYTES) return 0;
    return BLOCK_BYTES - at + BLOCK_OBJECT_BYTES;
  }

  /**
   * Copies `bytes` into a block kept with the records of severity class
   * `cls` (then `block`) and returns their place in it.
   */
  copy(bytes: Uint8Array, cls: number): number {
    const n = bytes.length;
    if (n > BLOCK_BYTES / 2) {
      this.block = Buffer.from(bytes);
      return WHOLE;
    }
    let block = this.blocks[cls];
    let at = this.used[cls] as number;
    if (block === undefined || at + n > BLOCK_BYTES) {
      block = Buffer.allocUnsafeSlow(BLOCK_BYTES);
      this.blocks[cls] = block;
      at = 0;
    }
    block.set(bytes, at);
    this.used[cls] = at + n;
    this.block = block;
    return (at << BLOCK_BITS) | n;
  }
}

/** Where the bytes of a record at `place` in `block` start. */
export function startOf(place: number): number {
  return place === WHOLE ? 0 : place >>> BLOCK_BITS;
}

/** Where they end. */
export function endOf(block: Uint8Array, place: number): number {
  return place === WHOLE ? block.length : (place >>> BLOCK_BITS) + (place & (BLOCK_BYTES - 1));
}
