/**
 * Scopes: attributes that appear on every record written inside a request,
 * job or cron run. A scope is an OpenTelemetry context value, so it follows
 * `await`, timers and callbacks through AsyncLocalStorage and never leaks
 * between concurrent requests.
 */
import { type AnyValue, type Context, context, createContextKey, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { globalState, warnOnce } from './state.js';

/** A scope's attributes, already sanitised and redacted. */
export interface ScopeData {
  attributes: Record<string, AnyValue>;
  bytes: number;
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

/** A child of the current scope (or of `parent`) holding `attributes` on top. */
export function createScope(
  attributes: Record<string, AnyValue>,
  bytes: number,
  parent: ScopeData | undefined,
): ScopeData {
  if (!parent) return { attributes, bytes };
  return { attributes: { ...parent.attributes, ...attributes }, bytes: parent.bytes + bytes };
}

export function noScopeWarning(what: string): void {
  warnOnce(
    `no-scope:${what}`,
    `${what}() was called outside any scope; wrap the work in withScope() (or a request/job middleware) first`,
  );
}

export { trace };
