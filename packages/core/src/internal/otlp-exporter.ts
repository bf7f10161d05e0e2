/**
 * The OTLP/HTTP protobuf exporter: OpenTelemetry's own HTTP export delegate
 * (transport, retries on 429/502/503/504 and network errors, Retry-After,
 * gzip, headers and `OTEL_EXPORTER_OTLP_*` env, timeouts, partial-success
 * handling) with Threadline's encoder in place of the SDK's serializer.
 * Same construction as `@opentelemetry/exporter-logs-otlp-proto`'s exporter.
 */
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
  type OTLPExporterNodeConfigBase,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportLogsServiceResponse,
  type ISerializer,
  LogsExporterMetricsHelper,
  ProtobufLogsSerializer,
} from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { encodeLogsRequest } from './otlp-protobuf.js';

const serializer: ISerializer<ReadableLogRecord[], IExportLogsServiceResponse> = {
  serializeRequest: encodeLogsRequest,
  deserializeResponse: (data) => ProtobufLogsSerializer.deserializeResponse(data),
};

export class ThreadlineProtobufExporter
  extends OTLPExporterBase<ReadableLogRecord[]>
  implements LogRecordExporter
{
  constructor(config: OTLPExporterNodeConfigBase = {}) {
    super(
      createOtlpHttpExportDelegate(
        convertLegacyHttpOptions(config, 'LOGS', 'v1/logs', {
          'Content-Type': 'application/x-protobuf',
        }),
        serializer,
        'otlp_http_log_exporter',
        LogsExporterMetricsHelper,
        undefined,
      ),
    );
  }
}
