/**
 * @threadline/winston — winston joins the thread: trace ids on its lines,
 * and every line forwarded to the Threadline pipeline as an OTLP record.
 */
export {
  ThreadlineTransport,
  type ThreadlineTransportOptions,
  threadlineFormat,
  threadlineMeta,
} from './bridge.js';
