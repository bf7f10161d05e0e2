/**
 * One `traceparent` per outbound request when a tracing SDK instruments
 * undici (and so `fetch`) too. instrumentation-undici adds its own trace
 * headers to each request with `request.addHeader()`, after the ones the
 * application passed, so a call made with `injectTraceContext()` would carry
 * two `traceparent` headers, and the receiving side discards both (W3C: an
 * invalid header). Listening on the same diagnostics channel, after the
 * instrumentation, Threadline keeps the last of each (the SDK's client span,
 * which is the right parent) and removes the earlier ones, unless the SDK's
 * only repeats the hop the call came from. `http.request` is
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

/** undici's `request.headers`: `[name, value, name, value, …]` (undici 6.7 and later). */
export function removeEarlierTraceHeaders(message: unknown): void {
  try {
    const headers = (message as { request?: { headers?: unknown } } | undefined)?.request?.headers;
    if (!Array.isArray(headers)) return;
    const parents = positions(headers, 'traceparent');
    if (parents.length < 2) return;
    // The application's headers come first, the instrumentation's after.
    const keep = repeatsOurHop(headers, parents) ? 'first' : 'last';
    removeAllBut(headers, 'traceparent', keep);
    removeAllBut(headers, 'tracestate', keep);
  } catch {
    // Never break the request: an error thrown here would be an uncaught exception.
  }
}

/**
 * True when the first `traceparent` is a call of a Threadline hop (its first
 * `tracestate` says `threadline=<hop>.<this call>`) and the last one, the
 * instrumentation's, only repeats that hop: the SDK's no-op tracer made no
 * client span, so the call's own parent id is the one to keep.
 */
function repeatsOurHop(headers: unknown[], parents: number[]): boolean {
  const ours = headers[(parents[0] as number) + 1];
  const theirs = headers[(parents.at(-1) as number) + 1];
  const [state] = positions(headers, 'tracestate');
  const entry = state === undefined ? undefined : headers[state + 1];
  if (typeof ours !== 'string' || typeof theirs !== 'string' || typeof entry !== 'string') {
    return false;
  }
  const own = /^threadline=([0-9a-f]{16})\.([0-9a-f]{16})(?:,|$)/.exec(entry);
  return own !== null && ours.slice(36, 52) === own[2] && theirs.slice(36, 52) === own[1];
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
