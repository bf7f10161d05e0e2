/**
 * One `traceparent` per outbound request when a tracing SDK instruments
 * undici (and so `fetch`) too. instrumentation-undici adds its own trace
 * headers to each request with `request.addHeader()`, after the ones the
 * application passed, so a call made with `injectTraceContext()` would carry
 * two `traceparent` headers, and the receiving side discards both (W3C: an
 * invalid header). Listening on the same diagnostics channel, after the
 * instrumentation, Threadline keeps the last of each (the SDK's client span,
 * which is the right parent) and removes the earlier ones, unless the SDK's
 * only repeats the hop the call came from (see {@link rememberCall}). `http.request` is
 * not affected: instrumentation-http sets the header on the same object key,
 * which leaves one.
 */
import dc from 'node:diagnostics_channel';

const CHANNEL = 'undici:request:create';
const channel = dc.channel(CHANNEL);
let listening = false;

/**
 * Starts listening once someone else (an instrumentation) does: subscribers
 * run in the order they subscribed, and this one must see what the
 * instrumentation added. Called on each `injectTraceContext()`.
 */
export function keepOneTraceHeaderPerRequest(): void {
  if (listening || !channel.hasSubscribers) return;
  listening = true;
  dc.subscribe(CHANNEL, removeEarlierTraceHeaders);
}

/**
 * The `traceparent` values `injectTraceContext()` wrote with a parent id of
 * their own, and the span id of the hop that made each: when a tracing SDK's
 * instrumentation adds a `traceparent` that only repeats that hop (the SDK's
 * no-op tracer makes no client span), the one with the call's own id is kept.
 * Bounded: values never seen on a request (headers passed to another client)
 * fall out oldest first.
 */
const ownCalls = new Map<string, string>();
const MAX_OWN_CALLS = 1024;

/** Remembers a `traceparent` written for one call by a hop, while undici requests are watched. */
export function rememberCall(traceparent: string, hopSpanId: string): void {
  if (!listening) return;
  if (ownCalls.size >= MAX_OWN_CALLS) ownCalls.delete(ownCalls.keys().next().value as string);
  ownCalls.set(traceparent, hopSpanId);
}

/** undici's `request.headers`: `[name, value, name, value, …]`. */
export function removeEarlierTraceHeaders(message: unknown): void {
  const headers = (message as { request?: { headers?: unknown } } | undefined)?.request?.headers;
  if (!Array.isArray(headers)) return;
  const at = positions(headers, 'traceparent');
  if (at.length < 2) return;
  // Ours comes first (the application's headers), the instrumentation's after.
  const ours = headers[(at[0] as number) + 1];
  const hop = typeof ours === 'string' ? ownCalls.get(ours) : undefined;
  if (typeof ours === 'string') ownCalls.delete(ours);
  const theirs = headers[(at.at(-1) as number) + 1];
  const repeatsTheHop =
    hop !== undefined && typeof theirs === 'string' && theirs.slice(36, 52) === hop;
  // Keep the SDK's client span; but not a header that only repeats the hop our call came from.
  const keep = repeatsTheHop ? 'first' : 'last';
  removeAllBut(headers, 'traceparent', keep);
  removeAllBut(headers, 'tracestate', keep);
}

function positions(headers: unknown[], name: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const key = headers[i];
    if (typeof key === 'string' && key.length === name.length && key.toLowerCase() === name) {
      out.push(i);
    }
  }
  return out;
}

/** Removes every `name` header but the first or the last. */
function removeAllBut(headers: unknown[], name: string, keep: 'first' | 'last'): void {
  const at = positions(headers, name);
  if (at.length < 2) return;
  const kept = keep === 'first' ? at[0] : at.at(-1);
  for (let i = at.length - 1; i >= 0; i--) {
    if (at[i] !== kept) headers.splice(at[i] as number, 2);
  }
}
