/**
 * What `threadline dev` serves to read: the page at `/` and its JSON API
 * (`/api/overview`, `/api/traces`, `/api/traces/:id`, `/api/logs`). The live
 * stream (`/api/events`) is live.ts's.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpError } from './otlp.js';
import { PAGE } from './page.js';
import { parseWindow } from './status.js';
import type { RecordStore } from './store.js';
import { traceHops } from './timeline.js';

const TRACE_PATH = /^\/api\/traces\/([0-9a-f]{32})$/;
/** Most traces or records one API call lists. */
const MAX_LIMIT = 500;
/** Longest text filter; a longer one is cut. */
const MAX_TEXT = 200;

/** The SHA-256 of an inline element's text, as a CSP source. */
function inlineHash(tag: 'script' | 'style'): string {
  const text = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(PAGE)?.[1] ?? '';
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/**
 * The page's content security policy: its own inline script and style, named
 * by their hashes, and nothing else (no other inline script, no other
 * origin), so nothing from a log can run even if it reached the markup.
 */
const PAGE_POLICY = `default-src 'self'; script-src ${inlineHash('script')}; style-src ${inlineHash('style')}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** A query parameter as a finite number; undefined when absent or empty. */
function numberParam(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name} must be a number; got ${value}`);
  return n;
}

function limitParam(params: URLSearchParams): number | undefined {
  const limit = numberParam(params, 'limit');
  return limit === undefined ? undefined : Math.min(Math.max(1, Math.floor(limit)), MAX_LIMIT);
}

const textParam = (params: URLSearchParams, name: string) =>
  (params.get(name) ?? '').slice(0, MAX_TEXT);

/** `status=5xx`: the class 5. */
function statusClassParam(params: URLSearchParams): number | undefined {
  const value = params.get('status') ?? '';
  if (value === '') return undefined;
  const match = /^([1-5])xx$/.exec(value);
  if (!match) throw new HttpError(400, `status must be a class such as 5xx; got ${value}`);
  return Number(match[1]);
}

/** The page and its JSON API (read only). Returns false for an unknown path; throws an HttpError for a bad query. */
export function serveRead(
  store: RecordStore,
  path: string,
  params: URLSearchParams,
  res: ServerResponse,
): boolean {
  const json = (value: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(value));
  };
  if (path === '/') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_POLICY,
    });
    res.end(PAGE);
    return true;
  }
  if (path === '/favicon.ico') {
    // No icon: an empty answer keeps a 404 out of the browser's console.
    res.writeHead(204).end();
    return true;
  }
  if (path === '/api/overview') {
    // As `threadline status` reads it: --window and --at.
    const windowMs = parseWindow(params.get('window') || '1h');
    if (windowMs === null) throw new HttpError(400, 'window must be such as 5m, 1h or 2d, or all');
    const at = params.get('at') || '';
    const now = at === '' ? Date.now() : Date.parse(at);
    if (!Number.isFinite(now))
      throw new HttpError(400, 'at must be a time such as 2026-12-06T03:10Z');
    json(store.overview({ now, windowMs }));
    return true;
  }
  if (path === '/api/traces') {
    json({
      traces: store.traces({
        service: params.get('service') ?? '',
        minSeverity: numberParam(params, 'severity') ?? 0,
        version: params.get('version') ?? '',
        text: textParam(params, 'q'),
        route: params.get('route') ?? '',
        method: params.get('method') ?? '',
        statusClass: statusClassParam(params),
        fromMs: numberParam(params, 'from'),
        toMs: numberParam(params, 'to'),
        errorsFirst: params.get('errorsFirst') !== '0',
        limit: limitParam(params),
      }),
      facets: { ...store.facets(), routes: store.routes() },
    });
    return true;
  }
  if (path === '/api/logs') {
    json({
      ...store.logs({
        service: params.get('service') ?? '',
        minSeverity: numberParam(params, 'severity') ?? 0,
        text: textParam(params, 'q'),
        beforeId: numberParam(params, 'before'),
        afterId: numberParam(params, 'after'),
        limit: limitParam(params),
      }),
      facets: store.facets(),
    });
    return true;
  }
  const match = TRACE_PATH.exec(path);
  if (match) {
    const records = store.trace(match[1] as string);
    const hops = traceHops(records);
    const depth = new Map(hops.map((h) => [h.spanId, h.depth]));
    json({ records: records.map((r) => ({ ...r, depth: depth.get(r.spanId) ?? 0 })), hops });
    return true;
  }
  return false;
}
