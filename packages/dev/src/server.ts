/**
 * `threadline dev`: an OTLP/HTTP logs receiver on loopback that stores every
 * record it accepts. Answers per the OTLP spec: 200 with an empty
 * ExportLogsServiceResponse, 400 for a body it cannot decode, 413 past the
 * size limit, 415 for other content types, 503 (retryable: the exporter keeps
 * the records) when the store cannot be written.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONTENT_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  HttpError,
  LOGS_PATH,
  readExportLogsRequest,
} from './otlp.js';
import { PAGE } from './page.js';
import type { RecordStore } from './store.js';
import { hopDepths } from './timeline.js';

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

const TRACE_PATH = /^\/api\/traces\/([0-9a-f]{32})$/;

/** The page and its JSON API (read only). Returns false for an unknown path. */
function serveRead(store: RecordStore, url: URL, res: ServerResponse): boolean {
  const json = (value: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(value));
  };
  if (url.pathname === '/') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      // The page's own script only; nothing from a log can run.
      'content-security-policy':
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    });
    res.end(PAGE);
    return true;
  }
  if (url.pathname === '/api/traces') {
    const p = url.searchParams;
    json({
      traces: store.traces({
        service: p.get('service') ?? '',
        minSeverity: Number(p.get('severity') ?? 0) || 0,
        version: p.get('version') ?? '',
        text: (p.get('q') ?? '').slice(0, 200),
      }),
      facets: store.facets(),
    });
    return true;
  }
  const match = TRACE_PATH.exec(url.pathname);
  if (match) {
    const records = store.trace(match[1] as string);
    const depth = hopDepths(records);
    json({ records: records.map((r) => ({ ...r, depth: depth.get(r.spanId) ?? 0 })) });
    return true;
  }
  return false;
}

/** Starts the receiver; resolves once it listens. */
export async function startDevReceiver(options: DevReceiverOptions): Promise<DevReceiver> {
  const { store } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server: Server = createServer((req, res) => {
    req.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://receiver');
    const path = url.pathname;
    if (path !== LOGS_PATH) {
      req.resume();
      if (req.method === 'GET') {
        try {
          if (serveRead(store, url, res)) return;
        } catch (error) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
          return;
        }
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
