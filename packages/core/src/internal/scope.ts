/**
 * Scopes: attributes that appear on every record written inside a request,
 * job or cron run. A scope is an OpenTelemetry context value, so it follows
 * `await`, timers and callbacks through AsyncLocalStorage and never leaks
 * between concurrent requests.
 */
import {
  type AnyValue,
  type Context,
  context,
  createContextKey,
  INVALID_SPANID,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { newHop } from '../propagation.js';
import type { LogAttributes } from '../types.js';
import { HopScopeContext, hopContextWorks } from './hop-context.js';
import {
  currentSerializer,
  estimateBytes,
  type Serializer,
  setOwn,
  trimToLimit,
} from './serialize.js';
import { globalState, warnOnce } from './state.js';

/** A scope's (or a child logger's) attributes, already sanitised and redacted. */
export interface ScopeData {
  attributes: Record<string, AnyValue>;
  /** Estimated size of `attributes`. */
  bytes: number;
  /** How many `attributes` there are. */
  count: number;
  /**
   * The serializer that normalised them. A scope made before start (or under
   * an earlier instance) is normalised again by the running one, so its
   * redaction keys and limits apply.
   */
  serializer: Serializer;
  /**
   * The span context of the hop (request, job, cron run) the scope belongs
   * to. Lines use it when the active span has no ids: a tracing SDK started
   * without a tracer provider (`OTEL_TRACES_EXPORTER=none`) has its
   * instrumentations make spans with all-zero ids around the handlers.
   */
  hop?: SpanContext | undefined;
}

export const SCOPE_KEY = createContextKey('threadline.scope');

/**
 * Without a registered context manager `context.with` does nothing and every
 * scope would be lost: register AsyncLocalStorage unless the application (or
 * a tracing SDK) already registered one.
 */
export function ensureContextManager(): void {
  const s = globalState();
  if (s.contextManagerChecked) return;
  s.contextManagerChecked = true;
  const probe = createContextKey('threadline.probe');
  const works = context.with(context.active().setValue(probe, true), () =>
    context.active().getValue(probe),
  );
  if (works === true) return;
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
}

export function getScope(ctx: Context = context.active()): ScopeData | undefined {
  return ctx.getValue(SCOPE_KEY) as ScopeData | undefined;
}

/** A child of `parent` holding `attributes` (normalised now) on top of the parent's. */
export function createScope(attributes: LogAttributes, parent: ScopeData | undefined): ScopeData {
  const serializer = currentSerializer();
  const n = serializer.attributes(attributes);
  if (!parent) return { attributes: n.attributes, bytes: n.bytes, count: n.count, serializer };
  const p = current(parent, serializer);
  const merged = { ...p.attributes, ...n.attributes };
  trimToLimit(merged, serializer.limits.attributeCountLimit);
  return {
    attributes: merged,
    bytes: p.bytes + n.bytes,
    count: Object.keys(merged).length,
    serializer,
    hop: p.hop,
  };
}

/** `data` as normalised by `serializer` (itself, when it already is). */
export function current(data: ScopeData, serializer: Serializer): ScopeData {
  if (data.serializer === serializer) return data;
  const n = serializer.attributes(data.attributes);
  return { attributes: n.attributes, bytes: n.bytes, count: n.count, serializer, hop: data.hop };
}

/**
 * Adds (or replaces) attributes in `scope` (records already written keep what
 * they had): replacing a key does not
 * grow the size estimate, and new keys past the attribute count limit are
 * dropped. Returns how many were dropped.
 */
export function addToScope(scope: ScopeData, attributes: LogAttributes): number {
  const serializer = currentSerializer();
  if (scope.serializer !== serializer) Object.assign(scope, current(scope, serializer));
  const n = serializer.attributes(attributes);
  const limit = serializer.limits.attributeCountLimit;
  // Records written so far share the current object: change a copy.
  scope.attributes = { ...scope.attributes };
  let count = scope.count;
  let dropped = n.dropped;
  for (const key of Object.keys(n.attributes)) {
    const value = n.attributes[key] as AnyValue;
    if (Object.hasOwn(scope.attributes, key)) {
      scope.bytes -= key.length + 4 + estimateBytes(scope.attributes[key]);
    } else if (count >= limit) {
      dropped++;
      continue;
    } else count++;
    setOwn(scope.attributes, key, value);
    scope.bytes += key.length + 4 + estimateBytes(value);
  }
  scope.count = count;
  return dropped;
}

export function noScopeWarning(what: string): void {
  warnOnce(
    `no-scope:${what}`,
    `${what}() was called outside any scope; wrap the work in withScope() (or a request/job middleware) first`,
  );
}

/**
 * The span context lines and outbound calls use in `ctx`: the active span's,
 * or, when it has no ids, the hop's of the scope (see {@link ScopeData.hop}).
 */
export function activeSpanContext(ctx: Context): SpanContext | undefined {
  const sc = trace.getSpanContext(ctx);
  // Only the all-zero ids are looked for here, on every log call: callers
  // validate what they use, the logger with its cache of the last valid ids.
  if (sc !== undefined && sc.spanId !== INVALID_SPANID) return sc;
  return getScope(ctx)?.hop ?? sc;
}

/**
 * The context of one hop scope on top of `base`: the hop's span (or the
 * tracing SDK's), and a scope holding the hop's link/parent attributes and
 * `attributes`; `extra`, a value the hop's context holds too (the HTTP
 * request). One object without a tracing SDK (see HopScopeContext). May throw on
 * hostile input: callers guard.
 */
export function openHopScope(
  attributes: LogAttributes,
  base: Context,
  extra?: { key: symbol; value: unknown },
): Context {
  ensureContextManager();
  const hop = newHop(base);
  const scope = createScope({ ...hop.attributes, ...attributes }, getScope(base));
  const own = hop.spanContext;
  if (own !== undefined && hopContextWorks()) {
    scope.hop = own;
    return new HopScopeContext(base, own, SCOPE_KEY, scope, extra?.key, extra?.value);
  }
  let ctx = own === undefined ? base : trace.setSpanContext(base, own);
  scope.hop = trace.getSpanContext(ctx);
  ctx = ctx.setValue(SCOPE_KEY, scope);
  return extra === undefined ? ctx : ctx.setValue(extra.key, extra.value);
}
