/**
 * @threadline/dev — the local receiver behind `threadline dev`, its store,
 * and the OTLP/HTTP decoding they share with tests.
 */
export {
  CONTENT_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  decodeExportLogsRequest,
  HttpError,
  LOGS_PATH,
  type ReceivedRecord,
  type ReceivedRequest,
  readExportLogsRequest,
} from './otlp.js';
export { type DevReceiver, type DevReceiverOptions, startDevReceiver } from './server.js';
export {
  RecordStore,
  type StoredRecord,
  type TraceFilters,
  type TraceSummary,
} from './store.js';
export { formatLine, formatTimeline, hopDepths } from './timeline.js';
