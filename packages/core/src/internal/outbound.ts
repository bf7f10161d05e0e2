/**
 * One `traceparent` per outbound request when a tracing SDK instruments
 * undici (and so `fetch`) too. instrumentation-undici adds its own trace
 * headers to each request with `request.addHeader()`, after the ones the
 * application passed, so a call made with `injectTraceContext()` would carry
 * two `traceparent` headers, and the receiving side discards both (W3C: an
 * invalid header). Listening on the same diagnostics channel, after the
 * instrumentation, Threadline keeps the last of each (the SDK's client span,
 * which is the right parent) and removes the earlier ones. `http.request` is
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

/** undici's `request.headers`: `[name, value, name, value, …]`. */
export function removeEarlierTraceHeaders(message: unknown): void {
  const headers = (message as { request?: { headers?: unknown } } | undefined)?.request?.headers;
  if (!Array.isArray(headers)) return;
  if (removeAllButLast(headers, 'traceparent')) removeAllButLast(headers, 'tracestate');
}

/** Removes every `name` header but the last; true when there was more than one. */
function removeAllButLast(headers: unknown[], name: string): boolean {
  let seen = false;
  let removed = false;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const key = headers[i];
    if (typeof key !== 'string' || key.length !== name.length || key.toLowerCase() !== name)
      continue;
    if (!seen) seen = true;
    else {
      headers.splice(i, 2);
      removed = true;
    }
  }
  return removed;
}
