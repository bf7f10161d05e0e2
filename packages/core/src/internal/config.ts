/**
 * Options and the standard OTEL_* environment, resolved once at start-up.
 * Bad options throw (fail fast, naming the option); bad environment values
 * are ignored with a warning, as the OpenTelemetry spec asks.
 */
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import {
  DEFAULT_BATCH_TIMEOUT_MILLIS,
  DEFAULT_DIAGNOSTIC_INTERVAL_MILLIS,
  DEFAULT_ENDPOINT,
  DEFAULT_EXPORT_TIMEOUT_MILLIS,
  DEFAULT_MAX_CONCURRENT_EXPORTS,
  DEFAULT_MAX_EXPORT_BATCH_SIZE,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_MAX_QUEUE_SIZE,
  DEFAULT_PROTOCOL,
  DEFAULT_SCHEDULED_DELAY_MILLIS,
  DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
} from '../defaults.js';
import type {
  ExporterKind,
  ExportProtocol,
  ResourceDetectorName,
  ThreadlineOptions,
} from '../types.js';
import { parseLogLevel } from './logger.js';
import { bad, type Env, envValue, isHttpUrl, show } from './options.js';
import { DEFAULT_LIMITS } from './serialize.js';
import { writeStderr } from './state.js';

export interface ResolvedConfig {
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
  exportTimeoutMillis: number;
  batchTimeoutMillis: number;
  maxQueueBytes: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  maxConcurrentExports: number;
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
  redactKeys: string[];
  redactPatterns: RegExp[];
  redactAllowKeys: string[];
  handleSignals: boolean;
  handleUncaught: boolean;
  shutdownTimeoutMillis: number;
  logStartup: boolean;
  registerGlobals: boolean;
  diagnostic: (line: string) => void;
  diagnosticIntervalMillis: number;
  warnings: string[];
}

function positiveInt(
  options: ThreadlineOptions,
  key: keyof ThreadlineOptions,
  env: Env,
  envNames: string[],
  fallback: number,
  warnings: string[],
  allowZero = false,
): number {
  const v = options[key];
  if (v !== undefined) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
      throw bad(key, v, allowZero ? 'a whole number >= 0' : 'a whole number > 0');
    }
    return v;
  }
  return envPositiveInt(env, envNames, fallback, warnings, allowZero);
}

/** The first of `envNames` that is set, as a whole number; a bad value warns and gives `fallback`. */
function envPositiveInt(
  env: Env,
  envNames: string[],
  fallback: number,
  warnings: string[],
  allowZero = false,
): number {
  for (const name of envNames) {
    const raw = envValue(env, name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= (allowZero ? 0 : 1)) return n;
    warnings.push(
      `${name}=${JSON.stringify(raw.slice(0, 64))} is not a valid number; using ${fallback}`,
    );
    return fallback;
  }
  return fallback;
}

function oneOf<T extends string>(
  options: ThreadlineOptions,
  key: keyof ThreadlineOptions,
  env: Env,
  envNames: string[],
  accepted: readonly T[],
  fallback: T,
  warnings: string[],
): T {
  const v = options[key];
  if (v !== undefined) {
    if (typeof v !== 'string' || !(accepted as readonly string[]).includes(v)) {
      throw bad(key, v, `one of ${accepted.map((a) => `"${a}"`).join(', ')}`);
    }
    return v as T;
  }
  for (const name of envNames) {
    const raw = envValue(env, name)?.toLowerCase();
    if (raw === undefined) continue;
    const first = (raw.split(',')[0] ?? '').trim();
    if ((accepted as readonly string[]).includes(first)) return first as T;
    warnings.push(
      `${name}=${JSON.stringify(raw.slice(0, 64))} is not supported (accepted: ${accepted.join(', ')}); using ${fallback}`,
    );
    return fallback;
  }
  return fallback;
}

function bool(
  options: ThreadlineOptions,
  key: keyof ThreadlineOptions,
  fallback: boolean,
): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw bad(key, v, 'true or false');
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
  const protocol =
    grpcAskedBy !== undefined
      ? DEFAULT_PROTOCOL
      : oneOf<ExportProtocol>(
          options,
          'protocol',
          env,
          ['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
          ['http/protobuf', 'http/json'],
          DEFAULT_PROTOCOL,
          warnings,
        );
  const compression = oneOf<'gzip' | 'none'>(
    options,
    'compression',
    env,
    ['OTEL_EXPORTER_OTLP_LOGS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'],
    ['gzip', 'none'],
    'none',
    warnings,
  );

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

  const maxQueueSize = positiveInt(
    options,
    'maxQueueSize',
    env,
    ['OTEL_BLRP_MAX_QUEUE_SIZE'],
    DEFAULT_MAX_QUEUE_SIZE,
    warnings,
  );
  let maxExportBatchSize = positiveInt(
    options,
    'maxExportBatchSize',
    env,
    ['OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'],
    DEFAULT_MAX_EXPORT_BATCH_SIZE,
    warnings,
  );
  if (maxExportBatchSize > maxQueueSize) {
    // Spec: the batch size must not exceed the queue size.
    warnings.push(
      `maxExportBatchSize ${maxExportBatchSize} > maxQueueSize ${maxQueueSize}; using ${maxQueueSize}`,
    );
    maxExportBatchSize = maxQueueSize;
  }

  // One export, the exporter's own retries included, must end before the
  // processor gives up on it and tries the batch again: otherwise a slow
  // success would deliver the batch twice.
  const batchTimeoutMillis = envPositiveInt(
    env,
    ['OTEL_BLRP_EXPORT_TIMEOUT'],
    DEFAULT_BATCH_TIMEOUT_MILLIS,
    warnings,
  );
  let exportTimeoutMillis = positiveInt(
    options,
    'exportTimeoutMillis',
    env,
    ['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    DEFAULT_EXPORT_TIMEOUT_MILLIS,
    warnings,
  );
  const exportCap = Math.max(
    1,
    batchTimeoutMillis - Math.min(1000, Math.floor(batchTimeoutMillis / 10)),
  );
  if (exportTimeoutMillis > exportCap) {
    warnings.push(
      `the export timeout (${exportTimeoutMillis} ms) must end before OTEL_BLRP_EXPORT_TIMEOUT (${batchTimeoutMillis} ms); using ${exportCap} ms`,
    );
    exportTimeoutMillis = exportCap;
  }

  return {
    disabled,
    disabledBy,
    minSeverity,
    exporter,
    protocol,
    grpcAskedBy,
    resourceDetectors: resolveDetectors(options, env, warnings),
    endpoint: resolveEndpoint(options, env, warnings),
    headers: options.headers,
    compression,
    exportTimeoutMillis,
    batchTimeoutMillis,
    maxQueueBytes: positiveInt(
      options,
      'maxQueueBytes',
      env,
      [],
      DEFAULT_MAX_QUEUE_BYTES,
      warnings,
    ),
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: positiveInt(
      options,
      'scheduledDelayMillis',
      env,
      ['OTEL_BLRP_SCHEDULE_DELAY'],
      DEFAULT_SCHEDULED_DELAY_MILLIS,
      warnings,
      true,
    ),
    maxConcurrentExports: positiveInt(
      options,
      'maxConcurrentExports',
      env,
      [],
      DEFAULT_MAX_CONCURRENT_EXPORTS,
      warnings,
    ),
    attributeCountLimit: positiveInt(
      options,
      'attributeCountLimit',
      env,
      ['OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
      DEFAULT_LIMITS.attributeCountLimit,
      warnings,
    ),
    attributeValueLengthLimit: positiveInt(
      options,
      'attributeValueLengthLimit',
      env,
      ['OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
      DEFAULT_LIMITS.attributeValueLengthLimit,
      warnings,
    ),
    redactKeys,
    redactPatterns,
    redactAllowKeys,
    handleSignals: bool(options, 'handleSignals', true),
    handleUncaught: bool(options, 'handleUncaught', true),
    shutdownTimeoutMillis: positiveInt(
      options,
      'shutdownTimeoutMillis',
      env,
      [],
      DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
      warnings,
    ),
    logStartup: bool(options, 'logStartup', true),
    registerGlobals: bool(options, 'registerGlobals', true),
    diagnostic,
    diagnosticIntervalMillis: positiveInt(
      options,
      'diagnosticIntervalMillis',
      env,
      [],
      DEFAULT_DIAGNOSTIC_INTERVAL_MILLIS,
      warnings,
    ),
    warnings,
  };
}
