/**
 * The export queue: bounded by estimated bytes and by count, split by severity
 * class so that when it is full the least severe records go first and WARN and
 * above survive a flood of DEBUG and INFO. Records keep their arrival order
 * (a sequence number) across classes.
 */
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

/** Severity classes, lowest first: trace/debug, info (and unspecified), warn, error/fatal. */
export const SEVERITY_CLASSES = ['debug', 'info', 'warn', 'error'] as const;
export type SeverityClass = (typeof SEVERITY_CLASSES)[number];

export function severityClass(severityNumber: number | undefined): number {
  if (severityNumber === undefined || severityNumber === 0) return 1;
  if (severityNumber < 9) return 0;
  if (severityNumber < 13) return 1;
  if (severityNumber < 17) return 2;
  return 3;
}

class Deque {
  records: ReadableLogRecord[] = [];
  sizes: number[] = [];
  seqs: number[] = [];
  head = 0;

  get length(): number {
    return this.records.length - this.head;
  }

  push(record: ReadableLogRecord, size: number, seq: number): void {
    this.records.push(record);
    this.sizes.push(size);
    this.seqs.push(seq);
  }

  unshift(record: ReadableLogRecord, size: number, seq: number): void {
    if (this.head > 0) {
      this.head--;
      this.records[this.head] = record;
      this.sizes[this.head] = size;
      this.seqs[this.head] = seq;
    } else {
      this.records.unshift(record);
      this.sizes.unshift(size);
      this.seqs.unshift(seq);
    }
  }

  headSeq(): number {
    return this.length > 0 ? (this.seqs[this.head] as number) : Number.POSITIVE_INFINITY;
  }

  /** Removes the oldest entry and returns its size. */
  shift(out?: Batch, cls?: number): number {
    const i = this.head;
    const size = this.sizes[i] as number;
    if (out)
      out.add(this.records[i] as ReadableLogRecord, size, this.seqs[i] as number, cls as number);
    // Release the reference now: a dropped or exported record must be collectable.
    (this.records as unknown[])[i] = undefined;
    this.head++;
    if (this.head === this.records.length) {
      this.records = [];
      this.sizes = [];
      this.seqs = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.seqs = this.seqs.slice(this.head);
      this.head = 0;
    }
    return size;
  }
}

/** Records taken out of the queue for one export, with what is needed to put them back. */
export class Batch {
  records: ReadableLogRecord[] = [];
  sizes: number[] = [];
  seqs: number[] = [];
  classes: number[] = [];
  bytes = 0;

  add(record: ReadableLogRecord, size: number, seq: number, cls: number): void {
    this.records.push(record);
    this.sizes.push(size);
    this.seqs.push(seq);
    this.classes.push(cls);
    this.bytes += size;
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
   * Returns the evicted count per class, or undefined when nothing had to go.
   * When eviction cannot make room, `fits` is false and the caller drops the
   * incoming record.
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

  push(record: ReadableLogRecord, size: number, cls: number): void {
    (this.classes[cls] as Deque).push(record, size, this.seq++);
    this.count++;
    this.bytes += size;
  }

  /** Takes up to `max` records in arrival order across classes. */
  take(max: number): Batch {
    const batch = new Batch();
    const c = this.classes;
    while (batch.records.length < max && this.count > 0) {
      let best = 0;
      let bestSeq = (c[0] as Deque).headSeq();
      for (let i = 1; i < 4; i++) {
        const s = (c[i] as Deque).headSeq();
        if (s < bestSeq) {
          best = i;
          bestSeq = s;
        }
      }
      this.bytes -= (c[best] as Deque).shift(batch, best);
      this.count--;
    }
    return batch;
  }

  /** Puts a batch back at the front, in its original order (after a transient failure). */
  putBack(batch: Batch): void {
    for (let i = batch.records.length - 1; i >= 0; i--) {
      const cls = batch.classes[i] as number;
      (this.classes[cls] as Deque).unshift(
        batch.records[i] as ReadableLogRecord,
        batch.sizes[i] as number,
        batch.seqs[i] as number,
      );
      this.count++;
      this.bytes += batch.sizes[i] as number;
    }
  }
}
