/**
 * Public scope API: attributes on every record written inside a piece of work.
 */
import { type Context, context } from '@opentelemetry/api';
import { assertFunction } from './internal/options.js';
import {
  activeSpanContext,
  addToScope,
  createScope,
  ensureContextManager,
  getScope,
  noScopeWarning,
  openHopScope,
  SCOPE_KEY,
} from './internal/scope.js';
import { warnOnce } from './internal/state.js';
import { isValidSpanId, isValidTraceId } from './internal/w3c.js';
import type { LogAttributes, TraceIds } from './types.js';

function checkFn(fn: unknown, what: string): void {
  assertFunction(`${what}(attributes, fn)`, fn);
}

/**
 * Runs `fn` in the context `prepare` builds. Should preparing it fail (a
 * hostile attributes object, a broken context manager), `fn` still runs once,
 * without the scope: telemetry never stops the work.
 */
function runIn<T>(prepare: () => Context, fn: () => T, what: string): T {
  let ctx: Context;
  try {
    ensureContextManager();
    ctx = prepare();
  } catch (error) {
    warnOnce(
      `${what}-failed`,
      `${what}() could not open its scope and ran without it: ${String(error)}`,
    );
    return fn();
  }
  return context.with(ctx, fn);
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
  checkFn(fn, 'withScope');
  return runIn(
    () => {
      const active = context.active();
      return active.setValue(SCOPE_KEY, createScope(attributes, getScope(active)));
    },
    fn,
    'withScope',
  );
}

/**
 * Adds attributes to the current scope: records written after this call, in
 * this scope, carry them. A key already in the scope is replaced. Returns
 * false (and warns once) outside any scope; never throws. New keys past the
 * attribute count limit (128) are dropped, with a warning once.
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
  try {
    if (addToScope(scope, attributes) > 0) {
      warnOnce(
        'scope-limit',
        'addScopeAttributes(): the scope reached the attribute count limit; new keys were dropped',
      );
    }
    return true;
  } catch (error) {
    warnOnce('addScopeAttributes-failed', `addScopeAttributes() failed: ${String(error)}`);
    return false;
  }
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
  const sc = activeSpanContext(ctx);
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
  checkFn(fn, 'withHopScope');
  return runIn(
    () => openHopScope(attributes, options?.context ?? context.active()),
    fn,
    'withHopScope',
  );
}
