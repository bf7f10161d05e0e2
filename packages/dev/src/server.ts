/**
 * `threadline dev`: an OTLP/HTTP logs receiver on loopback that stores every
 * record it accepts. Answers per the OTLP spec: 200 with an empty
 * ExportLogsServiceResponse, 400 for a body it cannot decode, 413 past the
 * size limit, 415 for other content types, 503 (retryable: the exporter keeps
 * the records) when the store cannot be written.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONTENT_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  HttpError,
  LOGS_PATH,
  readExportLogsRequest,
} from './otlp.js';
import type { RecordStore } from './store.js';

export interface DevReceiverOptions {
  /** @default 4318 (the OTLP/HTTP port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The SQLite file. @default '.threadline/dev.sqlite' (by the CLI) */
  store: RecordStore;
  /** @default 64 MiB */
  maxBodyBytes?: number;
  /** Where problems are reported. @default stderr */
  report?: (line: string) => void;
}

export interface DevReceiver {
  /** `http://127.0.0.1:4318/v1/logs` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the receiver; resolves once it listens. */
export async function startDevReceiver(options: DevReceiverOptions): Promise<DevReceiver> {
  const { store } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server: Server = createServer((req, res) => {
    req.on('error', () => {});
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    if (path !== LOGS_PATH) {
      req.resume();
      if (req.method === 'GET' && path === '/') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`threadline dev: ${store.count()} records in ${store.path}\n`);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('use POST');
      return;
    }
    readExportLogsRequest(req, maxBodyBytes).then(
      (received) => {
        try {
          store.add(received.records);
        } catch (error) {
          report(
            `[threadline dev] could not store ${received.records.length} records: ${String(error)}`,
          );
          res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
          res.end(`the store cannot be written: ${String(error)}`);
          return;
        }
        res.writeHead(200, { 'content-type': CONTENT_TYPES[received.encoding] });
        res.end(received.encoding === 'json' ? '{}' : Buffer.alloc(0));
      },
      (error: unknown) => {
        const status = error instanceof HttpError ? error.status : 400;
        if (!res.headersSent) {
          res
            .writeHead(status, { 'content-type': 'text/plain' })
            .end(String((error as Error).message));
        }
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4318, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}${LOGS_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
