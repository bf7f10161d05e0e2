/**
 * Trace context across process boundaries: strict W3C extraction under a trust
 * policy, injection for outbound calls, and the hop scope that gives each
 * service hop a span id of its own when no tracing SDK made a span.
 */
import {
  type Context,
  context,
  createContextKey,
  propagation,
  type SpanContext,
  TraceFlags,
  type TraceState,
  trace,
} from '@opentelemetry/api';
import { TraceState as CoreTraceState } from '@opentelemetry/core';
import { keepOneTraceHeaderPerRequest } from './internal/outbound.js';
import { activeSpanContext } from './internal/scope.js';
import { ownHops } from './internal/state.js';
import {
  formatTraceparent,
  isLevelOneTracestateKey,
  isValidSpanId,
  isValidTraceId,
  parseBaggage,
  parseTraceparent,
  parseTracestate,
  randomSpanId,
  randomTraceId,
  withTracestateEntry,
} from './internal/w3c.js';
import type { HeaderCarrier, TrustPolicy } from './types.js';

// Resolved once: the process-wide set lives as long as the process.
const OWN_HOPS = ownHops();

/**
 * Marks the span contexts of Threadline's own hops, on their prototype: a
 * copy of core loaded twice (ESM and CommonJS) recognises the other's, and
 * a copy of one (`{ ...sc }`) is not one. Cheaper than adding each to a
 * WeakSet; the process-wide set is still read for hops made by a copy of an
 * earlier version.
 */
const OWN_HOP = Symbol.for('threadline.ownHop');

class OwnHop implements SpanContext {
  readonly isRemote = false;
  traceState: SpanContext['traceState'];
  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly traceFlags: number,
    traceState: SpanContext['traceState'],
  ) {
    this.traceState = traceState;
  }
}
(OwnHop.prototype as unknown as Record<symbol, boolean>)[OWN_HOP] = true;

/**
 * A `tracestate` that parseTracestate has validated and normalised, as the
 * API's TraceState: read and passed on without being parsed again. (The
 * core TraceState parses its header again on first read and checks each
 * member with regular expressions: a job's carried entry cost about 3 µs
 * there, bench/job-throughput.ts.) It keeps the members the core
 * TraceState keeps (keys of trace-context level 1), and a member added goes
 * through the core TraceState, which checks it.
 */
export class ValidTraceState implements TraceState {
  private entries: Map<string, string> | undefined;
  constructor(private header: string) {}

  get(key: string): string | undefined {
    return this.members().get(key);
  }

  set(key: string, value: string): TraceState {
    return new CoreTraceState(this.serialize()).set(key, value);
  }

  unset(key: string): TraceState {
    const members = this.members();
    if (!members.has(key)) return this;
    if (members.size === 1) return new ValidTraceState('');
    let rest = '';
    for (const [k, v] of members) if (k !== key) rest += rest === '' ? `${k}=${v}` : `,${k}=${v}`;
    return new ValidTraceState(rest);
  }

  serialize(): string {
    this.members();
    return this.header;
  }

  private members(): Map<string, string> {
    if (this.entries !== undefined) return this.entries;
    const entries = new Map<string, string>();
    const h = this.header;
    let dropped = false;
    for (let from = 0; from < h.length; ) {
      let end = h.indexOf(',', from);
      if (end < 0) end = h.length;
      const eq = h.indexOf('=', from);
      const key = h.slice(from, eq);
      if (isLevelOneTracestateKey(key)) entries.set(key, h.slice(eq + 1, end));
      else dropped = true;
      from = end + 1;
    }
    if (dropped) this.header = Array.from(entries, ([k, v]) => `${k}=${v}`).join(',');
    this.entries = entries;
    return entries;
  }
}

function isOwnHop(sc: SpanContext): boolean {
  return (sc as unknown as Record<symbol, unknown>)[OWN_HOP] === true || OWN_HOPS.has(sc);
}

export const TRUST_POLICIES: readonly TrustPolicy[] = ['continue', 'restart', 'ignore'];

/** Incoming ids kept by `restart`, read by the hop scope. */
export const LINK_KEY = createContextKey('threadline.link');
export const ATTR_LINK_TRACE_ID = 'threadline.link.trace_id';
export const ATTR_LINK_SPAN_ID = 'threadline.link.span_id';
export const ATTR_PARENT_SPAN_ID = 'threadline.parent_span_id';

/**
 * Threadline's `tracestate` key. Its value, `<hop span id>.<call id>`, names
 * the hop that made an outbound call whose `traceparent` parent-id is the
 * call id: the next hop is placed under that hop, although each call carries
 * an id of its own.
 */
export const TRACESTATE_KEY = 'threadline';

function header(carrier: HeaderCarrier, name: string): string | string[] | undefined {
  if (typeof (carrier as { get?: unknown }).get === 'function') {
    const v = (carrier as { get(name: string): string | null | undefined }).get(name);
    return v ?? undefined;
  }
  const rec = carrier as Record<string, unknown>;
  let v = rec[name];
  if (v === undefined) {
    // Plain objects built by hand may not be lower-cased (Node's headers are).
    for (const k in rec) {
      if (k.length === name.length && k.toLowerCase() === name) {
        v = rec[k];
        break;
      }
    }
  }
  if (typeof v === 'string' || Array.isArray(v)) return v as string | string[];
  return undefined;
}

/**
 * True when `ctx` holds a span a tracing SDK made in this process (such as
 * instrumentation-http's server span), recording or not (a trace its sampler
 * dropped keeps its ids): that span already continued (or restarted) the
 * incoming trace, so Threadline uses it as it is. Threadline's own hops, and
 * spans with all-zero ids (an SDK without a tracer provider), are not.
 */
export function hasLocalSpan(ctx: Context): boolean {
  const span = trace.getSpan(ctx);
  if (!span) return false;
  const sc = span.spanContext();
  if (sc.isRemote || isOwnHop(sc)) return false;
  return span.isRecording() || isValidSpanId(sc.spanId);
}

/**
 * Reads W3C `traceparent`, `tracestate` and `baggage` from incoming headers
 * (or message metadata) under a trust policy, and returns a context to run the
 * work in. Malformed or oversized values are ignored cheaply, never thrown on.
 * When the context already holds a tracing SDK's local span for this work, it
 * is returned unchanged: the SDK has already extracted the headers.
 */
export function extractTraceContext(
  carrier: HeaderCarrier | undefined | null,
  options: { trust?: TrustPolicy; context?: Context } = {},
): Context {
  const base = options.context ?? context.active();
  const trust = options.trust ?? 'continue';
  if (!carrier || typeof carrier !== 'object' || trust === 'ignore') return base;
  try {
    if (hasLocalSpan(base)) return base;
    return extractFrom(carrier, trust, base);
  } catch {
    // A throwing carrier (a hostile proxy, a broken `get`) means no context.
    return base;
  }
}

function extractFrom(carrier: HeaderCarrier, trust: TrustPolicy, base: Context): Context {
  const parent = parseTraceparent(header(carrier, 'traceparent'));
  if (!parent) return base;
  if (trust === 'restart') {
    return base.setValue(LINK_KEY, { traceId: parent.traceId, spanId: parent.spanId });
  }
  const tracestate = parseTracestate(header(carrier, 'tracestate'));
  const remote: SpanContext = {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.traceFlags,
    isRemote: true,
  };
  if (tracestate) remote.traceState = new ValidTraceState(tracestate);
  let ctx = trace.setSpanContext(base, remote);
  const bag = parseBaggage(header(carrier, 'baggage'));
  if (bag && bag.size > 0) {
    const entries: Record<string, { value: string }> = {};
    for (const [k, v] of bag) entries[k] = { value: v };
    ctx = propagation.setBaggage(ctx, propagation.createBaggage(entries));
  }
  return ctx;
}

/**
 * Writes the active trace context (`traceparent`, `tracestate`, `baggage`)
 * into outgoing headers: a plain object (fetch, undici, `http.request`) or a
 * `Headers` instance. Returns the carrier.
 */
export function injectTraceContext<C extends object>(
  carrier: C,
  ctx: Context = context.active(),
): C {
  const set = (key: string, value: string): void => {
    if (typeof (carrier as { set?: unknown }).set === 'function') {
      (carrier as unknown as { set(k: string, v: string): void }).set(key, value);
    } else (carrier as Record<string, string>)[key] = value;
  };
  try {
    keepOneTraceHeaderPerRequest();
    ctx = forOneCall(withUsableSpan(ctx));
    if (propagation.fields().length > 0) {
      propagation.inject(ctx, carrier, {
        set: (_c, key, value) => set(key, value),
      });
    }
    const sc = trace.getSpanContext(ctx);
    if (sc && header(carrier as HeaderCarrier, 'traceparent') === undefined) {
      const tp = safeTraceparent(sc);
      if (tp) {
        set('traceparent', tp);
        const ts = sc.traceState?.serialize();
        if (ts) set('tracestate', ts);
      }
    }
  } catch {
    // Telemetry never breaks the outbound call.
  }
  return carrier;
}

/** `ctx`, with the scope's hop as its span when the active span has no ids (see ScopeData.hop). */
function withUsableSpan(ctx: Context): Context {
  const sc = activeSpanContext(ctx);
  return sc === undefined || sc === trace.getSpanContext(ctx) ? ctx : trace.setSpanContext(ctx, sc);
}

/**
 * The context an outbound call carries. Inside a hop of Threadline's own (no
 * tracing SDK made a span), each call gets a parent id of its own, as a
 * tracing SDK's client span would, and `tracestate` names the hop that made
 * it; with an SDK's span, `ctx` as it is.
 */
function forOneCall(ctx: Context): Context {
  const sc = trace.getSpanContext(ctx);
  if (sc === undefined || !isOwnHop(sc)) return ctx;
  const call = randomSpanId();
  const state = withTracestateEntry(
    sc.traceState?.serialize(),
    TRACESTATE_KEY,
    `${sc.spanId}.${call}`,
  );
  return trace.setSpanContext(ctx, { ...sc, spanId: call, traceState: new ValidTraceState(state) });
}

/**
 * The hop that made the call a context continues, when the caller was a
 * Threadline hop that named itself in `tracestate` for this very call; else
 * the parent id itself (a tracing SDK's span, or another tracer's).
 */
function callerHop(sc: SpanContext): string {
  const entry = sc.traceState?.get(TRACESTATE_KEY);
  if (entry === undefined || entry.length !== 33 || entry[16] !== '.') return sc.spanId;
  const hop = entry.slice(0, 16);
  return entry.slice(17) === sc.spanId && isValidSpanId(hop) ? hop : sc.spanId;
}

function safeTraceparent(sc: SpanContext): string | undefined {
  const p = parseTraceparent(formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags));
  return p ? formatTraceparent(p.traceId, p.spanId, p.traceFlags) : undefined;
}

/**
 * The hop a service's work in `ctx` makes. When a tracing SDK already made a
 * local span (e.g. instrumentation-http's server span), it is used as is:
 * `spanContext` is undefined. Otherwise the hop gets a span id of its own,
 * continuing the incoming trace id (or a new one), and the incoming span id
 * is kept in `attributes` as `threadline.parent_span_id` (with the link's
 * ids under the `restart` trust policy).
 */
export function newHop(ctx: Context): {
  spanContext: SpanContext | undefined;
  attributes: Record<string, string>;
} {
  const attributes: Record<string, string> = {};
  if (hasLocalSpan(ctx)) return { spanContext: undefined, attributes };
  const current = trace.getSpanContext(ctx);
  const link = ctx.getValue(LINK_KEY) as { traceId: string; spanId: string } | undefined;
  if (link) {
    attributes[ATTR_LINK_TRACE_ID] = link.traceId;
    attributes[ATTR_LINK_SPAN_ID] = link.spanId;
  }
  const valid = current !== undefined && isValidTraceId(current.traceId);
  if (valid && current) attributes[ATTR_PARENT_SPAN_ID] = callerHop(current);
  // The caller's own entry named its call to this hop; it says nothing further on.
  // (Looked up first: most requests carry no such entry, and unset() copies.)
  let state = valid ? current?.traceState : undefined;
  if (state?.get(TRACESTATE_KEY) !== undefined) {
    state = state.unset(TRACESTATE_KEY);
    if (state.serialize() === '') state = undefined;
  }
  const spanContext = new OwnHop(
    valid && current ? current.traceId : randomTraceId(),
    randomSpanId(),
    // A trace we start is sampled: logs are kept whatever the tracing sampler does.
    valid && current ? current.traceFlags : TraceFlags.SAMPLED,
    state,
  );
  return { spanContext, attributes };
}
