/**
 * The receiver's side of its decoding thread (decode-worker.ts): one body
 * decoded at a time, the others waiting their turn, under a heap limit of the
 * thread's own. A decode that passes the limit ends the thread; its request is
 * refused (413) and the next one gets a new thread.
 */
import { Worker } from 'node:worker_threads';
import type { DecodeAnswer, DecodeJob } from './decode-worker.js';
import { HttpError } from './otlp.js';

// From src/ (tests) and dist/ alike: the built worker, beside the built package.
const WORKER_URL = new URL('../dist/decode-worker.mjs', import.meta.url);

/** The decoding thread's heap (V8's old generation), in MiB. */
export const DEFAULT_DECODE_HEAP_MIB = 256;

interface Pending {
  job: DecodeJob;
  resolve: (answer: DecodeAnswer) => void;
  reject: (error: Error) => void;
}

export class DecodeThread {
  private readonly heapMiB: number;
  private worker: Worker | undefined;
  private readonly waiting: Pending[] = [];
  private current: Pending | undefined;
  private closed = false;

  constructor(heapMiB = DEFAULT_DECODE_HEAP_MIB) {
    this.heapMiB = heapMiB;
    this.spawn();
  }

  /** Decodes one body, after those sent before it. */
  decode(job: DecodeJob): Promise<DecodeAnswer> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new HttpError(503, 'the receiver is closing', { 'retry-after': '1' }));
        return;
      }
      this.waiting.push({ job, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) {
      pending.reject(new HttpError(503, 'the receiver is closing', { 'retry-after': '1' }));
    }
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private next(): void {
    if (this.current || this.closed) return;
    const pending = this.waiting.shift();
    if (!pending) return;
    this.current = pending;
    // A body that owns its whole ArrayBuffer (not a slice of Node's pool) is moved, not copied.
    const { body } = pending.job;
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
    this.spawn().postMessage(pending.job, owned ? [body.buffer as ArrayBuffer] : []);
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: this.heapMiB },
    });
    worker.unref();
    worker.on('message', (answer: DecodeAnswer) => {
      const pending = this.current;
      this.current = undefined;
      pending?.resolve(answer);
      this.next();
    });
    // 'error' (out of memory, a failure to start) is followed by 'exit'; the first one counts.
    const lost = (error?: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const pending = this.current;
      this.current = undefined;
      if (pending) {
        const outOfMemory =
          (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        if (outOfMemory) {
          pending.resolve({
            ok: false,
            kind: 'bounds',
            message: `decoding this request needs more than the decoder's ${this.heapMiB} MiB`,
          });
        } else {
          pending.reject(
            new HttpError(500, `the decoding thread failed: ${error?.message ?? 'it exited'}`),
          );
        }
      }
      this.next();
    };
    worker.on('error', lost);
    worker.on('exit', () => lost());
    this.worker = worker;
    return worker;
  }
}
