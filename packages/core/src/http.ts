/**
 * HTTP request correlation, written once for every framework: the adapters
 * (@threadline/express, @threadline/koa) are thin layers over it, and it
 * works as it is with `node:http` or any framework built on it.
 *
 * Per request: the incoming trace context under the trust policy, a hop scope
 * with a span id of its own (or the tracing SDK's server span), the request's
 * attributes on every line written while handling it, optional response
 * headers, and one `request completed` line when the response ends.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Context, context, createContextKey, trace } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { bad } from './internal/options.js';
import { openHopScope } from './internal/scope.js';
import { thrownValue } from './internal/serialize.js';
import { warnOnce } from './internal/state.js';
import { formatTraceparent } from './internal/w3c.js';
import { getLogger } from './logger-api.js';
import { extractTraceContext, TRUST_POLICIES } from './propagation.js';
import { LOG_LEVELS } from './severity.js';
import type {
  HttpCorrelationOptions,
  HttpCorrelator,
  HttpRequestScope,
  Logger,
  LogLevel,
} from './types.js';

/** Request id attribute (Threadline's own namespace): the validated incoming `x-request-id` or a generated one. */
export const ATTR_REQUEST_ID = 'threadline.request.id';
/** Duration of the request (or job, or cron run) in milliseconds, on its completed line. */
export const ATTR_DURATION_MS = 'threadline.duration_ms';
/** `true` on the completed line of a request whose client went away before the response ended. */
export const ATTR_REQUEST_ABORTED = 'threadline.request.aborted';

/** @default 'x-request-id' */
export const DEFAULT_REQUEST_ID_HEADER = 'x-request-id';
/** Incoming request ids longer than this, or with other characters than `[A-Za-z0-9._~:@+=/-]`, are replaced. */
export const MAX_REQUEST_ID_LENGTH = 128;
/** `url.path` is cut to this many characters (a 64 KB URL stays a short attribute). */
export const MAX_URL_PATH_LENGTH = 2048;
const MAX_USER_AGENT_LENGTH = 512;
const MAX_METHOD_LENGTH = 32;

const REQUEST_ID_RE = /^[A-Za-z0-9._~:@+=/-]+$/;
const HTTP_REQUEST_KEY = createContextKey('threadline.http.request');
// Semantic conventions: http.request.method is one of these, else `_OTHER`
// with the original in http.request.method_original.
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

/**
 * The request being handled in `ctx` (by default the active context), when a
 * correlator opened it: its request id, and `fail(error)` to log an error in
 * its scope. Undefined outside a correlated request.
 *
 * @example
 * app.use((err, req, res, next) => { tryGetHttpRequestScope()?.fail(err); next(err); });
 */
export function tryGetHttpRequestScope(
  ctx: Context = context.active(),
): HttpRequestScope | undefined {
  return ctx.getValue(HTTP_REQUEST_KEY) as HttpRequestScope | undefined;
}

/**
 * The default level of the `request completed` line: ERROR for 5xx, WARN for
 * 4xx and for requests the client aborted, INFO otherwise.
 *
 * @example
 * correlate({ severity: (status, aborted) => (status === 404 ? 'info' : defaultHttpSeverity(status, aborted)) });
 */
export function defaultHttpSeverity(statusCode: number, aborted: boolean): LogLevel {
  if (statusCode >= 500) return 'error';
  if (statusCode >= 400 || aborted) return 'warn';
  return 'info';
}

const LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);

/**
 * The shared HTTP semantics behind every `correlate()` middleware. Options are
 * checked here, once: a bad one throws a TypeError naming it.
 *
 * @example
 * import http from 'node:http';
 * import { context } from '@opentelemetry/api';
 * import { createHttpCorrelator, log } from '@threadline/core';
 * const correlator = createHttpCorrelator({ ignore: ['/healthz'] });
 * http.createServer((req, res) => {
 *   const scope = correlator.begin(req, res);
 *   context.with(scope.context, () => {
 *     log.info('hello'); // trace id, span id, method, path, request id
 *     res.end('ok');
 *   });
 * });
 */
export function createHttpCorrelator(options: HttpCorrelationOptions = {}): HttpCorrelator {
  const o = checkOptions(options);
  const logger = o.logger ?? getLogger('threadline.http');
  const isIgnored = ignoreMatcher(o.ignore);
  const severity = o.severity ?? defaultHttpSeverity;
  const logCompleted = o.logCompleted ?? true;
  const idHeader = o.requestIdHeader === undefined ? DEFAULT_REQUEST_ID_HEADER : o.requestIdHeader;
  const idHeaderLc = idHeader === false ? false : idHeader.toLowerCase();
  const echoId = idHeaderLc !== false && (o.responseHeaders?.requestId ?? false);
  const traceResponse = o.responseHeaders?.traceResponse ?? false;
  const traceIdHeader = o.responseHeaders?.traceIdHeader ?? false;
  const trust = o.trust ?? 'continue';

  return {
    begin(req, res, hooks) {
      const started = performance.now();
      let ctx = context.active();
      let requestId = '';
      let path = '';
      let method = 'GET';
      let headers: Array<[string, string]> | undefined;
      try {
        method = requestMethod(req.method);
        path = urlPath(req.url);
        const attributes: Record<string, unknown> = {
          'http.request.method': method,
          'url.path': path,
        };
        if (method === '_OTHER') {
          attributes['http.request.method_original'] = cut(String(req.method), MAX_METHOD_LENGTH);
        }
        if (idHeaderLc !== false) {
          requestId = validRequestId(req.headers[idHeaderLc]) ?? randomUUID();
          attributes[ATTR_REQUEST_ID] = requestId;
        }
        if (o.userAgent) {
          const ua = req.headers['user-agent'];
          if (typeof ua === 'string' && ua !== '') {
            attributes['user_agent.original'] = cut(ua, MAX_USER_AGENT_LENGTH);
          }
        }
        if (o.clientAddress) {
          const address = call(hooks?.clientAddress) ?? req.socket?.remoteAddress;
          if (typeof address === 'string' && address !== '') {
            attributes['client.address'] = cut(address, 64);
          }
        }
        ctx = openHopScope(attributes, extractTraceContext(req.headers, { trust, context: ctx }));
        if (echoId || traceResponse || traceIdHeader) {
          headers = [];
          if (echoId) headers.push([idHeader as string, requestId]);
          const sc = trace.getSpanContext(ctx);
          if (sc && traceResponse) {
            headers.push([
              'traceresponse',
              formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags),
            ]);
          }
          if (sc && traceIdHeader) headers.push([traceIdHeader, sc.traceId]);
          setHeaders(res, headers);
        }
      } catch (error) {
        warnOnce('http-begin', `a request could not be correlated: ${String(error)}`);
      }

      // Errors logged for this request, and their types (for error.type); rare, so made on demand.
      let failures: Array<{ error: unknown; type: string }> | undefined;
      const scope: { -readonly [K in keyof HttpRequestScope]: HttpRequestScope[K] } = {
        context: ctx,
        requestId,
        fail(error) {
          try {
            failures ??= [];
            if (failures.some((f) => f.error === error)) return;
            const thrown = thrownValue(error);
            failures.push({ error, type: thrown.type });
            // The framework's error handling may clear the headers set so far (Koa
            // does): put ours back right before the error response's head is written.
            if (headers && failures.length === 1) setAgainBeforeHeadersAreWritten(res, headers);
            // An HTTP error for a client mistake (`ctx.throw(404)`, http-errors' 4xx) is a warning.
            const level = isClientError(error) ? 'warn' : 'error';
            context.with(requestLines, () => logger[level]('request failed', thrown.attributes));
          } catch {
            // Never let telemetry replace the application's error.
          }
        },
      };

      // The request's own context knows the request: `tryGetHttpRequestScope()`.
      scope.context = ctx = ctx.setValue(HTTP_REQUEST_KEY, scope);
      // The request's own lines go on the HTTP SERVER span of a tracing SDK,
      // not on a framework instrumentation's span around this middleware.
      let requestLines = ctx;
      try {
        requestLines = onServerSpan(ctx);
      } catch {
        // A span we cannot read: the request's lines go on the request's context.
      }

      if (logCompleted && !isIgnored(path, method)) {
        const complete = (aborted: boolean): void => {
          try {
            const status = res.statusCode;
            const attrs: Record<string, unknown> = {};
            const route = call(hooks?.route);
            if (typeof route === 'string' && route !== '') attrs['http.route'] = route;
            if (!aborted || res.headersSent) attrs['http.response.status_code'] = status;
            attrs[ATTR_DURATION_MS] = Math.round((performance.now() - started) * 1000) / 1000;
            if (aborted) attrs[ATTR_REQUEST_ABORTED] = true;
            if (failures) attrs['error.type'] = failures[0]?.type;
            else if (status >= 500) attrs['error.type'] = String(status);
            let level = defaultHttpSeverity(status, aborted);
            try {
              const chosen = severity(status, aborted);
              if (LEVELS.has(chosen)) level = chosen;
            } catch (error) {
              warnOnce('http-severity', `the severity option threw: ${String(error)}`);
            }
            context.with(requestLines, () => logger[level]('request completed', attrs));
          } catch (error) {
            warnOnce('http-complete', `a request completed line was lost: ${String(error)}`);
          }
        };
        // 'close' comes after 'finish' for a response that ended, and alone for
        // one whose client went away.
        res.once('close', () => complete(!res.writableFinished));
      }
      return scope;
    },
  };
}

/**
 * `ctx` with the SERVER span of the request active, when a tracing SDK's HTTP
 * instrumentation made one (it leaves it in the context's RPC metadata, where
 * instrumentation-express and -koa read it to set `http.route`) and another
 * span (such as instrumentation-express's `middleware - threadlineCorrelate`)
 * is active; else `ctx` as it is.
 */
function onServerSpan(ctx: Context): Context {
  const server = getRPCMetadata(ctx)?.span;
  if (server === undefined || server === trace.getSpan(ctx)) return ctx;
  const sc = server.spanContext();
  if (sc.isRemote || !server.isRecording()) return ctx;
  return trace.setSpan(ctx, server);
}

function isClientError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const status =
    (error as { status?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function checkOptions(options: HttpCorrelationOptions): HttpCorrelationOptions {
  if (options === null || typeof options !== 'object') throw bad('options', options, 'an object');
  const o = options;
  if (o.trust !== undefined && !TRUST_POLICIES.includes(o.trust)) {
    throw bad('trust', o.trust, `one of ${TRUST_POLICIES.map((t) => `"${t}"`).join(', ')}`);
  }
  if (
    o.ignore !== undefined &&
    typeof o.ignore !== 'function' &&
    !(
      Array.isArray(o.ignore) &&
      o.ignore.every((p) => (typeof p === 'string' && p !== '') || p instanceof RegExp)
    )
  ) {
    throw bad('ignore', o.ignore, 'an array of paths (strings) and RegExps, or a function');
  }
  if (o.severity !== undefined && typeof o.severity !== 'function') {
    throw bad('severity', o.severity, 'a function (statusCode, aborted) => level');
  }
  for (const key of ['logCompleted', 'userAgent', 'clientAddress'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      throw bad(key, o[key], 'true or false');
  }
  if (
    o.requestIdHeader !== undefined &&
    o.requestIdHeader !== false &&
    !isHeaderName(o.requestIdHeader)
  ) {
    throw bad('requestIdHeader', o.requestIdHeader, 'a header name or false');
  }
  const rh = o.responseHeaders;
  if (rh !== undefined) {
    if (rh === null || typeof rh !== 'object') throw bad('responseHeaders', rh, 'an object');
    for (const key of ['requestId', 'traceResponse'] as const) {
      if (rh[key] !== undefined && typeof rh[key] !== 'boolean') {
        throw bad(`responseHeaders.${key}`, rh[key], 'true or false');
      }
    }
    if (
      rh.traceIdHeader !== undefined &&
      rh.traceIdHeader !== false &&
      !isHeaderName(rh.traceIdHeader)
    ) {
      throw bad('responseHeaders.traceIdHeader', rh.traceIdHeader, 'a header name or false');
    }
  }
  if (
    o.logger !== undefined &&
    (o.logger === null ||
      typeof (o.logger as Partial<Logger>).isLevelEnabled !== 'function' ||
      typeof (o.logger as Partial<Logger>).error !== 'function')
  ) {
    throw bad('logger', o.logger, 'a Threadline logger (getLogger(name))');
  }
  return o;
}

// RFC 9110 token characters.
function isHeaderName(value: unknown): value is string {
  return typeof value === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value);
}

function ignoreMatcher(
  ignore: HttpCorrelationOptions['ignore'],
): (path: string, method: string) => boolean {
  if (ignore === undefined) return () => false;
  if (typeof ignore === 'function') {
    return (path, method) => {
      try {
        return ignore(path, method) === true;
      } catch (error) {
        warnOnce('http-ignore', `the ignore option threw: ${String(error)}`);
        return false;
      }
    };
  }
  const exact = new Set(ignore.filter((p): p is string => typeof p === 'string'));
  const patterns = ignore.filter((p): p is RegExp => p instanceof RegExp);
  if (exact.size === 0 && patterns.length === 0) return () => false;
  return (path) => {
    if (exact.has(path)) return true;
    for (const p of patterns) {
      p.lastIndex = 0;
      if (p.test(path)) return true;
    }
    return false;
  };
}

function requestMethod(raw: string | undefined): string {
  if (raw === undefined) return 'GET';
  return KNOWN_METHODS.has(raw) ? raw : '_OTHER';
}

/** The path of a request target, without query or fragment, cut to {@link MAX_URL_PATH_LENGTH}. */
export function urlPath(url: string | undefined): string {
  if (url === undefined || url === '') return '/';
  let end = url.length;
  const q = url.indexOf('?');
  if (q !== -1) end = q;
  const h = url.indexOf('#');
  if (h !== -1 && h < end) end = h;
  let path = end === url.length ? url : url.slice(0, end);
  // An absolute-form target (`GET http://host/x`, used through proxies): keep the path.
  if (path.charCodeAt(0) !== 47 /* / */) {
    const scheme = path.indexOf('://');
    if (scheme !== -1) {
      const slash = path.indexOf('/', scheme + 3);
      path = slash === -1 ? '/' : path.slice(slash);
    }
  }
  return cut(path, MAX_URL_PATH_LENGTH);
}

/** The incoming request id when it is one value of 1–128 safe characters. */
function validRequestId(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined; // missing, or sent twice
  if (value.length === 0 || value.length > MAX_REQUEST_ID_LENGTH) return undefined;
  return REQUEST_ID_RE.test(value) ? value : undefined;
}

function cut(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

function call<T>(fn: (() => T) | undefined): T | undefined {
  if (!fn) return undefined;
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Sets the headers the application has not set. Never throws. */
function setHeaders(res: ServerResponse, headers: Array<[string, string]>): void {
  if (res.headersSent) return;
  try {
    for (const [name, value] of headers) {
      if (!res.hasHeader(name)) res.setHeader(name, value);
    }
  } catch {
    // Never stand between the application and its response.
  }
}

/**
 * Sets the headers again right before the response head is written, whichever
 * path writes it: a framework's error handling may clear the headers set
 * earlier (Koa's does). The technique of the `on-headers` package used by
 * morgan and compression, on this response only, and only once it failed:
 * replacing a method on every response would cost every request.
 */
function setAgainBeforeHeadersAreWritten(
  res: ServerResponse,
  headers: Array<[string, string]>,
): void {
  if (res.headersSent) return;
  const writeHead = res.writeHead;
  res.writeHead = function threadlineWriteHead(this: ServerResponse, ...args: unknown[]) {
    res.writeHead = writeHead;
    setHeaders(this, headers);
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
