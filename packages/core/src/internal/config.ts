/**
 * Options and the standard OTEL_* environment, resolved once at start-up.
 * Bad options throw (fail fast, naming the option); bad environment values
 * are ignored with a warning, as the OpenTelemetry spec asks. Whole numbers,
 * booleans and choices are resolved from their rows in option-table.ts; the
 * rest, and the rules that tie two settings together, are code here.
 */
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { DEFAULT_ENDPOINT, DEFAULT_PROTOCOL } from '../defaults.js';
import type {
  ExporterKind,
  ExportProtocol,
  ResourceDetectorName,
  ThreadlineOptions,
} from '../types.js';
import { parseLogLevel } from './logger.js';
import {
  BOOLEAN_ROWS,
  type BooleanOption,
  type BooleanRow,
  CHOICE_ROWS,
  type ChoiceRow,
  WHOLE_ROWS,
  type WholeField,
  type WholeRow,
} from './option-table.js';
import { bad, type Env, envValue, isHttpUrl, show } from './options.js';
import { writeStderr } from './state.js';

export interface ResolvedConfig extends Record<WholeField, number>, Record<BooleanOption, boolean> {
  disabled: boolean;
  /** The variable that turned Threadline off. */
  disabledBy: string | undefined;
  minSeverity: number;
  /** The exporters to use, in order (never empty; `none` only alone), or the application's own. */
  exporter: readonly ExporterKind[] | LogRecordExporter;
  protocol: ExportProtocol;
  /** The variable that asked for OTLP over gRPC, which Threadline does not send: OTLP export is refused. */
  grpcAskedBy: string | undefined;
  /** Which resource detectors run at start-up. */
  resourceDetectors: readonly ResourceDetectorName[];
  endpoint: string;
  headers: Record<string, string> | undefined;
  compression: 'gzip' | 'none';
  redactKeys: string[];
  redactPatterns: RegExp[];
  redactAllowKeys: string[];
  diagnostic: (line: string) => void;
  warnings: string[];
}

/** A whole number from its row: the option, else the first variable set, else the default. */
function whole(row: WholeRow, options: ThreadlineOptions, env: Env, warnings: string[]): number {
  const accepted = row.min === 0 ? 'a whole number >= 0' : 'a whole number > 0';
  const valid = (n: unknown): n is number =>
    typeof n === 'number' && Number.isInteger(n) && n >= row.min;
  if (row.option !== undefined) {
    const v = options[row.option];
    if (v !== undefined) {
      if (!valid(v)) throw bad(row.option, v, accepted);
      return v;
    }
  }
  for (const name of row.env) {
    const raw = envValue(env, name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (valid(n)) return n;
    warnings.push(`${name}=${show(raw)} is not ${accepted}; using ${row.default}`);
    return row.default;
  }
  return row.default;
}

/** One of the row's accepted strings: the option, else the first item of the first variable set. */
function choice(row: ChoiceRow, options: ThreadlineOptions, env: Env, warnings: string[]): string {
  const v = options[row.option];
  if (v !== undefined) {
    if (typeof v !== 'string' || !row.accepted.includes(v)) {
      throw bad(row.option, v, `one of ${row.accepted.map((a) => `"${a}"`).join(', ')}`);
    }
    return v;
  }
  for (const name of row.env) {
    const raw = envValue(env, name)?.toLowerCase();
    if (raw === undefined) continue;
    const first = (raw.split(',')[0] ?? '').trim();
    if (row.accepted.includes(first)) return first;
    warnings.push(
      `${name}=${show(raw)} is not supported (accepted: ${row.accepted.join(', ')}); using ${row.default}`,
    );
    return row.default;
  }
  return row.default;
}

function boolean(row: BooleanRow, options: ThreadlineOptions): boolean {
  const v = options[row.option];
  if (v === undefined) return row.default;
  if (typeof v !== 'boolean') throw bad(row.option, v, 'true or false');
  return v;
}

const EXPORTER_KINDS: readonly ExporterKind[] = ['otlp', 'console', 'none'];

/**
 * `exporter`, or the list in `THREADLINE_EXPORTER`, else in
 * `OTEL_LOGS_EXPORTER` (`otlp,console`, as the specification allows). As in
 * the OpenTelemetry SDK, `none` in a list means no export at all.
 */
function resolveExporters(
  options: ThreadlineOptions,
  env: Env,
  warnings: string[],
): readonly ExporterKind[] | LogRecordExporter {
  const v = options.exporter;
  const expected = '"otlp", "console", "none", a list of them, or a LogRecordExporter';
  if (v !== undefined) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (typeof (v as LogRecordExporter).export !== 'function')
        throw bad('exporter', '[object]', expected);
      return v as LogRecordExporter;
    }
    const list: unknown[] = Array.isArray(v) ? v : [v];
    if (list.length === 0 || list.some((k) => !EXPORTER_KINDS.includes(k as ExporterKind))) {
      throw bad('exporter', v, expected);
    }
    return exporterList(list as ExporterKind[]);
  }
  // Threadline's own variable first: OTEL_LOGS_EXPORTER is shared with the SDK's log export.
  const name =
    envValue(env, 'THREADLINE_EXPORTER') !== undefined
      ? 'THREADLINE_EXPORTER'
      : 'OTEL_LOGS_EXPORTER';
  const raw = envValue(env, name);
  if (raw === undefined) return ['otlp'];
  const kinds: ExporterKind[] = [];
  const unknown: string[] = [];
  for (const item of listItems(raw)) {
    const kind = item === 'logging' ? 'console' : item;
    if (EXPORTER_KINDS.includes(kind as ExporterKind)) kinds.push(kind as ExporterKind);
    else unknown.push(item);
  }
  const chosen = exporterList(kinds.length > 0 ? kinds : ['otlp']);
  if (unknown.length > 0) {
    warnings.push(
      `${name}: ${unknown.map((u) => show(u)).join(', ')} not supported (accepted: ${EXPORTER_KINDS.join(', ')}); using ${chosen.join(',')}`,
    );
  }
  if (kinds.includes('none') && kinds.length > 1) {
    warnings.push(`${name}=${show(raw)} holds "none": nothing is exported`);
  }
  return chosen;
}

/** The items of a comma-separated variable, lower-cased and trimmed; empty ones left out. */
function listItems(raw: string): string[] {
  return raw
    .toLowerCase()
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function exporterList(kinds: readonly ExporterKind[]): readonly ExporterKind[] {
  if (kinds.includes('none')) return ['none'];
  return [...new Set(kinds)];
}

const RESOURCE_DETECTORS: readonly ResourceDetectorName[] = ['host', 'os', 'process'];
/** Detector names of the OpenTelemetry SDK that are not Threadline's to run: accepted without a warning. */
const SDK_ONLY_DETECTORS = new Set([
  'env',
  'serviceinstance',
  'container',
  'alibaba',
  'aws',
  'azure',
  'gcp',
]);

/** `resourceDetectors`, or `OTEL_NODE_RESOURCE_DETECTORS` as the OpenTelemetry SDK for Node reads it. */
function resolveDetectors(
  options: ThreadlineOptions,
  env: Env,
  warnings: string[],
): readonly ResourceDetectorName[] {
  const v = options.resourceDetectors;
  if (v !== undefined) {
    if (
      !Array.isArray(v) ||
      v.some((d) => !RESOURCE_DETECTORS.includes(d as ResourceDetectorName))
    ) {
      throw bad('resourceDetectors', v, 'an array of "host", "os", "process" (empty: none)');
    }
    return [...new Set(v)];
  }
  const raw = envValue(env, 'OTEL_NODE_RESOURCE_DETECTORS');
  if (raw === undefined) return RESOURCE_DETECTORS;
  const chosen = new Set<ResourceDetectorName>();
  const unknown: string[] = [];
  for (const item of listItems(raw)) {
    if (SDK_ONLY_DETECTORS.has(item)) continue;
    if (item === 'all') for (const d of RESOURCE_DETECTORS) chosen.add(d);
    else if (item === 'none') return [];
    else if (RESOURCE_DETECTORS.includes(item as ResourceDetectorName))
      chosen.add(item as ResourceDetectorName);
    else unknown.push(item);
  }
  if (unknown.length > 0) {
    warnings.push(
      `OTEL_NODE_RESOURCE_DETECTORS: ${unknown.map((u) => show(u)).join(', ')} not known; ignored`,
    );
  }
  return [...chosen];
}

/**
 * `THREADLINE_DISABLED` (`true` or `false`) when set, else `OTEL_SDK_DISABLED`:
 * Threadline can stay on while the SDK is off, or the other way round.
 */
function resolveDisabled(
  env: Env,
  warnings: string[],
): { disabled: boolean; disabledBy: string | undefined } {
  const own = envValue(env, 'THREADLINE_DISABLED')?.toLowerCase();
  if (own === 'true') return { disabled: true, disabledBy: 'THREADLINE_DISABLED' };
  if (own === 'false') return { disabled: false, disabledBy: undefined };
  if (own !== undefined) {
    warnings.push(`THREADLINE_DISABLED=${show(own)} is not "true" or "false"; ignored`);
  }
  const shared = envValue(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  return { disabled: shared, disabledBy: shared ? 'OTEL_SDK_DISABLED' : undefined };
}

function resolveEndpoint(options: ThreadlineOptions, env: Env, warnings: string[]): string {
  if (options.endpoint !== undefined) {
    if (typeof options.endpoint !== 'string' || !isHttpUrl(options.endpoint)) {
      throw bad('endpoint', options.endpoint, 'an http:// or https:// URL');
    }
    return options.endpoint;
  }
  const specific = envValue(env, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT');
  if (specific !== undefined) {
    // A per-signal URL is used as it is (spec: exporter.md).
    if (isHttpUrl(specific)) return specific;
    warnings.push(`OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is not an http(s) URL; ignored`);
  }
  const generic = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (generic !== undefined) {
    const url = `${generic.replace(/\/+$/, '')}/v1/logs`;
    if (isHttpUrl(url)) return url;
    warnings.push(`OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL; ignored`);
  }
  return DEFAULT_ENDPOINT;
}

/** The endpoint as shown in diagnostics: no credentials, no query string. */
export function displayEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function resolveConfig(options: ThreadlineOptions): ResolvedConfig {
  if (options === null || typeof options !== 'object') throw bad('options', options, 'an object');
  const env: Env = options.env ?? process.env;
  const warnings: string[] = [];
  const { disabled, disabledBy } = resolveDisabled(env, warnings);

  let minSeverity = 9;
  if (options.level !== undefined) minSeverity = parseLogLevel(options.level, 'option "level"');
  else {
    const raw = envValue(env, 'THREADLINE_LOG_LEVEL');
    if (raw !== undefined) {
      try {
        minSeverity = parseLogLevel(raw, 'THREADLINE_LOG_LEVEL');
      } catch (e) {
        warnings.push(`${(e as Error).message}; using info`);
      }
    }
  }

  const exporter = resolveExporters(options, env, warnings);

  const numbers = {} as Record<WholeField, number>;
  for (const row of WHOLE_ROWS)
    numbers[row.field as WholeField] = whole(row, options, env, warnings);
  const booleans = {} as Record<BooleanOption, boolean>;
  for (const row of BOOLEAN_ROWS) booleans[row.option as BooleanOption] = boolean(row, options);
  const choices: Record<string, string> = {};

  // OTLP over gRPC would need another transport; sending http/protobuf to a
  // gRPC port (4317) fails on every batch, so the export is refused instead.
  let grpcAskedBy: string | undefined;
  if (options.protocol === undefined) {
    for (const name of ['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
      const raw = envValue(env, name);
      if (raw === undefined) continue;
      if (raw.trim().toLowerCase() === 'grpc') grpcAskedBy = name;
      break;
    }
  }
  for (const row of CHOICE_ROWS) {
    choices[row.option] =
      row.option === 'protocol' && grpcAskedBy !== undefined
        ? DEFAULT_PROTOCOL
        : choice(row, options, env, warnings);
  }

  if (options.headers !== undefined) {
    const h = options.headers;
    if (
      h === null ||
      typeof h !== 'object' ||
      Object.values(h).some((v) => typeof v !== 'string')
    ) {
      throw bad('headers', '[value not shown]', 'an object of string values');
    }
  }

  let diagnostic: (line: string) => void;
  const d = options.diagnostics ?? 'stderr';
  if (typeof d === 'function') diagnostic = d;
  else if (d === 'silent') diagnostic = () => {};
  else if (d === 'stderr') diagnostic = writeStderr;
  else throw bad('diagnostics', d, '"stderr", "silent" or a function');

  const redactKeys = options.redactKeys ?? [];
  if (!Array.isArray(redactKeys) || redactKeys.some((k) => typeof k !== 'string' || k === '')) {
    throw bad('redactKeys', redactKeys, 'an array of non-empty strings');
  }
  const redactPatterns = options.redactPatterns ?? [];
  if (!Array.isArray(redactPatterns) || redactPatterns.some((p) => !(p instanceof RegExp))) {
    throw bad('redactPatterns', redactPatterns, 'an array of RegExp');
  }
  const redactAllowKeys = options.redactAllowKeys ?? [];
  if (
    !Array.isArray(redactAllowKeys) ||
    redactAllowKeys.some((k) => typeof k !== 'string' || k === '')
  ) {
    throw bad('redactAllowKeys', redactAllowKeys, 'an array of non-empty strings');
  }

  if (numbers.maxExportBatchSize > numbers.maxQueueSize) {
    // Spec: the batch size must not exceed the queue size.
    warnings.push(
      `maxExportBatchSize ${numbers.maxExportBatchSize} > maxQueueSize ${numbers.maxQueueSize}; using ${numbers.maxQueueSize}`,
    );
    numbers.maxExportBatchSize = numbers.maxQueueSize;
  }

  // One export, the exporter's own retries included, must end before the
  // processor gives up on it and tries the batch again: otherwise a slow
  // success would deliver the batch twice.
  const { batchTimeoutMillis } = numbers;
  const exportCap = Math.max(
    1,
    batchTimeoutMillis - Math.min(1000, Math.floor(batchTimeoutMillis / 10)),
  );
  if (numbers.exportTimeoutMillis > exportCap) {
    warnings.push(
      `the export timeout (${numbers.exportTimeoutMillis} ms) must end before OTEL_BLRP_EXPORT_TIMEOUT (${batchTimeoutMillis} ms); using ${exportCap} ms`,
    );
    numbers.exportTimeoutMillis = exportCap;
  }

  return {
    ...numbers,
    ...booleans,
    disabled,
    disabledBy,
    minSeverity,
    exporter,
    protocol: choices.protocol as ExportProtocol,
    grpcAskedBy,
    resourceDetectors: resolveDetectors(options, env, warnings),
    endpoint: resolveEndpoint(options, env, warnings),
    headers: options.headers,
    compression: choices.compression as 'gzip' | 'none',
    redactKeys,
    redactPatterns,
    redactAllowKeys,
    diagnostic,
    warnings,
  };
}
