/**
 * HTTP request correlation, written once for every framework: the adapters
 * (@threadline/express, @threadline/koa, @threadline/hono,
 * @threadline/fastify) are thin layers over it, and it works as it is with
 * `node:http` or any framework built on it (`begin`, or `open` for one that
 * logs before it hands over the response), or with the Fetch API's `Request`
 * and `Response` (`beginFetch`).
 *
 * Per request: the incoming trace context under the trust policy, a hop scope
 * with a span id of its own (or the tracing SDK's server span), the request's
 * attributes on every line written while handling it, optional response
 * headers, and one `request completed` line when the response ends.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context, createContextKey, trace } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { writeInContext } from './internal/logger.js';
import { bad } from './internal/options.js';
import { addToScope, getScope, openHopScope } from './internal/scope.js';
import { currentSerializer, thrownValue } from './internal/serialize.js';
import { warnOnce } from './internal/state.js';
import { formatTraceparent } from './internal/w3c.js';
import { getLogger } from './logger-api.js';
import { extractTraceContext, TRUST_POLICIES } from './propagation.js';
import { LOG_LEVELS } from './severity.js';
import type {
  HeaderCarrier,
  HttpCorrelationOptions,
  HttpCorrelator,
  HttpRequestHooks,
  HttpRequestScope,
  Logger,
  LogLevel,
  TrustPolicy,
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
 * The Fetch API side of a correlator, for frameworks that hand over a
 * `Request` and take back a `Response` rather than node:http's pair (Hono's
 * `app.request()`, or Hono on a server that gives no node:http objects).
 */
export interface FetchHttpCorrelator {
  /**
   * Opens the request's scope, as `begin` does for node:http. The response
   * headers and the completed line wait for the response
   * ({@link FetchRequestScope.respond}); a request whose `signal` aborts
   * before then completes as aborted. Never throws.
   */
  beginFetch(request: Request, hooks?: HttpRequestHooks): FetchRequestScope;
}

/**
 * The node:http side of a correlator for frameworks that write lines for a
 * request before they hand the response to any code of ours (Fastify makes
 * the request's logger, and logs `incoming request` with it, before its
 * first hook runs).
 */
export interface EarlyHttpCorrelator {
  /**
   * Opens the request's scope from the request alone; `respond(res, hooks)`
   * on what it returns then does the rest of what `begin` does. Never throws.
   */
  open(req: IncomingMessage): OpenedHttpRequest;
}

/** A request whose scope {@link EarlyHttpCorrelator.open} opened. */
export interface OpenedHttpRequest {
  /** The scope, as `begin` returns it. */
  readonly scope: HttpRequestScope;
  /**
   * Does with the response what `begin` does: sets the response headers,
   * adds `client.address` (from `hooks.clientAddress`) to the scope when
   * asked, and arranges the `request completed` line, `hooks.route` read
   * then. Lines written before it carry no `client.address`. A second call
   * does nothing. Never throws.
   */
  respond(res: ServerResponse, hooks?: HttpRequestHooks): void;
}

/** One request in progress on the Fetch API. */
export interface FetchRequestScope extends HttpRequestScope {
  /**
   * Takes the application's response and returns the one to send: with the
   * response headers asked for (those it lacks), and with a body that tells
   * when it has been read to its end, for the `request completed` line (at
   * once for a response without a body, or to HEAD; aborted when the reader
   * cancels the body or the body fails). Call it once. Never throws: on a
   * failure it returns `response` as it is and warns once.
   */
  respond(response: Response): Response;
}

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
export function createHttpCorrelator(
  options: HttpCorrelationOptions = {},
): HttpCorrelator & FetchHttpCorrelator & EarlyHttpCorrelator {
  const settings = settingsOf(options);
  return {
    begin(req, res, hooks) {
      const request = new CorrelatedRequest(settings, NODE_REQUEST, req, hooks);
      followResponse(request, res);
      return request;
    },
    beginFetch(request, hooks) {
      return new FetchCorrelatedRequest(settings, request, hooks);
    },
    open(req) {
      const request = new CorrelatedRequest(settings, NODE_REQUEST, req, undefined, true);
      let responded = false;
      return {
        scope: request,
        respond(res, hooks) {
          if (responded) return;
          responded = true;
          request.useHooks(hooks, NODE_REQUEST.socketAddress(req));
          followResponse(request, res);
        },
      };
    },
  };
}

/** node:http's response of `request`: the response headers, and the completed line on its 'close'. */
function followResponse(request: CorrelatedRequest, res: ServerResponse): void {
  const headers = request.responseHeaders;
  if (headers) {
    setHeaders(res, headers);
    // The framework's error handling may clear the headers set so far (Koa
    // does): put ours back right before the error response's head is written.
    if (request.failed) setAgainBeforeHeadersAreWritten(res, headers);
    else request.onFirstFailure = () => setAgainBeforeHeadersAreWritten(res, headers);
  }
  if (request.completes) {
    // 'close' comes after 'finish' for a response that ended, and alone for
    // one whose client went away.
    res.once('close', () =>
      request.complete(res.statusCode, !res.writableFinished, res.headersSent),
    );
  }
}

/** A correlator's options, checked and resolved once. */
interface Settings {
  logger: Logger;
  isIgnored: (path: string, method: string) => boolean;
  severity: (statusCode: number, aborted: boolean) => LogLevel;
  logCompleted: boolean;
  /** The request id header as given (echoed under that name), lower-cased, or false. */
  idHeader: string | false;
  idHeaderLc: string | false;
  echoId: boolean;
  traceResponse: boolean;
  traceIdHeader: string | false;
  trust: TrustPolicy;
  userAgent: boolean;
  clientAddress: boolean;
}

function settingsOf(options: HttpCorrelationOptions): Settings {
  const o = checkOptions(options);
  const idHeader = o.requestIdHeader === undefined ? DEFAULT_REQUEST_ID_HEADER : o.requestIdHeader;
  const idHeaderLc = idHeader === false ? false : idHeader.toLowerCase();
  return {
    logger: o.logger ?? getLogger('threadline.http'),
    isIgnored: ignoreMatcher(o.ignore),
    severity: o.severity ?? defaultHttpSeverity,
    logCompleted: o.logCompleted ?? true,
    idHeader,
    idHeaderLc,
    echoId: idHeaderLc !== false && (o.responseHeaders?.requestId ?? false),
    traceResponse: o.responseHeaders?.traceResponse ?? false,
    traceIdHeader: o.responseHeaders?.traceIdHeader ?? false,
    trust: o.trust ?? 'continue',
    userAgent: o.userAgent ?? false,
    clientAddress: o.clientAddress ?? false,
  };
}

/** What the correlator reads of a request: node:http's `IncomingMessage` and the Fetch API's `Request` both have these. */
interface RequestLike {
  readonly method?: string;
  /** The request target (`/path?query`), or an absolute URL (the Fetch API's). */
  readonly url?: string;
  readonly headers: HeaderCarrier;
}

/** How one kind of request gives what its properties alone do not. */
interface RequestReader<R extends RequestLike> {
  /** A header by its lower-cased name. */
  header(req: R, name: string): string | string[] | null | undefined;
  /** The peer's address, when there is a socket. */
  socketAddress(req: R): string | undefined;
}

const NODE_REQUEST: RequestReader<IncomingMessage> = {
  header: (req, name) => req.headers[name],
  socketAddress: (req) => req.socket?.remoteAddress,
};

const FETCH_REQUEST: RequestReader<Request> = {
  header: (req, name) => req.headers.get(name),
  socketAddress: () => undefined,
};

/**
 * One correlated request: the scope the adapter runs the request in, and
 * what its `request completed` line needs. Whoever knows the response calls
 * `complete()` once it has ended.
 */
class CorrelatedRequest implements HttpRequestScope {
  context: Context;
  requestId = '';
  /** The response headers asked for (`responseHeaders`), when any. */
  responseHeaders: Array<[string, string]> | undefined;
  /** True while a `request completed` line is still due: not off, not ignored, not written. */
  completes = false;
  /** Runs on the first failure logged. */
  onFirstFailure: (() => void) | undefined;
  private readonly started = performance.now();
  // Errors logged for this request, and their types (for error.type); rare, so made on demand.
  private failures: Array<{ error: unknown; type: string }> | undefined;
  /** Where the request's own lines go (see onServerSpan). */
  private readonly requestLines: Context;

  /**
   * `hooksLater`: the framework's hooks come with the response
   * (`useHooks`), and so does the client address.
   */
  constructor(
    private readonly settings: Settings,
    reader: RequestReader<RequestLike>,
    req: RequestLike,
    private hooks: HttpRequestHooks | undefined,
    hooksLater = false,
  ) {
    let ctx = context.active();
    let opened = false;
    let path = '';
    let method = 'GET';
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
      if (settings.idHeaderLc !== false) {
        this.requestId = validRequestId(reader.header(req, settings.idHeaderLc)) ?? randomUUID();
        attributes[ATTR_REQUEST_ID] = this.requestId;
      }
      if (settings.userAgent) {
        const ua = reader.header(req, 'user-agent');
        if (typeof ua === 'string' && ua !== '') {
          attributes['user_agent.original'] = cut(ua, MAX_USER_AGENT_LENGTH);
        }
      }
      if (settings.clientAddress && !hooksLater) {
        const address = clientAddressOf(hooks, reader.socketAddress(req));
        if (address !== undefined) attributes['client.address'] = address;
      }
      // The request's own context knows the request: `tryGetHttpRequestScope()`.
      ctx = openHopScope(
        attributes,
        extractTraceContext(req.headers, { trust: settings.trust, context: ctx }),
        { key: HTTP_REQUEST_KEY, value: this },
      );
      opened = true;
      if (settings.echoId || settings.traceResponse || settings.traceIdHeader) {
        const headers: Array<[string, string]> = [];
        if (settings.echoId) headers.push([settings.idHeader as string, this.requestId]);
        const sc = trace.getSpanContext(ctx);
        if (sc && settings.traceResponse) {
          headers.push(['traceresponse', formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags)]);
        }
        if (sc && settings.traceIdHeader) headers.push([settings.traceIdHeader, sc.traceId]);
        this.responseHeaders = headers;
      }
    } catch (error) {
      warnOnce('http-begin', `a request could not be correlated: ${String(error)}`);
    }
    if (!opened) ctx = ctx.setValue(HTTP_REQUEST_KEY, this);
    this.context = ctx;
    // The request's own lines go on the HTTP SERVER span of a tracing SDK,
    // not on a framework instrumentation's span around this middleware.
    let requestLines = ctx;
    try {
      requestLines = onServerSpan(ctx);
    } catch {
      // A span we cannot read: the request's lines go on the request's context.
    }
    this.requestLines = requestLines;
    this.completes = settings.logCompleted && !settings.isIgnored(path, method);
  }

  /** Whether an error was logged for the request. */
  get failed(): boolean {
    return this.failures !== undefined;
  }

  /**
   * For a request opened before its response: the framework's hooks, read
   * from now on, and the client address they give, added to the scope.
   */
  useHooks(hooks: HttpRequestHooks | undefined, socketAddress: string | undefined): void {
    this.hooks = hooks;
    if (!this.settings.clientAddress) return;
    try {
      const address = clientAddressOf(hooks, socketAddress);
      const scope = getScope(this.context);
      if (scope && address !== undefined) addToScope(scope, { 'client.address': address });
    } catch (error) {
      warnOnce('http-begin', `a request could not be correlated: ${String(error)}`);
    }
  }

  // A property, not a method: adapters may hand it on as a callback.
  readonly fail = (error: unknown): void => {
    try {
      this.failures ??= [];
      if (this.failures.some((f) => f.error === error)) return;
      const thrown = thrownValue(error);
      this.failures.push({ error, type: thrown.type });
      if (this.failures.length === 1) this.onFirstFailure?.();
      // An HTTP error for a client mistake (`ctx.throw(404)`, http-errors' 4xx) is a warning.
      const level = isClientError(error) ? 'warn' : 'error';
      writeInContext(
        this.requestLines,
        this.settings.logger,
        level,
        'request failed',
        thrown.attributes,
      );
    } catch {
      // Never let telemetry replace the application's error.
    }
  };

  /**
   * Writes the `request completed` line, once: `status` as sent, `aborted`
   * when the client went away first, `headSent` when the status reached it.
   */
  complete(status: number, aborted: boolean, headSent: boolean): void {
    if (!this.completes) return;
    this.completes = false;
    const { logger, severity } = this.settings;
    try {
      const attrs: Record<string, unknown> = {};
      const route = call(this.hooks?.route);
      if (typeof route === 'string' && route !== '') attrs['http.route'] = route;
      if (!aborted || headSent) attrs['http.response.status_code'] = status;
      attrs[ATTR_DURATION_MS] = Math.round((performance.now() - this.started) * 1000) / 1000;
      if (aborted) attrs[ATTR_REQUEST_ABORTED] = true;
      if (this.failures) attrs['error.type'] = this.failures[0]?.type;
      else if (status >= 500) attrs['error.type'] = String(status);
      let level = defaultHttpSeverity(status, aborted);
      try {
        const chosen = severity(status, aborted);
        if (LEVELS.has(chosen)) level = chosen;
      } catch (error) {
        warnOnce('http-severity', `the severity option threw: ${String(error)}`);
      }
      writeInContext(this.requestLines, logger, level, 'request completed', attrs);
    } catch (error) {
      warnOnce('http-complete', `a request completed line was lost: ${String(error)}`);
    }
  }
}

/** `client.address`: the framework's view (`hooks.clientAddress`), else the socket's, cut to 64. */
function clientAddressOf(
  hooks: HttpRequestHooks | undefined,
  socketAddress: string | undefined,
): string | undefined {
  const address = call(hooks?.clientAddress) ?? socketAddress;
  return typeof address === 'string' && address !== '' ? cut(address, 64) : undefined;
}

/**
 * A request on the Fetch API: the response headers go on the response it is
 * given, and it completes when that response's body has been read (or at
 * once), or when the request's signal aborts before there is a response.
 */
class FetchCorrelatedRequest extends CorrelatedRequest implements FetchRequestScope {
  private responded = false;
  private readonly signal: AbortSignal | undefined;
  private readonly isHead: boolean;

  constructor(settings: Settings, request: Request, hooks: HttpRequestHooks | undefined) {
    super(settings, FETCH_REQUEST, request, hooks);
    this.isHead = request.method === 'HEAD';
    if (this.completes) {
      try {
        const signal = request.signal;
        if (signal.aborted) this.abandoned();
        else {
          signal.addEventListener('abort', this.abandoned, { once: true });
          this.signal = signal;
        }
      } catch {
        // A request without a usable signal: it completes with its response.
      }
    }
  }

  /** The client went away before the response (as node:http's 200 default, its status is not recorded). */
  private readonly abandoned = (): void => this.complete(200, true, false);

  override complete(status: number, aborted: boolean, headSent: boolean): void {
    this.signal?.removeEventListener('abort', this.abandoned);
    super.complete(status, aborted, headSent);
  }

  respond(response: Response): Response {
    if (this.responded) return response;
    this.responded = true;
    try {
      let sent = this.responseHeaders ? withHeaders(response, this.responseHeaders) : response;
      if (!this.completes) return sent;
      const status = sent.status;
      if (sent.body === null || this.isHead) this.complete(status, false, true);
      else sent = withEndReported(sent, (aborted) => this.complete(status, aborted, true));
      return sent;
    } catch (error) {
      warnOnce('http-respond', `a response could not be correlated: ${String(error)}`);
      return response;
    }
  }
}

/** `response` with the headers it lacks; a copy when its headers cannot change (`fetch()`'s). */
function withHeaders(response: Response, headers: Array<[string, string]>): Response {
  const missing = headers.filter(([name]) => !response.headers.has(name));
  if (missing.length === 0) return response;
  let out = response;
  try {
    for (const [name, value] of missing) out.headers.set(name, value);
  } catch {
    out = new Response(response.body, response);
    for (const [name, value] of missing) out.headers.set(name, value);
  }
  return out;
}

/**
 * `response` with a body that calls `ended(false)` once read to its end, and
 * `ended(true)` when its reader cancels it or it fails (the client went away).
 */
function withEndReported(response: Response, ended: (aborted: boolean) => void): Response {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        ended(true);
        controller.error(error);
        return;
      }
      if (chunk.done) {
        controller.close();
        ended(false);
      } else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      ended(true);
      return reader.cancel(reason);
    },
  });
  return new Response(body, response);
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

/**
 * The incoming request id when it is one value of 1–128 safe characters that
 * the redaction leaves as they are: an id it would change (`a://u:p@h`,
 * `sig=…`) would not be the id the request's records carry.
 */
function validRequestId(value: string | string[] | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined; // missing, or sent twice (node:http)
  if (value.length === 0 || value.length > MAX_REQUEST_ID_LENGTH) return undefined;
  return REQUEST_ID_RE.test(value) && currentSerializer().keepsAsIs(value) ? value : undefined;
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
