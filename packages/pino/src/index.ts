/**
 * @threadline/pino — pino joins the thread: trace ids on its stdout lines,
 * and every line forwarded to the Threadline pipeline as an OTLP record.
 */

export type { PinoBridgeOptions, ThreadlinePinoOptions } from './bridge.js';
export {
  threadlineDestination,
  threadlineMixin,
  threadlineOptions,
  threadlineStreamWrite,
} from './bridge.js';
