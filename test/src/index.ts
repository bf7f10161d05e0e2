export type {
  OtlpReceiver,
  OtlpReceiverOptions,
  ReceivedRecord,
  ReceivedRequest,
  ReceiverResponse,
  ReceiverScript,
} from './receiver.js';
export { decodeExportLogsRequest, startOtlpReceiver } from './receiver.js';
