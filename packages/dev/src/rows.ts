/**
 * A received record as the row the store inserts: its values in the order of
 * the store's INSERT, the body, attributes and resource already JSON, then the
 * facts the overview counts (facts.ts). Rows hold strings, numbers and a few
 * flat objects, so the receiver's decoding worker can hand them over without
 * an object graph to rebuild.
 */
import { BoundsError } from './bounds.js';
import { type Fact, factOf, type ResourceFacts, resourceFactsOf } from './facts.js';
import type { ReceivedRecord } from './otlp.js';

/** The number of a row's values that are the store's columns (the rest are for the overview). */
export const COLUMNS = 16;

/** time, time ms, severity number, severity text, body, attributes, resource, scope, trace id,
 * span id, parent span id, link trace id, service, service version, job id, cron run id; then,
 * for the overview, what the record states and what its resource says of the service */
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
  Fact | null,
  ResourceFacts,
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

// JSON writes a control character, a quote, a backslash or a lone surrogate as an escape of up to
// six characters; counting each such character as six bounds the length from above.
const ESCAPED_LENGTH = 6;

/** The length of a string as JSON text, at most (stops counting past `room`). */
function stringJsonLength(value: string, room: number): number {
  let length = value.length + 2;
  for (let i = 0; i < value.length && length <= room; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      length += ESCAPED_LENGTH - 1;
    }
  }
  return length;
}

/**
 * The length of a decoded value as JSON text, at most, counted without
 * making the text (stops counting past `room`). Values are as the decoder
 * makes them: strings, numbers, booleans, null, bytes, arrays and plain maps
 * nested no deeper than the decode limits allow.
 */
export function jsonLengthBound(value: unknown, room: number): number {
  if (typeof value === 'string') return stringJsonLength(value, room);
  if (value === null || value === undefined || typeof value !== 'object') return 24;
  if (value instanceof Uint8Array) return Math.ceil(value.byteLength / 3) * 4 + 2;
  let length = 2;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (length > room) break;
      length += 1 + jsonLengthBound(item, room - length);
    }
    return length;
  }
  for (const key of Object.keys(value)) {
    if (length > room) break;
    length += 2 + stringJsonLength(key, room - length);
    length += jsonLengthBound((value as Record<string, unknown>)[key], room - length);
  }
  return length;
}

function toRow(r: ReceivedRecord, resourceJson: string, service: ResourceFacts): RecordRow {
  const a = r.attributes;
  const time = r.timeUnixNano !== '0' ? r.timeUnixNano : r.observedTimeUnixNano;
  return [
    time,
    Math.floor(Number(time) / 1e6),
    r.severityNumber,
    r.severityText,
    r.body === undefined ? null : toJson(r.body),
    toJson(a),
    resourceJson,
    r.scope.name,
    r.traceId,
    r.spanId,
    str(a['threadline.parent_span_id']),
    str(a['threadline.link.trace_id']),
    str(r.resource['service.name']),
    str(r.resource['service.version']),
    str(a['messaging.message.id']),
    str(a['threadline.cron.run_id']),
    factOf(r.body, a) ?? null,
    service,
  ];
}

/**
 * Rows of the records; a record JSON cannot hold is left out, with the reason.
 * With `maxStoredChars`, throws a BoundsError before making rows whose text
 * would pass it: each row repeats its resource and scope, so a few bytes of
 * request can ask for gigabytes of rows.
 */
export function toRows(
  records: readonly ReceivedRecord[],
  maxStoredChars = Number.POSITIVE_INFINITY,
): { rows: RecordRow[]; rejected: string[] } {
  // Records decoded together share their resource object: its JSON is made, and counted, once.
  const resourceJson = new Map<Record<string, unknown>, string>();
  const resourceFacts = new Map<Record<string, unknown>, ResourceFacts>();
  const resourceLength = new Map<Record<string, unknown>, number>();
  let total = 0;
  for (const r of records) {
    let length = resourceLength.get(r.resource);
    if (length === undefined) {
      length = jsonLengthBound(r.resource, maxStoredChars);
      resourceLength.set(r.resource, length);
    }
    total += length + r.scope.name.length + r.severityText.length + 128;
    for (const value of [r.body, r.attributes]) {
      if (total > maxStoredChars) break;
      total += jsonLengthBound(value, maxStoredChars - total);
    }
    if (total > maxStoredChars) {
      throw new BoundsError(
        `the records of one request would store more than ${maxStoredChars} characters`,
      );
    }
  }
  const rows: RecordRow[] = [];
  const rejected: string[] = [];
  for (const r of records) {
    try {
      let resource = resourceJson.get(r.resource);
      if (resource === undefined) {
        resource = toJson(r.resource);
        resourceJson.set(r.resource, resource);
      }
      let service = resourceFacts.get(r.resource);
      if (service === undefined) {
        service = resourceFactsOf(r.resource);
        resourceFacts.set(r.resource, service);
      }
      rows.push(toRow(r, resource, service));
    } catch (error) {
      rejected.push(`a record could not be stored: ${(error as Error).message}`);
    }
  }
  return { rows, rejected };
}
