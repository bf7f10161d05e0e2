/**
 * `threadline dev`: an OTLP/HTTP logs receiver on loopback that stores every
 * record it accepts. Answers per the OTLP spec: 200 with an empty
 * ExportLogsServiceResponse, 400 for a body it cannot decode, 413 past the
 * size limit, 415 for other content types, 503 (retryable: the exporter keeps
 * the records) when the store cannot be written.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveRead } from './api.js';
import { type DecodeLimits, resolveLimits } from './bounds.js';
import { DecodeThread } from './decode-thread.js';
import { EventStreams } from './live.js';
import {
  CONTENT_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  decodeError,
  decompress,
  exportLogsResponse,
  HttpError,
  LOGS_PATH,
  MAX_CONCURRENT_DECODES,
  readRawExport,
  Slots,
} from './otlp.js';
import type { RecordStore } from './store.js';

export interface DevReceiverOptions {
  /** @default 4318 (the OTLP/HTTP port) */
  port?: number;
  /**
   * The address to listen on. Requests are answered only when their `Host`
   * names a loopback address, `localhost`, or this host.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * More host names (or addresses) that requests may name in `Host` and
   * `Origin`, such as `host.docker.internal` when containers send to a
   * receiver listening on `0.0.0.0`. @default []
   */
  allowedHosts?: readonly string[];
  /** The SQLite file. @default '.threadline/dev.sqlite' (by the CLI) */
  store: RecordStore;
  /** Largest body, as received and after gunzip. @default 64 MiB */
  maxBodyBytes?: number;
  /** Bounds on what one export may decode to. @default DEFAULT_DECODE_LIMITS */
  limits?: Partial<DecodeLimits>;
  /**
   * Bytes of request bodies held at once, across all requests; a request that
   * would pass it is answered 503 with `Retry-After` (the exporter retries).
   * @default 128 MiB
   */
  maxBufferedBytes?: number;
  /**
   * The heap of the thread that decodes bodies, in MiB: a request that needs
   * more is refused with 413.
   * @default 256
   */
  decodeHeapMiB?: number;
  /** Where problems are reported. @default stderr */
  report?: (line: string) => void;
}

export interface DevReceiver {
  /** `http://127.0.0.1:4318/v1/logs` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Bytes of request bodies held at once by default. */
export const DEFAULT_MAX_BUFFERED_BYTES = 128 * 1024 * 1024;
/** Open connections at once; more are closed as they come. */
export const MAX_CONNECTIONS = 1024;
/** Time a request has to arrive whole. */
const REQUEST_TIMEOUT_MS = 60_000;
/** The same problem is reported at most once in this long. */
const REPORT_INTERVAL_MS = 10_000;

const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/** The host name of a `Host` header or an origin's authority, lower-cased, without the port. */
function hostName(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/** A host as a `Host` header names it: lower-case, IPv6 addresses in brackets. */
function asHostName(host: string): string {
  return hostName(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
}

/**
 * The host names a request may name: loopback ones, the configured host, and
 * those the options add. Any other name is how a DNS-rebinding page reaches a
 * loopback server, so it is refused.
 */
function allowedHosts(configured: string, extra: readonly string[]): (name: string) => boolean {
  const named = new Set(extra.map(asHostName));
  if (!WILDCARD_HOSTS.has(configured)) named.add(asHostName(configured));
  return (name) =>
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '[::1]' ||
    IPV4_LOOPBACK.test(name) ||
    named.has(name);
}

/** The host name of an `Origin` header, or undefined when it is not an http(s) origin. */
function originHost(origin: string): string | undefined {
  const match = /^https?:\/\/([^/?#@]+)$/i.exec(origin);
  return match ? hostName(match[1] as string) : undefined;
}

/** Why a request is refused before it is read, or undefined when it may go on. */
function refusal(
  req: IncomingMessage,
  isAllowed: (name: string) => boolean,
): HttpError | undefined {
  const target = req.url ?? '';
  // Origin-form only: the receiver is no proxy, and an absolute-form target is not a path.
  if (!target.startsWith('/')) return new HttpError(400, 'the request target must be a path');
  // Node keeps the first of several Host headers; which one a proxy or a check reads varies.
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return new HttpError(400, 'more than one Host header');
  const host = req.headers.host;
  if (host !== undefined && !isAllowed(hostName(host))) {
    return new HttpError(
      403,
      'this Host is not served: use 127.0.0.1, localhost or [::1], or name it with --allow-host (allowedHosts)',
    );
  }
  // A browser names the calling page's origin on a POST, and on a read from another site's page
  // (a fetch or an EventSource): neither may come from a foreign page. Answering such a read would
  // not show it the records (no CORS header), but an event stream would hold one of the few slots.
  const origin = req.headers.origin;
  const isRead = req.method === 'GET' || req.method === 'HEAD';
  if (origin !== undefined && (!isRead || target.startsWith('/api/'))) {
    const name = originHost(origin);
    if (name === undefined || !isAllowed(name)) {
      return new HttpError(
        403,
        isRead
          ? 'this Origin may not read the receiver'
          : 'this Origin may not send to the receiver',
      );
    }
  }
  return undefined;
}

function answerError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) return;
  res
    .writeHead(error.status, { 'content-type': 'text/plain', ...error.headers })
    .end(error.message);
}

/** Starts the receiver; resolves once it listens. */
export async function startDevReceiver(options: DevReceiverOptions): Promise<DevReceiver> {
  const { store, limits } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const lastReported = new Map<string, number>();
  const reportNow = (kind: string, line: string) => {
    const now = Date.now();
    if (now - (lastReported.get(kind) ?? -Infinity) < REPORT_INTERVAL_MS) return;
    lastReported.set(kind, now);
    report(line);
  };
  const isAllowed = allowedHosts(options.host ?? '127.0.0.1', options.allowedHosts ?? []);
  let buffered = 0;
  const decodeLimits = resolveLimits(limits);
  const decoder = new DecodeThread(options.decodeHeapMiB);

  const decodes = new Slots(MAX_CONCURRENT_DECODES);
  const events = new EventStreams(() => store.lastId());

  /** Reads, gunzips and decodes one export into the store's rows; throws an HttpError. */
  const receive = async (req: IncomingMessage, reserve: (bytes: number) => boolean) => {
    const { encoding, contentEncoding, rawBody } = await readRawExport(req, {
      maxBodyBytes,
      reserve,
    });
    // Gunzipped bodies exist only inside a slot: waiting requests hold their bodies as sent.
    const answer = await decodes.run(async () => {
      const body = await decompress(rawBody, contentEncoding, maxBodyBytes);
      return decoder.decode({ body, encoding, limits: decodeLimits });
    });
    if (!answer.ok) throw decodeError(encoding, answer.kind, answer.message);
    return { encoding, ...answer };
  };

  const server: Server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    req.on('error', () => {});
    const refused = refusal(req, isAllowed);
    if (refused) {
      req.resume();
      answerError(res, refused);
      return;
    }
    const target = req.url as string;
    const query = target.indexOf('?');
    const path = query === -1 ? target : target.slice(0, query);
    if (path !== LOGS_PATH) {
      req.resume();
      // HEAD is GET without the body (Node leaves it out).
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (path === '/api/events') {
          if (req.method === 'GET') events.open(res);
          else res.writeHead(200, { 'content-type': 'text/event-stream' }).end();
          return;
        }
        try {
          const params = new URLSearchParams(query === -1 ? '' : target.slice(query + 1));
          if (serveRead(store, path, params, res)) return;
        } catch (error) {
          if (error instanceof HttpError) answerError(res, error);
          else if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
          }
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
    let held = 0;
    const reserve = (bytes: number) => {
      if (buffered + bytes > maxBufferedBytes) return false;
      buffered += bytes;
      held += bytes;
      return true;
    };
    receive(req, reserve)
      .then(
        ({ encoding, rows, rejected, decoded }) => {
          let refused = rejected;
          try {
            refused = [...refused, ...store.addRows(rows).rejected];
            events.stored();
          } catch (error) {
            report(`[threadline dev] could not store ${rows.length} records: ${String(error)}`);
            res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
            res.end(`the store cannot be written: ${String(error)}`);
            return;
          }
          if (refused.length > 0) {
            reportNow(
              'refused',
              `[threadline dev] refused ${refused.length} of ${decoded} records (${refused[0]})`,
            );
          }
          res.writeHead(200, { 'content-type': CONTENT_TYPES[encoding] });
          res.end(exportLogsResponse(encoding, refused));
        },
        (error: unknown) => {
          answerError(
            res,
            error instanceof HttpError
              ? error
              : new HttpError(400, String((error as Error)?.message)),
          );
        },
      )
      .finally(() => {
        buffered -= held;
        held = 0;
      });
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4318, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await decoder.close();
    throw error;
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}${LOGS_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        events.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => decoder.close()),
  };
}
