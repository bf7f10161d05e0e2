/**
 * @threadline/bullmq — BullMQ jobs on the thread of the request that added them.
 */
export { correlateProcessor, logStalledJobs, type StalledEmitter } from './processor.js';
export {
  type FlowNode,
  MAX_METADATA_LENGTH,
  threadlineTelemetry,
  withTraceableNodes,
} from './telemetry.js';
export type { BullJob, CorrelateProcessorOptions } from './types.js';
