/**
 * @threadline/core — trace ids, span ids, scope attributes and deploy metadata
 * on every log record, exported over OTLP.
 */

export { emitBridgedRecord, type TraceFields, traceFields } from './bridge.js';
export { captureConsole } from './console.js';
export {
  DEFAULT_ENDPOINT,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_MAX_QUEUE_SIZE,
  DEFAULT_REDACT_ALLOW_KEYS,
  DEFAULT_REDACT_KEYS,
  DEFAULT_REDACT_WORDS,
  DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
  REDACTED,
} from './defaults.js';
export {
  detectDeployment,
  THREADLINE_OWNER,
  THREADLINE_RUNBOOK_URL,
} from './deployment.js';
export {
  ATTR_DURATION_MS,
  ATTR_REQUEST_ABORTED,
  ATTR_REQUEST_ID,
  createHttpCorrelator,
  DEFAULT_REQUEST_ID_HEADER,
  defaultHttpSeverity,
  type EarlyHttpCorrelator,
  type FetchHttpCorrelator,
  type FetchRequestScope,
  MAX_REQUEST_ID_LENGTH,
  MAX_URL_PATH_LENGTH,
  type OpenedHttpRequest,
  tryGetHttpRequestScope,
} from './http.js';
export { warnOnce as diagnoseOnce } from './internal/state.js';
export {
  ATTR_JOB_ATTEMPT,
  ATTR_JOB_MAX_ATTEMPTS,
  ATTR_JOB_NAME,
  ATTR_JOB_PARENT_ID,
  ATTR_JOB_POSTPONED_BY,
  ATTR_JOB_WAIT_MS,
  ATTR_JOB_WILL_RETRY,
  withJobScope,
} from './job.js';
export { getLogger, log } from './logger-api.js';
export {
  ATTR_LINK_SPAN_ID,
  ATTR_LINK_TRACE_ID,
  ATTR_PARENT_SPAN_ID,
  extractTraceContext,
  injectTraceContext,
  TRUST_POLICIES,
} from './propagation.js';
export {
  addScopeAttributes,
  getTraceIds,
  tryGetScopeAttributes,
  tryGetTraceIds,
  withHopScope,
  withScope,
} from './scope-api.js';
export { LOG_LEVELS, SEVERITY_NUMBER, severityName } from './severity.js';
export { startThreadline, tryGetThreadline } from './start.js';
export type {
  BridgedRecord,
  DeploymentOptions,
  DetectedDeployment,
  ExporterKind,
  ExportProtocol,
  HeaderCarrier,
  HttpCorrelationOptions,
  HttpCorrelator,
  HttpRequestHooks,
  HttpRequestScope,
  JobScopeOptions,
  LogAttributes,
  Logger,
  LogLevel,
  ResourceDetectorName,
  ThreadlineHandle,
  ThreadlineOptions,
  ThreadlineStats,
  TraceFieldProfile,
  TraceIds,
  TrustPolicy,
} from './types.js';
