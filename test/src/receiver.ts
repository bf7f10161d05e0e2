import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONTENT_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  exportLogsResponse,
  HttpError,
  LOGS_PATH,
  type ReceivedRecord,
  type ReceivedRequest,
  readExportLogsRequest,
} from '@threadline/dev';

export type { ReceivedRecord, ReceivedRequest } from '@threadline/dev';
export { decodeExportLogsRequest } from '@threadline/dev';

/** A scripted answer for one request; see {@link OtlpReceiver.respondWith}. */
export interface ReceiverResponse {
  status: number;
  /** Without a content-type here, the request's own content type is used. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering (or before destroying the socket). */
  delayMs?: number;
  /** Accept the request and never answer it; close() still tears the socket down. */
  hang?: boolean;
  /** Reset the socket instead of answering. */
  destroy?: boolean;
  /** Send the status line and headers, then reset the socket (the records are not accepted). */
  resetAfterHeaders?: boolean;
}

/** A scripting hook: return undefined to answer with the default 200 success. */
export type ReceiverScript = (
  req: ReceivedRequest,
  attempt: number,
) => ReceiverResponse | undefined;

/** A running OTLP/HTTP logs receiver; see {@link startOtlpReceiver}. */
export interface OtlpReceiver {
  /** The full export URL, `http://127.0.0.1:<port>/v1/logs`, ready for an exporter's `url`. */
  url: string;
  port: number;
  /** Every POST that was decoded, including those answered with a scripted failure. */
  requests: ReceivedRequest[];
  /** Records of the requests that were accepted (answered 2xx). */
  records: ReceivedRecord[];
  /** Every POST seen (any path, any outcome), counted from 1; reset() sets it back to 0. */
  attempts: number;
  /**
   * Scripts the answers. `attempt` is the value of {@link OtlpReceiver.attempts} for this request.
   * Pass undefined to go back to always answering 200.
   */
  respondWith(fn: ReceiverScript | undefined): void;
  /**
   * Resolves with a copy of {@link OtlpReceiver.records} once at least `count` were accepted;
   * rejects after `timeoutMs` (default 10000) saying how many arrived.
   */
  waitForRecords(count: number, timeoutMs?: number): Promise<ReceivedRecord[]>;
  /** Forgets captured requests and records, zeroes the attempt counter and drops the script. */
  reset(): void;
  /** Stops listening and destroys every open connection, hung ones included. */
  close(): Promise<void>;
}

/** Options for {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Largest accepted body, checked both as received and after gunzip; default 64 MiB. */
  maxBodyBytes?: number;
}

const DEFAULT_WAIT_MS = 10_000;

interface Waiter {
  count: number;
  resolve: (records: ReceivedRecord[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class Receiver implements OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly records: ReceivedRecord[] = [];
  attempts = 0;
  url = '';
  port = 0;

  private script: ReceiverScript | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly delays = new Set<NodeJS.Timeout>();
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });

  constructor(private readonly maxBodyBytes: number) {}

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}${LOGS_PATH}`;
  }

  respondWith(fn: ReceiverScript | undefined): void {
    this.script = fn;
  }

  waitForRecords(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<ReceivedRecord[]> {
    if (this.records.length >= count) return Promise.resolve([...this.records]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `waitForRecords: expected ${count} record(s) within ${timeoutMs}ms, ` +
                `${this.records.length} arrived (${this.attempts} POST(s) seen, ` +
                `${this.requests.length} decoded)`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  reset(): void {
    // Truncate in place so arrays a test already holds keep reflecting the receiver.
    this.requests.length = 0;
    this.records.length = 0;
    this.attempts = 0;
    this.script = undefined;
  }

  async close(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('waitForRecords: receiver closed'));
    }
    this.waiters.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hung requests and idle keep-alive sockets would otherwise hold close() open forever.
    this.server.closeAllConnections();
    await closed;
  }

  private accept(records: ReceivedRecord[]): void {
    this.records.push(...records);
    for (const waiter of this.waiters) {
      if (this.records.length >= waiter.count) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve([...this.records]);
      }
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Aborted uploads surface as errors on the request; the outcome is already decided by then.
    req.on('error', () => {});
    if (req.method === 'POST') this.attempts++;
    const attempt = this.attempts;
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    if (path !== LOGS_PATH) {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('use POST');
      return;
    }

    let received: ReceivedRequest;
    try {
      received = await this.decode(req);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 400;
      res.writeHead(status, { 'content-type': 'text/plain' }).end((error as Error).message);
      return;
    }
    this.requests.push(received);

    const scripted = this.script?.(received, attempt);
    const response: ReceiverResponse = scripted ?? { status: 200 };
    if (response.hang) return;
    if (response.delayMs !== undefined && response.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.delays.delete(timer);
          resolve();
        }, response.delayMs);
        this.delays.add(timer);
      });
    }
    if (res.destroyed) return;
    if (response.destroy) {
      req.socket.destroy();
      return;
    }

    if (response.resetAfterHeaders) {
      res.writeHead(response.status, { 'content-length': '64', ...response.headers });
      res.flushHeaders();
      setImmediate(() => req.socket.destroy());
      return;
    }

    const ok = response.status >= 200 && response.status < 300;
    // A success without a scripted body gets an ExportLogsServiceResponse as a collector's: empty
    // (zero bytes in protobuf, `{}` in JSON), or with partial_success for records refused alone.
    const defaultResponse = exportLogsResponse(received.encoding, received.rejected);
    const body = response.body ?? (ok ? defaultResponse : undefined);
    const headers = { 'content-type': CONTENT_TYPES[received.encoding], ...response.headers };
    if (ok) this.accept(received.records);
    res.writeHead(response.status, headers).end(body);
  }

  private decode(req: IncomingMessage): Promise<ReceivedRequest> {
    return readExportLogsRequest(req, this.maxBodyBytes);
  }
}

/**
 * Starts a real OTLP/HTTP logs receiver on 127.0.0.1 that decodes exports with the vendored
 * opentelemetry-proto definitions (protobuf and OTLP/JSON, optionally gzipped) and records them.
 * Close it when done.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  // Fail at start-up, not on the first request, if the vendored protos are missing or broken.
  const receiver = new Receiver(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  await receiver.listen(options.port ?? 0);
  return receiver;
}
