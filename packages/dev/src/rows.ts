/**
 * A received record as the row the store inserts: its values in the order of
 * the store's INSERT, the body, attributes and resource already JSON. Rows
 * hold only strings and numbers, so the receiver's decoding worker can hand
 * them over without an object graph to rebuild.
 */
import type { ReceivedRecord } from './otlp.js';

/** time, time ms, severity number, severity text, body, attributes, resource, scope, trace id,
 * span id, parent span id, link trace id, service, service version, job id, cron run id */
export type RecordRow = [
  string,
  number,
  number,
  string,
  string | null,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * Bodies and attributes are JSON; bytes values (Buffers and other byte
 * arrays, as the decoder makes them) are kept as base64 strings. The replacer
 * looks at the value before `toJSON`, so only real bytes are bytes: a map that
 * merely looks like a serialized Buffer (`{"type":"Buffer","data":…}`) stays a
 * map.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function bytesAsBase64(this: unknown, key: string, v: unknown) {
    const original = (this as Record<string, unknown>)[key];
    return original instanceof Uint8Array
      ? Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64')
      : v;
  });
}

function toRow(r: ReceivedRecord): RecordRow {
  const a = r.attributes;
  const time = r.timeUnixNano !== '0' ? r.timeUnixNano : r.observedTimeUnixNano;
  return [
    time,
    Math.floor(Number(time) / 1e6),
    r.severityNumber,
    r.severityText,
    r.body === undefined ? null : toJson(r.body),
    toJson(a),
    toJson(r.resource),
    r.scope.name,
    r.traceId,
    r.spanId,
    str(a['threadline.parent_span_id']),
    str(a['threadline.link.trace_id']),
    str(r.resource['service.name']),
    str(r.resource['service.version']),
    str(a['messaging.message.id']),
    str(a['threadline.cron.run_id']),
  ];
}

/** Rows of the records; a record JSON cannot hold is left out, with the reason. */
export function toRows(records: readonly ReceivedRecord[]): {
  rows: RecordRow[];
  rejected: string[];
} {
  const rows: RecordRow[] = [];
  const rejected: string[] = [];
  for (const r of records) {
    try {
      rows.push(toRow(r));
    } catch (error) {
      rejected.push(`a record could not be stored: ${(error as Error).message}`);
    }
  }
  return { rows, rejected };
}
