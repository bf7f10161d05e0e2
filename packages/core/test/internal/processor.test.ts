import http from 'node:http';
import https from 'node:https';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultAgentFactory,
  parseRetryAfter,
  RetryableExportError,
} from '../../src/internal/otlp-exporter.js';
import { ENCODED_RECORD_OVERHEAD_BYTES } from '../../src/internal/otlp-protobuf.js';
import {
  type ExportProcessorOptions,
  retryDelay,
  ThreadlineExportProcessor,
} from '../../src/internal/processor.js';
import { endOf, startOf } from '../../src/internal/queue.js';

type Done = (result: ExportResult) => void;

/** An exporter whose calls the test answers by hand. */
function scriptedExporter() {
  const calls: Array<{ bodies: unknown[]; done: Done }> = [];
  const exporter: LogRecordExporter = {
    export(records, done) {
      calls.push({ bodies: records.map((r) => r.body), done });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  return { exporter, calls };
}

const down = (): ExportResult => ({
  code: ExportResultCode.FAILED,
  error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
});
const refused = (): ExportResult => ({
  code: ExportResultCode.FAILED,
  error: Object.assign(new Error('Bad Request'), { code: 400 }),
});
const ok = (): ExportResult => ({ code: ExportResultCode.SUCCESS });

function record(body: number, severityNumber = 9): ReadableLogRecord {
  return { body, severityNumber } as unknown as ReadableLogRecord;
}

function processor(exporter: LogRecordExporter, options: Partial<ExportProcessorOptions> = {}) {
  const lines: string[] = [];
  const p = new ThreadlineExportProcessor({
    exporter,
    maxQueueBytes: 1 << 30,
    maxQueueSize: 100_000,
    maxExportBatchSize: 2,
    scheduledDelayMillis: 10,
    exportTimeoutMillis: 30_000,
    maxConcurrentExports: 2,
    destination: 'test',
    diagnosticIntervalMillis: 30_000,
    diagnostic: (l) => lines.push(l),
    estimateBytes: () => 100,
    ...options,
  });
  return { p, lines };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('export processor', () => {
  it('puts failed batches back in the order they were written, whatever order they fail in', async () => {
    vi.useFakeTimers();
    const { exporter, calls } = scriptedExporter();
    const { p } = processor(exporter);
    for (let i = 0; i < 6; i++) p.enqueue(record(i, i % 2 ? 17 : 9), 100);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.bodies)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    // The later batch fails first.
    calls[1]?.done(down());
    calls[0]?.done(down());
    await vi.advanceTimersByTimeAsync(2000);
    for (let i = 2; i < calls.length; i++) calls[i]?.done(ok());
    await vi.advanceTimersByTimeAsync(50);
    for (let i = 4; i < calls.length; i++) calls[i]?.done(ok());
    await vi.advanceTimersByTimeAsync(50);
    expect(calls.slice(2).flatMap((c) => c.bodies)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p.snapshot().exported).toBe(6);
  });

  it('backs off once per round: exports failing together do not double the pause twice', async () => {
    vi.useFakeTimers();
    const { exporter, calls } = scriptedExporter();
    const { p } = processor(exporter);
    for (let i = 0; i < 4; i++) p.enqueue(record(i), 100);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    calls[0]?.done(down());
    calls[1]?.done(down());
    // The first pause is 1 s (±20% jitter), not 2 s.
    await vi.advanceTimersByTimeAsync(1300);
    expect(calls.length).toBeGreaterThan(2);
  });

  it('drops a batch the collector refuses, without calling it an outage or flooding the diagnostics', async () => {
    vi.useFakeTimers();
    const { exporter, calls } = scriptedExporter();
    const { p, lines } = processor(exporter);
    for (let i = 0; i < 10; i++) p.enqueue(record(i), 100);
    await vi.advanceTimersByTimeAsync(1);
    for (let round = 0; round < 5 && calls.some((c) => c.done); round++) {
      for (const c of calls.splice(0)) c.done(round === 4 ? ok() : refused());
      await vi.advanceTimersByTimeAsync(20);
    }
    const s = p.snapshot();
    expect(s.droppedRejected).toBeGreaterThan(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/refused a batch \(HTTP 400/);
    expect(lines.join('\n')).not.toMatch(/recovered/);
  });

  it('treats an exporter that throws as refusing the batch, not as an outage to retry forever', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const exporter: LogRecordExporter = {
      export() {
        calls++;
        throw new Error('bug in exporter');
      },
      shutdown: async () => {},
      forceFlush: async () => {},
    };
    const { p } = processor(exporter);
    p.enqueue(record(1), 100);
    p.enqueue(record(2), 100);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(1);
    expect(p.snapshot().droppedRejected).toBe(2);
    expect(p.snapshot().queued).toBe(0);
  });

  it('stops retrying once shut down, even when an export in flight fails afterwards', async () => {
    vi.useFakeTimers();
    const { exporter, calls } = scriptedExporter();
    const { p } = processor(exporter);
    p.enqueue(record(1), 100);
    p.enqueue(record(2), 100);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    const stopped = p.shutdown({ timeoutMillis: 100 });
    await vi.advanceTimersByTimeAsync(200);
    await stopped;
    calls[0]?.done(down());
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not evict less severe records when the incoming one would not fit anyway', () => {
    const { exporter } = scriptedExporter();
    const { p } = processor(exporter, { maxQueueBytes: 1000, maxExportBatchSize: 1000 });
    for (let i = 0; i < 5; i++) p.enqueue(record(i, 5), 100);
    p.enqueue(record(99, 17), 2000);
    const s = p.snapshot();
    expect(s.queued).toBe(5);
    expect(s.droppedBySeverity).toEqual({ debug: 0, info: 0, warn: 0, error: 1 });
    // One that fits after evicting does evict, least severe and oldest first.
    p.enqueue(record(100, 17), 700);
    const t = p.snapshot();
    expect(t.queued).toBe(4);
    expect(t.droppedBySeverity.debug).toBe(2);
  });

  it('keeps records encoded when its exporter encodes them, counted at their encoded size', async () => {
    vi.useFakeTimers();
    const exported: unknown[][] = [];
    const answers: Done[] = [];
    // Each record's body and severity as its bytes: 8 bytes, and 64 for severity 17; handed out
    // as Threadline's encoder does, in a scratch buffer the next record overwrites.
    const scratch = Buffer.alloc(64);
    const exporter = {
      ...scriptedExporter().exporter,
      encodeRecord: (r: ReadableLogRecord) => {
        scratch.fill(' ');
        scratch.write(`${String(r.body).padStart(4, '0')}${r.severityNumber}`);
        return scratch.subarray(0, r.severityNumber === 17 ? 64 : 8);
      },
      // Each record is a block of the queue's and its place in it.
      exportEncoded(blocks: readonly Uint8Array[], places: readonly number[], done: Done) {
        exported.push(
          blocks.map((b, i) =>
            Buffer.from(b)
              .toString('latin1', startOf(places[i] as number), endOf(b, places[i] as number))
              .trim(),
          ),
        );
        answers.push(done);
      },
    };
    const overhead = ENCODED_RECORD_OVERHEAD_BYTES;
    const { p } = processor(exporter, {
      maxQueueBytes: 4 * (8 + overhead) + 64 + overhead,
      maxExportBatchSize: 3,
    });
    // The estimate given is not what is counted: the encoded size is.
    for (let i = 0; i < 4; i++) p.enqueue(record(i, 5), 10_000);
    expect(p.snapshot()).toMatchObject({ queued: 4, queuedBytes: 4 * (8 + overhead) });
    // An error that fits beside them; a second one only by evicting DEBUG records, oldest first.
    p.enqueue(record(4, 17), 1);
    p.enqueue(record(5, 17), 1);
    expect(p.snapshot()).toMatchObject({ queued: 4, droppedBySeverity: { debug: 2 } });
    await vi.advanceTimersByTimeAsync(1);
    expect(exported).toEqual([['00025', '00035', '000417']]);
    // A batch that failed comes back encoded, in the order it was written.
    answers[0]?.(down());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(exported[1]).toEqual(['00025', '00035', '000417']);
    answers[1]?.(ok());
    await vi.advanceTimersByTimeAsync(20);
    expect(exported[2]).toEqual(['000517']);
  });

  it('puts a large failed batch back in front of the rest, in order', async () => {
    vi.useFakeTimers();
    const { exporter, calls } = scriptedExporter();
    const { p } = processor(exporter, { maxExportBatchSize: 4096, maxConcurrentExports: 1 });
    const n = 20_000;
    for (let i = 0; i < n; i++) p.enqueue(record(i), 100);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    calls[0]?.done(down());
    expect(p.snapshot().queued).toBe(n);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls[1]?.bodies[0]).toBe(0);
    expect(calls[1]?.bodies).toEqual(Array.from({ length: 4096 }, (_, i) => i));
  });

  it('waits as long as the collector asked (Retry-After) before trying again', async () => {
    vi.useFakeTimers();
    const { exporter, calls } = scriptedExporter();
    const { p } = processor(exporter);
    p.enqueue(record(1), 100);
    p.enqueue(record(2), 100);
    await vi.advanceTimersByTimeAsync(1);
    calls[0]?.done({
      code: ExportResultCode.FAILED,
      error: new RetryableExportError('Too Many Requests', 429, 5000),
    });
    await vi.advanceTimersByTimeAsync(4900);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.bodies).toEqual([1, 2]);
  });

  it('returns from a flush under continuous logging once the records logged before it are out', async () => {
    const { exporter, calls } = scriptedExporter();
    const { p } = processor(exporter, { maxExportBatchSize: 10 });
    for (let i = 0; i < 10; i++) p.enqueue(record(i), 100);
    let n = 10;
    // The application keeps logging, and the collector answers every export.
    const feeder = setInterval(() => {
      p.enqueue(record(n++), 100);
      for (const c of calls.splice(0)) c.done(ok());
    }, 1);
    const started = Date.now();
    await p.forceFlush({ timeoutMillis: 5000 });
    clearInterval(feeder);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(p.snapshot().exported).toBeGreaterThanOrEqual(10);
  });

  it('delivers every record it accepted when shut down under continuous logging, and counts the rest', async () => {
    const { exporter, calls } = scriptedExporter();
    const { p } = processor(exporter, { maxExportBatchSize: 10 });
    const exported: unknown[] = [];
    let n = 0;
    const feeder = setInterval(() => {
      for (let i = 0; i < 5; i++) p.enqueue(record(n++), 100);
      for (const c of calls.splice(0)) {
        exported.push(...c.bodies);
        c.done(ok());
      }
    }, 1);
    await new Promise((r) => setTimeout(r, 20));
    await p.shutdown({ timeoutMillis: 3000 });
    clearInterval(feeder);
    const s = p.snapshot();
    expect(s.accepted).toBeGreaterThan(0);
    expect(s.exported).toBe(s.accepted);
    expect(exported).toEqual(Array.from({ length: s.accepted }, (_, i) => i));
    expect(s.droppedAfterShutdown + s.accepted).toBe(n);
  });

  it('counts records a collector rejected in a partial success as rejected, not exported', async () => {
    const { exporter, calls } = scriptedExporter();
    const { p, lines } = processor(exporter);
    p.enqueue(record(1), 100);
    p.enqueue(record(2), 100);
    await new Promise((r) => setTimeout(r, 5));
    p.partiallyRejected(1, 'attribute too long');
    calls[0]?.done(ok());
    const s = p.snapshot();
    expect(s.exported).toBe(1);
    expect(s.droppedRejected).toBe(1);
    expect(lines.join('\n')).toContain('attribute too long');
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it.each([
    ['2', 2000],
    [' 30 ', 30_000],
    ['Sat, 28 Nov 2026 12:00:07 GMT', 7000],
    ['Saturday, 28-Nov-26 12:00:07 GMT', 7000],
    ['Sat Nov 28 12:00:07 2026', 7000],
    ['0', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    ['Sat, 28 Nov 2026 11:59:00 GMT', undefined],
    ['tomorrow 2', undefined],
  ])('reads %j as %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('is ignored when absent or repeated', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(['1', '2'], now)).toBeUndefined();
  });

  it('is followed when given, capped at 30 s; without it the backoff has ±20% jitter', () => {
    expect(retryDelay(1000, 2500)).toBe(2500);
    expect(retryDelay(1000, 86_400_000)).toBe(30_000);
    for (let i = 0; i < 50; i++) {
      const d = retryDelay(4000, undefined);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
    }
  });
});

describe("the exporter's HTTP agent", () => {
  it('is a keep-alive agent made without import() when nothing asks for another', () => {
    const factory = defaultAgentFactory({}, {});
    const agent = factory?.('http:') as http.Agent;
    expect(agent).toBeInstanceOf(http.Agent);
    expect(agent).not.toBeInstanceOf(https.Agent);
    expect((agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    const secure = factory?.('https:') as https.Agent;
    expect(secure).toBeInstanceOf(https.Agent);
    expect((secure as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
  });

  it.each([
    'OTEL_EXPORTER_OTLP_CERTIFICATE',
    'OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE',
    'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE',
    'OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE',
    'OTEL_EXPORTER_OTLP_CLIENT_KEY',
    'OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY',
  ])('is left to the OTLP configuration (which reads the file) when %s is set', (name) => {
    expect(defaultAgentFactory({}, { [name]: '/etc/otel/file.pem' })).toBeUndefined();
    expect(defaultAgentFactory({}, { [name]: '' })).toBeTypeOf('function');
  });

  it('is left to the OTLP configuration when agent options are given', () => {
    expect(defaultAgentFactory({ httpAgentOptions: { maxSockets: 4 } }, {})).toBeUndefined();
    expect(defaultAgentFactory({ keepAlive: false }, {})).toBeUndefined();
  });
});

describe('a refused connection to the default endpoint', () => {
  const HINT = 'run `npx threadline dev` to see the records locally';

  it('says how to see the records, on the failure line and on the undelivered one', async () => {
    vi.useFakeTimers();
    const { exporter, calls } = scriptedExporter();
    const { p, lines } = processor(exporter, { connectionRefusedHint: HINT });
    p.enqueue(record(1), 100);
    await vi.advanceTimersByTimeAsync(20);
    calls[0]?.done(down());
    await vi.advanceTimersByTimeAsync(1);
    p.reportAtExit();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/failing \(.*ECONNREFUSED.*\).*; run `npx threadline dev`/);
    expect(lines[1]).toMatch(
      /^\[threadline\] exiting with 1 record not delivered .*; run `npx threadline dev`/,
    );
  });

  it('says nothing more for other errors, or without a hint', async () => {
    vi.useFakeTimers();
    const refusedHere = scriptedExporter();
    const withHint = processor(refusedHere.exporter, { connectionRefusedHint: HINT });
    withHint.p.enqueue(record(1), 100);
    await vi.advanceTimersByTimeAsync(20);
    refusedHere.calls[0]?.done(refused());
    const noHint = scriptedExporter();
    const without = processor(noHint.exporter);
    without.p.enqueue(record(1), 100);
    await vi.advanceTimersByTimeAsync(20);
    noHint.calls[0]?.done(down());
    await vi.advanceTimersByTimeAsync(1);
    for (const l of [...withHint.lines, ...without.lines])
      expect(l).not.toContain('threadline dev');
    expect(without.lines.length).toBeGreaterThan(0);
  });
});
