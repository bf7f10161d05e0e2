/**
 * Process-wide state, shared by the ESM and CommonJS builds of this package
 * (both may be loaded in one process) through a registered symbol, the way
 * `@opentelemetry/api` keeps its globals.
 */

import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ThreadlineExportProcessor } from './processor.js';
import type { Serializer } from './serialize.js';

export interface Pipeline {
  processor: ThreadlineExportProcessor;
  resource: Resource;
  serializer: Serializer;
  /** The exporter reads records' `base` and `own` attributes apart (Threadline's OTLP/protobuf encoder). */
  keepAttributesApart: boolean;
}

export interface ThreadlineGlobalState {
  /** Lowest severity number written; lower levels return at once. */
  minSeverity: number;
  pipeline: Pipeline | undefined;
  /** Set once `shutdown()` has begun: logging becomes a silent no-op. */
  stopped: boolean;
  /** Records written before `startThreadline()`, replayed when it runs. */
  pending: ReadableLogRecord[];
  droppedBeforeStart: number;
  /** Serializer used before start (default limits and redaction). */
  defaultSerializer: Serializer | undefined;
  contextManagerChecked: boolean;
  warnedOnce: Set<string>;
  /** Where Threadline's own warnings go (set by `startThreadline`'s `diagnostics`). */
  diagnostic: (line: string) => void;
  /** The running instance's handle, if any (shared by the ESM and CJS builds). */
  active: unknown;
  /** The options the running instance was started with. */
  activeOptions?: object;
  /**
   * The span contexts of Threadline's own hops (made when no tracing SDK made
   * a span), to tell them from a tracing SDK's spans, sampled or not.
   */
  ownHops?: WeakSet<object>;
}

const KEY = Symbol.for('threadline.core.state.v1');

/** The set of Threadline's own hop span contexts (see ThreadlineGlobalState.ownHops). */
export function ownHops(): WeakSet<object> {
  const s = globalState();
  s.ownHops ??= new WeakSet();
  return s.ownHops;
}

export function globalState(): ThreadlineGlobalState {
  const g = globalThis as unknown as Record<symbol, ThreadlineGlobalState | undefined>;
  let s = g[KEY];
  if (!s) {
    s = {
      minSeverity: 9,
      pipeline: undefined,
      stopped: false,
      pending: [],
      droppedBeforeStart: 0,
      defaultSerializer: undefined,
      contextManagerChecked: false,
      warnedOnce: new Set(),
      diagnostic: writeStderr,
      active: undefined,
    };
    g[KEY] = s;
  }
  return s;
}

/** Records kept before `startThreadline()` runs; later ones are dropped and counted. */
export const MAX_PENDING_RECORDS = 1000;

export function writeStderr(line: string): void {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // stderr closed: nothing else to do.
  }
}

/**
 * Writes a one-line diagnostic once per `key` per process, through the
 * `diagnostics` option (stderr by default). Public as `diagnoseOnce` for
 * adapters: telemetry reports its problems here, never by throwing. On a hot
 * path, pass the message as a function: it is built only the first time.
 */
export function warnOnce(key: string, message: string | (() => string)): void {
  const s = globalState();
  if (s.warnedOnce.has(key)) return;
  s.warnedOnce.add(key);
  s.diagnostic(`[threadline] ${typeof message === 'function' ? message() : message}`);
}
