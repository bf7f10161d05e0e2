/**
 * @threadline/dev — the local receiver behind `threadline dev`, its store,
 * and the OTLP/HTTP decoding they share with tests.
 */
export {
  BoundsError,
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
} from './bounds.js';
export { DEFAULT_DECODE_HEAP_MIB } from './decode-thread.js';
export {
  CONTENT_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  decodeExportLogsRequest,
  exportLogsResponse,
  HttpError,
  LOGS_PATH,
  type ReadExportOptions,
  type ReceivedRecord,
  type ReceivedRequest,
  readExportLogsRequest,
} from './otlp.js';
export {
  DEFAULT_MAX_BUFFERED_BYTES,
  type DevReceiver,
  type DevReceiverOptions,
  MAX_CONNECTIONS,
  startDevReceiver,
} from './server.js';
export {
  type AddResult,
  type LogFilters,
  type LogPage,
  RecordStore,
  type StoredRecord,
  type TraceFilters,
  type TraceSummary,
} from './store.js';
export {
  formatLine,
  formatTimeline,
  formatWaterfall,
  type Hop,
  hopDepths,
  MAX_INDENT_DEPTH,
  printable,
  traceHops,
  valueText,
} from './timeline.js';
