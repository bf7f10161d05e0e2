/**
 * Public scope API: attributes on every record written inside a piece of work.
 */
import { type Context, context, trace } from '@opentelemetry/api';
import { defaultSerializer } from './internal/logger.js';
import {
  createScope,
  ensureContextManager,
  getScope,
  noScopeWarning,
  SCOPE_KEY,
} from './internal/scope.js';
import { globalState } from './internal/state.js';
import { isValidSpanId, isValidTraceId } from './internal/w3c.js';
import { createHopContext, type HopContext } from './propagation.js';
import type { LogAttributes, TraceIds } from './types.js';

function serializer() {
  return globalState().pipeline?.serializer ?? defaultSerializer();
}

/**
 * Runs `fn` in a scope: every record written inside it (across `await`,
 * timers and callbacks) carries `attributes`, on top of the enclosing scope's.
 * Returns what `fn` returns; errors pass through unchanged.
 *
 * @example
 * await withScope({ 'tenant.id': tenant }, async () => {
 *   log.info('import started'); // has tenant.id
 * });
 */
export function withScope<T>(attributes: LogAttributes, fn: () => T): T {
  ensureContextManager();
  const active = context.active();
  const n = serializer().attributes(attributes);
  const scope = createScope(n.attributes, n.bytes, getScope(active));
  return context.with(active.setValue(SCOPE_KEY, scope), fn);
}

/**
 * Adds attributes to the current scope: records written after this call, in
 * this scope, carry them. Returns false (and warns once) outside any scope.
 *
 * @example
 * app.use((req, res, next) => { addScopeAttributes({ 'user.id': req.user.id }); next(); });
 */
export function addScopeAttributes(attributes: LogAttributes): boolean {
  const scope = getScope();
  if (!scope) {
    noScopeWarning('addScopeAttributes');
    return false;
  }
  const n = serializer().attributes(attributes);
  Object.assign(scope.attributes, n.attributes);
  scope.bytes += n.bytes;
  return true;
}

/**
 * The attributes of the current scope, or undefined outside any scope.
 *
 * @example
 * const attrs = tryGetScopeAttributes();
 */
export function tryGetScopeAttributes(): Readonly<Record<string, unknown>> | undefined {
  return getScope()?.attributes;
}

/**
 * Trace id, span id and flags of the active context, or undefined when there
 * is none (e.g. outside a request or job). For printing next to your own lines.
 *
 * @example
 * const ids = tryGetTraceIds();
 * console.log(`[${ids?.traceId ?? '-'}] cache warmed`);
 */
export function tryGetTraceIds(ctx: Context = context.active()): TraceIds | undefined {
  const sc = trace.getSpanContext(ctx);
  if (!sc || !isValidTraceId(sc.traceId) || !isValidSpanId(sc.spanId)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags };
}

/**
 * Like {@link tryGetTraceIds}, but throws outside a traced scope.
 *
 * @example
 * res.setHeader('x-trace-id', getTraceIds().traceId);
 */
export function getTraceIds(ctx: Context = context.active()): TraceIds {
  const ids = tryGetTraceIds(ctx);
  if (!ids) {
    throw new Error(
      'Threadline: getTraceIds() was called outside a traced scope (no request, job or withHopScope()); use tryGetTraceIds() where that can happen',
    );
  }
  return ids;
}

/**
 * Runs `fn` as one service hop: a scope with `attributes` whose records carry
 * a span id of their own (or the active span's, when a tracing SDK made one),
 * continuing the trace in `options.context` (from {@link extractTraceContext}).
 *
 * @example
 * const ctx = extractTraceContext(req.headers, { trust: 'continue' });
 * withHopScope({ 'http.request.method': req.method }, () => next(), { context: ctx });
 */
export function withHopScope<T>(
  attributes: LogAttributes,
  fn: () => T,
  options: { context?: Context } = {},
): T {
  ensureContextManager();
  const hop: HopContext = createHopContext(options.context ?? context.active());
  const n = serializer().attributes({ ...hop.attributes, ...attributes });
  const scope = createScope(n.attributes, n.bytes, getScope(hop.context));
  return context.with(hop.context.setValue(SCOPE_KEY, scope), fn);
}
