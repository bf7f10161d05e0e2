/**
 * `@opentelemetry/instrumentation-pino` (on by default in the OpenTelemetry
 * SDK's auto-instrumentations) does on its own what this bridge does: it
 * wraps each logger's stream to send every line to the SDK's log pipeline,
 * and wraps its `mixin` to add `trace_id`, `span_id` and `trace_flags`.
 * Beside the bridge, every line is then exported twice and carries each
 * trace field twice. Neither can be undone from here without patching, so
 * the first loggers the bridge sees are looked at, and one line says what to
 * change.
 */
import { diagnoseOnce } from '@threadline/core';

/** Loggers looked at, at most: the instrumentation wraps every logger made after it, or none. */
const MAX_CHECKED = 16;
let remaining = MAX_CHECKED;
let last: unknown;

export const INSTRUMENTATION_PINO_ADVICE =
  '@opentelemetry/instrumentation-pino also runs on this pino logger: each line is exported twice ' +
  '(by the OpenTelemetry SDK under the scope @opentelemetry/instrumentation-pino, and by ' +
  '@threadline/pino) and stdout lines carry trace_id, span_id and trace_flags twice. Turn it off ' +
  'where the SDK starts: OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino with auto-instrumentations-node, ' +
  "or getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-pino': { enabled: false } })";

/** Looks at `logger` (pino passes it to a mixin, and sets it on a metadata stream) once. */
export function checkLogger(logger: unknown): void {
  if (remaining === 0 || logger === last || logger === null || typeof logger !== 'object') return;
  last = logger;
  remaining--;
  try {
    if (sendsThroughInstrumentation(logger)) {
      remaining = 0;
      diagnoseOnce('instrumentation-pino', INSTRUMENTATION_PINO_ADVICE);
    }
  } catch {
    // A logger we cannot read: nothing to say.
  }
}

/** The logger's stream (pino's `streamSym`, on it or a parent) is a multistream holding an OTelPinoStream. */
function sendsThroughInstrumentation(logger: object): boolean {
  for (let o: object | null = logger, depth = 0; o !== null && depth < 8; depth++) {
    for (const sym of Object.getOwnPropertySymbols(o)) {
      if (sym.description !== 'pino.stream') continue;
      const streams = (logger as Record<symbol, { streams?: unknown }>)[sym]?.streams;
      return (
        Array.isArray(streams) &&
        streams.some(
          (s: { stream?: { constructor?: { name?: string } } }) =>
            s?.stream?.constructor?.name === 'OTelPinoStream',
        )
      );
    }
    o = Object.getPrototypeOf(o);
  }
  return false;
}
