/**
 * The receiver's decoding thread: decodes one export body at a time and
 * answers with the store's rows. It runs under a heap limit of its own, so a
 * request that would need more memory ends this thread, not the receiver.
 */
import { parentPort } from 'node:worker_threads';
import type { DecodeLimits } from './bounds.js';
import { decodeErrorKind, decodeRecords } from './otlp.js';
import { toRows } from './rows.js';

/** A body to decode. */
export interface DecodeJob {
  body: Uint8Array;
  encoding: 'json' | 'protobuf';
  limits: DecodeLimits;
}

/** The answer to a {@link DecodeJob}. */
export type DecodeAnswer =
  | { ok: true; rows: import('./rows.js').RecordRow[]; rejected: string[]; decoded: number }
  | { ok: false; kind: 'bounds' | 'framing' | 'other'; message: string };

parentPort?.on('message', (job: DecodeJob) => {
  let answer: DecodeAnswer;
  try {
    const decoded = decodeRecords(job.body, job.encoding, job.limits);
    const { rows, rejected } = toRows(decoded.records, job.limits.maxStoredChars);
    answer = {
      ok: true,
      rows,
      rejected: [...decoded.rejected, ...rejected],
      decoded: decoded.records.length + decoded.rejected.length,
    };
  } catch (error) {
    answer = { ok: false, kind: decodeErrorKind(error), message: (error as Error).message };
  }
  parentPort?.postMessage(answer);
});
