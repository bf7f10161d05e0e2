/**
 * The export processor: a bounded, severity-aware queue in front of an OTLP
 * exporter. Unlike the SDK's BatchLogRecordProcessor it bounds memory by
 * bytes, drops the least severe records first, keeps records through a
 * collector outage (putting a failed batch back and backing off) instead of
 * discarding them, runs more than one export at a time, counts everything,
 * and reports problems on one rate-limited line.
 */
import type { Context } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type {
  LogRecordExporter,
  LogRecordProcessor,
  ReadableLogRecord,
  ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import { RETRYABLE_STATUS } from './otlp-exporter.js';
import { ENCODED_RECORD_OVERHEAD_BYTES } from './otlp-protobuf.js';
import {
  type Batch,
  RecordBlocks,
  SEVERITY_CLASSES,
  SeverityQueue,
  severityClass,
  WHOLE,
} from './queue.js';
import { warnOnce } from './state.js';

export interface ExportProcessorOptions {
  exporter: LogRecordExporter;
  maxQueueBytes: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxConcurrentExports: number;
  /** Where the records go, for diagnostics (never includes headers). */
  destination: string;
  /**
   * Said after a failure to connect, when there is something a person can do
   * about it (nothing listens at the default endpoint: how to see records).
   */
  connectionRefusedHint?: string;
  /** Minimum time between two diagnostic lines. */
  diagnosticIntervalMillis: number;
  diagnostic: (line: string) => void;
  /** Size estimate for records that did not come through Threadline's logger. */
  estimateBytes: (record: ReadableLogRecord) => number;
  /** Called for records that did not come through Threadline's logger, before they are queued. */
  sanitizeForeign?: (record: ReadWriteLogRecord) => void;
}

/** Counters reported by `stats()`. */
export interface ExportCounters {
  queued: number;
  queuedBytes: number;
  inFlight: number;
  accepted: number;
  exported: number;
  droppedQueueFull: number;
  droppedBySeverity: Record<(typeof SEVERITY_CLASSES)[number], number>;
  droppedRejected: number;
  droppedAfterShutdown: number;
  failedExports: number;
  lastError: string | undefined;
}

/**
 * An exporter that encodes each record when it is queued and exports the
 * encoded records (Threadline's OTLP/protobuf exporter): queued records hold
 * bytes, not objects the garbage collector copies until their export.
 */
interface EncodingExporter extends LogRecordExporter {
  /**
   * The record encoded (a view valid until the next call: the queue copies
   * what it keeps), or undefined when this exporter does not encode (then it
   * is queued as it is).
   */
  encodeRecord(record: ReadableLogRecord): Uint8Array | undefined;
  exportEncoded(
    buffers: readonly Uint8Array[],
    places: readonly number[],
    done: (result: ExportResult) => void,
  ): void;
}

const MAX_BACKOFF_MS = 30_000;
const INITIAL_BACKOFF_MS = 1_000;

/**
 * The pause before the next attempt after a retryable failure: the
 * collector's `Retry-After` when it gave a valid one (capped at the maximum
 * backoff, so that a collector announcing a pause of hours is still tried
 * every 30 s while the queue's budget bounds what waits), otherwise
 * exponential backoff with ±20% jitter (OTLP spec, exporter retries).
 */
export function retryDelay(backoffMs: number, retryAfterMillis: number | undefined): number {
  if (retryAfterMillis !== undefined && retryAfterMillis > 0) {
    return Math.min(retryAfterMillis, MAX_BACKOFF_MS);
  }
  return Math.round(backoffMs * (0.8 + Math.random() * 0.4));
}

function retryAfterOf(error: unknown): number | undefined {
  const v = (error as { retryAfterMillis?: unknown } | undefined)?.retryAfterMillis;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A batch is worth keeping unless the collector said it will never accept it. */
export function isPermanentFailure(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return !RETRYABLE_STATUS.has(code);
  const message = (error as { message?: unknown }).message;
  // The exporter's 4 MiB response cap: the collector answered, retrying won't help.
  return typeof message === 'string' && message.includes('response body exceeded');
}

export function describeExportError(error: unknown): string {
  if (error === null || error === undefined) return 'unknown error';
  if (typeof error !== 'object') return String(error);
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  const parts: string[] = [];
  if (typeof e.code === 'number') parts.push(`HTTP ${e.code}`);
  else if (typeof e.code === 'string') parts.push(e.code);
  if (typeof e.message === 'string' && e.message && !parts.includes(e.message)) {
    parts.push(e.message.slice(0, 200));
  }
  return parts.join(' ') || String(e.name ?? 'error');
}

export class ThreadlineExportProcessor implements LogRecordProcessor {
  private readonly o: ExportProcessorOptions;
  private readonly queue = new SeverityQueue();
  private readonly blocks = new RecordBlocks();
  private inFlightCount = 0;
  private inFlightBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightBatches = new Set<Batch>();
  /** Shutting down and past the first flush: new records are counted and dropped. */
  private closing = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private pausedUntil = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  /**
   * Exports started in the same round fail together when the collector is
   * down: only the first failure of a round backs off further.
   */
  private round = 0;
  private consecutiveFailures = 0;
  private reportedRejection = false;
  private outageStartedAt = 0;
  private isShutdown = false;
  private undeliveredReported = false;
  private shutdownPromise: Promise<void> | undefined;
  private lastReportAt = 0;
  private droppedSinceReport = 0;
  private readonly evicted = [0, 0, 0, 0];
  readonly counters: ExportCounters = {
    queued: 0,
    queuedBytes: 0,
    inFlight: 0,
    accepted: 0,
    exported: 0,
    droppedQueueFull: 0,
    droppedBySeverity: { debug: 0, info: 0, warn: 0, error: 0 },
    droppedRejected: 0,
    droppedAfterShutdown: 0,
    failedExports: 0,
    lastError: undefined,
  };

  constructor(options: ExportProcessorOptions) {
    this.o = options;
    const e = options.exporter as Partial<EncodingExporter>;
    if (typeof e.encodeRecord === 'function' && typeof e.exportEncoded === 'function') {
      this.encoder = e as EncodingExporter;
    }
  }

  /** The exporter, when it keeps records encoded from the moment they are written. */
  private readonly encoder: EncodingExporter | undefined;

  /** Records other code emits through the LoggerProvider: sanitised, then queued. Never throws. */
  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    try {
      this.o.sanitizeForeign?.(record);
      this.enqueue(record, this.o.estimateBytes(record));
    } catch (error) {
      warnOnce(
        'foreign-emit-failed',
        `a record emitted through the provider was dropped: ${String(error)}`,
      );
    }
  }

  /**
   * Queues a record built by Threadline's own logger (already sanitised):
   * encoded now when the exporter can keep records encoded (then `bytes`,
   * the estimate, gives way to the encoded size).
   */
  enqueue(record: ReadableLogRecord, bytes: number): void {
    if (this.closing) {
      this.counters.droppedAfterShutdown++;
      return;
    }
    const cls = severityClass(record.severityNumber);
    const encoded = this.encoder?.encodeRecord(record);
    if (encoded !== undefined) {
      bytes =
        encoded.length + ENCODED_RECORD_OVERHEAD_BYTES + this.blocks.waste(encoded.length, cls);
    }
    const q = this.queue;
    const o = this.o;
    if (
      q.bytes + this.inFlightBytes + bytes > o.maxQueueBytes ||
      q.count + this.inFlightCount + 1 > o.maxQueueSize
    ) {
      const ev = this.evicted;
      const fits = q.makeRoom(
        cls,
        bytes,
        o.maxQueueBytes,
        o.maxQueueSize,
        this.inFlightBytes,
        this.inFlightCount,
        ev,
      );
      for (let i = 0; i < 4; i++) {
        const n = ev[i] as number;
        if (n > 0) {
          this.countDrop(i, n);
          ev[i] = 0;
        }
      }
      if (!fits) {
        this.countDrop(cls, 1);
        return;
      }
    }
    // Copied only once kept: a record dropped here takes no memory.
    if (encoded === undefined) q.push(record, WHOLE, bytes, cls);
    else {
      const place = this.blocks.copy(encoded, cls);
      q.push(this.blocks.block, place, bytes, cls);
    }
    this.counters.accepted++;
    if (q.count >= o.maxExportBatchSize) this.schedulePumpSoon();
    else if (this.timer === undefined) this.armTimer(o.scheduledDelayMillis);
  }

  private countDrop(cls: number, n: number): void {
    this.counters.droppedQueueFull += n;
    this.counters.droppedBySeverity[SEVERITY_CLASSES[cls] as (typeof SEVERITY_CLASSES)[number]] +=
      n;
    this.droppedSinceReport += n;
    this.maybeReport();
  }

  private schedulePumpSoon(): void {
    // Never export inside the application's log call: defer to the event loop.
    if (this.immediate !== undefined || this.isShutdown) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.pump(false);
    });
    this.immediate.unref();
  }

  private armTimer(ms: number): void {
    if (this.timer !== undefined || this.isShutdown) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump(true);
    }, ms);
    this.timer.unref();
  }

  /** Starts exports while there is room; `partial` allows a batch smaller than the maximum. */
  private pump(partial: boolean, ignorePause = false): void {
    if (this.isShutdown) return;
    const o = this.o;
    const now = Date.now();
    if (!ignorePause && now < this.pausedUntil) {
      this.armTimer(this.pausedUntil - now);
      return;
    }
    const q = this.queue;
    while (this.inFlight.size < o.maxConcurrentExports && q.count > 0) {
      if (!partial && q.count < o.maxExportBatchSize) break;
      this.startExport(q.take(o.maxExportBatchSize));
    }
    if (this.queue.count > 0 && this.timer === undefined) this.armTimer(o.scheduledDelayMillis);
  }

  private startExport(batch: Batch): void {
    this.inFlightBatches.add(batch);
    this.inFlightCount += batch.records.length;
    this.inFlightBytes += batch.bytes;
    const round = this.round;
    let settled = false;
    let timeout: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      const finish = (result: ExportResult, permanent = isPermanentFailure(result.error)) => {
        if (settled) return;
        settled = true;
        if (timeout) clearTimeout(timeout);
        this.inFlightBatches.delete(batch);
        this.inFlightCount -= batch.records.length;
        this.inFlightBytes -= batch.bytes;
        this.onExportResult(batch, result, permanent, round);
        resolve();
      };
      timeout = setTimeout(
        () =>
          finish({
            code: ExportResultCode.FAILED,
            error: new Error(`export timed out after ${this.o.exportTimeoutMillis} ms`),
          }),
        this.o.exportTimeoutMillis,
      );
      timeout.unref();
      try {
        const encoded = this.encoder;
        if (encoded !== undefined && batch.records[0] instanceof Uint8Array) {
          encoded.exportEncoded(batch.records as Uint8Array[], batch.places, (result) =>
            finish(result),
          );
        } else
          this.o.exporter.export(batch.records as ReadableLogRecord[], (result) => finish(result));
      } catch (error) {
        // A bug in the exporter, not an outage: trying the same batch again would throw again.
        finish({ code: ExportResultCode.FAILED, error: error as Error }, true);
      }
    });
    this.inFlight.add(done);
    void done.then(() => {
      this.inFlight.delete(done);
      // Full batches go at once; a partial one waits for the timer.
      if (this.queue.count > 0) this.pump(false);
    });
  }

  private onExportResult(
    batch: Batch,
    result: ExportResult,
    permanent: boolean,
    round: number,
  ): void {
    const c = this.counters;
    if (result.code === ExportResultCode.SUCCESS) {
      c.exported += batch.records.length;
      if (this.consecutiveFailures > 0) {
        const secs = ((Date.now() - this.outageStartedAt) / 1000).toFixed(1);
        this.o.diagnostic(
          `[threadline] export to ${this.o.destination} recovered after ${secs} s; ` +
            `${this.queue.count + this.inFlightCount} records still queued, ${c.droppedQueueFull + c.droppedRejected} dropped in total`,
        );
        this.lastReportAt = Date.now();
        this.droppedSinceReport = 0;
      }
      this.consecutiveFailures = 0;
      this.backoffMs = INITIAL_BACKOFF_MS;
      this.pausedUntil = 0;
      return;
    }
    c.failedExports++;
    c.lastError = describeExportError(result.error);
    if (permanent) {
      // The collector refused this batch for good (400, 413, …): retrying cannot
      // help. The collector is up, so this is no outage; the first refusal is
      // reported at once, later ones with the periodic report.
      c.droppedRejected += batch.records.length;
      this.droppedSinceReport += batch.records.length;
      this.maybeReport(!this.reportedRejection, `refused a batch (${c.lastError}); `);
      this.reportedRejection = true;
      return;
    }
    if (this.isShutdown) return; // shut down: these records are counted as not delivered
    if (this.consecutiveFailures === 0) this.outageStartedAt = Date.now();
    this.consecutiveFailures++;
    // Transient (connection refused, timeout, 429/5xx after the exporter's own
    // retries): keep the records and try again later, with jittered backoff.
    this.queue.putBack(batch);
    if (round === this.round) {
      this.round++;
      const hint = retryAfterOf(result.error);
      this.pausedUntil = Date.now() + retryDelay(this.backoffMs, hint);
      // The collector said when to come back: its cadence, not ours, until it stops saying.
      if (hint === undefined) this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    }
    this.maybeReport(this.consecutiveFailures === 1);
  }

  private maybeReport(force = false, status = ''): void {
    const now = Date.now();
    if (!force && now - this.lastReportAt < this.o.diagnosticIntervalMillis) return;
    if (force && now - this.lastReportAt < 1000) return;
    this.lastReportAt = now;
    const c = this.counters;
    const queued = this.queue.count + this.inFlightCount;
    const mb = ((this.queue.bytes + this.inFlightBytes) / 1048576).toFixed(1);
    const failing = status || (this.consecutiveFailures > 0 ? `failing (${c.lastError}); ` : '');
    this.o.diagnostic(
      `[threadline] export to ${this.o.destination} ${failing}${queued} records queued (${mb} MiB), ` +
        `${this.droppedSinceReport} dropped since last report, ${c.droppedQueueFull + c.droppedRejected} in total` +
        this.hint(),
    );
    this.droppedSinceReport = 0;
  }

  /**
   * The collector accepted a batch but rejected some of its records
   * (`partial_success`); called before that batch's success is counted.
   */
  partiallyRejected(rejected: number, message: string): void {
    const c = this.counters;
    c.droppedRejected += rejected;
    c.exported -= rejected;
    c.lastError = `partial success: ${rejected} rejected${message ? ` (${message.slice(0, 200)})` : ''}`;
    this.droppedSinceReport += rejected;
    this.maybeReport(!this.reportedRejection, `refused records (${c.lastError}); `);
    this.reportedRejection = true;
  }

  /** A snapshot of the counters. */
  snapshot(): ExportCounters {
    const c = this.counters;
    c.queued = this.queue.count + this.inFlightCount;
    c.queuedBytes = this.queue.bytes + this.inFlightBytes;
    c.inFlight = this.inFlightCount;
    return { ...c, droppedBySeverity: { ...c.droppedBySeverity } };
  }

  /** The sequence number of the oldest record queued or in flight (Infinity when none). */
  private oldestPending(): number {
    let oldest = this.queue.oldestSeq();
    for (const b of this.inFlightBatches) oldest = Math.min(oldest, b.seqs[0] as number);
    return oldest;
  }

  /**
   * Exports every record accepted before the call, trying each at least once
   * even while backing off; resolves (never rejects) when they are all
   * delivered or dropped, or the deadline has passed. Records logged while it
   * runs go out with them but are not waited for, so a service under
   * continuous load still gets its flush back.
   */
  async forceFlush(options?: { timeoutMillis?: number }): Promise<void> {
    const deadline = Date.now() + (options?.timeoutMillis ?? this.o.exportTimeoutMillis);
    const watermark = this.queue.nextSeq;
    while (Date.now() < deadline) {
      if (this.oldestPending() >= watermark) return;
      const failuresBefore = this.counters.failedExports;
      if (this.queue.count > 0) this.pump(true, true);
      if (this.inFlight.size === 0) break;
      const remaining = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.race(this.inFlight),
        new Promise<void>((r) => {
          timer = setTimeout(r, Math.max(0, remaining));
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (this.counters.failedExports > failuresBefore) {
        // Don't spin on a collector that fails fast, and wait as long as it
        // asked (Retry-After) when that fits before the deadline.
        const now = Date.now();
        await sleep(Math.min(Math.max(200, this.pausedUntil - now), Math.max(0, deadline - now)));
      }
    }
  }

  /**
   * Flushes within `timeoutMillis`, then stops. Records logged during the
   * first flush (the last requests, the application's own shutdown lines) are
   * still accepted and sent; after it, new records are counted as dropped
   * after shutdown, so that every accepted record is delivered while the
   * collector answers, even under continuous load.
   */
  shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    const timeoutMillis = options?.timeoutMillis ?? this.o.exportTimeoutMillis;
    const deadline = Date.now() + timeoutMillis;
    this.shutdownPromise = (async () => {
      await this.forceFlush({ timeoutMillis });
      this.closing = true;
      await this.forceFlush({ timeoutMillis: Math.max(0, deadline - Date.now()) });
      this.isShutdown = true;
      if (this.timer) clearTimeout(this.timer);
      if (this.immediate) clearImmediate(this.immediate);
      this.timer = undefined;
      const remaining = Math.max(0, deadline - Date.now());
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        this.o.exporter.shutdown().catch(() => undefined),
        new Promise<void>((r) => {
          t = setTimeout(r, remaining);
          t.unref();
        }),
      ]);
      clearTimeout(t);
      this.reportUndelivered('shut down');
    })();
    return this.shutdownPromise;
  }

  /**
   * Says how many records the process leaves undelivered as it exits (a
   * script that ends, `process.exit()` from a signal handler), unless
   * `shutdown()` has said it already.
   */
  reportAtExit(): void {
    if (!this.undeliveredReported) this.reportUndelivered('exiting');
  }

  private reportUndelivered(when: string): void {
    this.undeliveredReported = true;
    const lost = this.queue.count + this.inFlightCount;
    if (lost === 0) return;
    this.o.diagnostic(
      `[threadline] ${when} with ${lost} record${lost === 1 ? '' : 's'} not delivered to ${this.o.destination}` +
        (this.counters.lastError ? ` (${this.counters.lastError})` : '') +
        this.hint(),
    );
  }

  /** The hint for a refused connection, when one was given and the last error is one. */
  private hint(): string {
    const hint = this.o.connectionRefusedHint;
    return hint && this.counters.lastError?.includes('ECONNREFUSED') ? `; ${hint}` : '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    t.unref();
  });
}
