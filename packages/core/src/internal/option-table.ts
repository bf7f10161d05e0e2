/**
 * Every option of startThreadline() and every setting only the environment
 * holds, in one table: the variables that stand in for it, its default, its
 * bounds and its line in the README. config.ts resolves the whole numbers,
 * booleans and choices from it, option-check.ts knows the option names from
 * it, the README's options table is written from it (`pnpm docs:options`,
 * checked by test/internal/option-table.test.ts), and the configuration tests take
 * their cases from it. A new option is a row here, its field in
 * ThreadlineOptions (types.ts) and, unless it is a plain number, boolean or
 * choice, a few lines in config.ts.
 */
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
import type { ThreadlineOptions } from '../types.js';
import { DEFAULT_LIMITS } from './serialize.js';

type OptionName = keyof ThreadlineOptions;

/** What the README says of a row; `env` and `default` are written from the rule when it has one. */
interface Doc {
  /** Shown after the option's name, in parentheses: what it is for, or its values. */
  readonly doc?: string;
  /** The environment column, when more than the names in `env` is needed. */
  readonly envDoc?: string;
  /** The default column, or a note after the default the rule gives. */
  readonly defaultDoc?: string;
}

/** A whole number: from the option, else the first variable set, else the default. */
export interface WholeRow extends Doc {
  readonly kind: 'whole';
  /** The option, or `undefined` for a setting only the environment holds. */
  readonly option: OptionName | undefined;
  /** Where the value goes in the resolved configuration. */
  readonly field: string;
  readonly env: readonly string[];
  readonly default: number;
  /** The least value accepted. */
  readonly min: 0 | 1;
}

/** `true` or `false`, from the option only. */
export interface BooleanRow extends Doc {
  readonly kind: 'boolean';
  readonly option: OptionName;
  readonly default: boolean;
}

/** One of a few strings: from the option, else the first variable set (its first comma-separated item). */
export interface ChoiceRow extends Doc {
  readonly kind: 'choice';
  readonly option: OptionName;
  readonly env: readonly string[];
  readonly accepted: readonly string[];
  readonly default: string;
}

/** Resolved by code of its own in config.ts or deployment.ts; here for its name and its README line. */
export interface OwnRow extends Doc {
  readonly kind: 'own';
  readonly option: OptionName | undefined;
  readonly envDoc: string;
  readonly defaultDoc: string;
}

export type OptionRow = WholeRow | BooleanRow | ChoiceRow | OwnRow;

/** In the README's order. */
export const OPTION_ROWS = [
  {
    kind: 'own',
    option: 'serviceName',
    envDoc: '`OTEL_SERVICE_NAME`, `service.name` in `OTEL_RESOURCE_ATTRIBUTES`',
    defaultDoc: 'nearest `package.json` `name`, else `unknown_service:node`',
  },
  {
    kind: 'own',
    option: 'serviceVersion',
    envDoc: '`THREADLINE_SERVICE_VERSION`, `OTEL_RESOURCE_ATTRIBUTES`',
    defaultDoc: 'nearest `package.json` `version`',
  },
  {
    kind: 'own',
    option: 'serviceNamespace',
    envDoc: '`OTEL_RESOURCE_ATTRIBUTES`',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'serviceInstanceId',
    envDoc: '`OTEL_RESOURCE_ATTRIBUTES`',
    defaultDoc: 'a random UUID per process',
  },
  {
    kind: 'own',
    option: 'environment',
    envDoc: '`THREADLINE_ENVIRONMENT`, platform variables, `NODE_ENV`',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'deploymentId',
    envDoc: '`THREADLINE_DEPLOYMENT_ID`, platform variables',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'commit',
    envDoc:
      '`THREADLINE_COMMIT`, `GITHUB_SHA`, `CI_COMMIT_SHA`, `VERCEL_GIT_COMMIT_SHA`, `RENDER_GIT_COMMIT`, `HEROKU_SLUG_COMMIT`, `SOURCE_VERSION`, `RAILWAY_GIT_COMMIT_SHA`, `CIRCLE_SHA1`, `BUILDKITE_COMMIT`, `GIT_COMMIT`, …',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'repositoryUrl',
    envDoc: 'platform variables (credentials stripped)',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'owner',
    doc: 'the team that owns the service',
    envDoc: '`THREADLINE_OWNER`',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'runbookUrl',
    envDoc: '`THREADLINE_RUNBOOK_URL`',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'resourceAttributes',
    envDoc: '`OTEL_RESOURCE_ATTRIBUTES`',
    defaultDoc: '—',
  },
  {
    kind: 'own',
    option: 'resourceDetectors',
    doc: '`host`, `os`, `process`; `[]` for none',
    envDoc:
      "`OTEL_NODE_RESOURCE_DETECTORS` (`all`, `none` or a list; the SDK's other names, such as `env` or `gcp`, are accepted and left to the SDK)",
    defaultDoc: 'all three',
  },
  {
    kind: 'own',
    option: 'level',
    envDoc: '`THREADLINE_LOG_LEVEL`',
    defaultDoc: '`info`',
  },
  {
    kind: 'own',
    option: 'exporter',
    doc: "`otlp`, `console`, `none`, a list such as `['otlp', 'console']`, or a `LogRecordExporter`",
    envDoc:
      '`THREADLINE_EXPORTER`, else `OTEL_LOGS_EXPORTER` (a comma-separated list: `otlp,console`; `none` anywhere in it turns export off, as in the SDK)',
    defaultDoc: '`otlp`',
  },
  {
    kind: 'choice',
    option: 'protocol',
    env: ['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    envDoc:
      '`OTEL_EXPORTER_OTLP_LOGS_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL` (`grpc` is refused: see [Choosing the protocol](#choosing-the-protocol))',
    accepted: ['http/protobuf', 'http/json'],
    default: DEFAULT_PROTOCOL,
    defaultDoc: '(see below)',
  },
  {
    kind: 'own',
    option: 'endpoint',
    envDoc:
      '`OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (used as is), `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/logs`)',
    defaultDoc: `\`${DEFAULT_ENDPOINT}\``,
  },
  {
    kind: 'own',
    option: 'headers',
    envDoc: '`OTEL_EXPORTER_OTLP_LOGS_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS`',
    defaultDoc: '— (never logged)',
  },
  {
    kind: 'choice',
    option: 'compression',
    env: ['OTEL_EXPORTER_OTLP_LOGS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'],
    accepted: ['gzip', 'none'],
    default: 'none',
  },
  {
    kind: 'whole',
    option: 'exportTimeoutMillis',
    field: 'exportTimeoutMillis',
    doc: 'one export request, with its retries',
    env: ['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    default: DEFAULT_EXPORT_TIMEOUT_MILLIS,
    min: 1,
    defaultDoc: 'ms, cut to end before `OTEL_BLRP_EXPORT_TIMEOUT`',
  },
  {
    kind: 'whole',
    option: undefined,
    field: 'batchTimeoutMillis',
    doc: 'one export including queueing in the exporter',
    env: ['OTEL_BLRP_EXPORT_TIMEOUT'],
    default: DEFAULT_BATCH_TIMEOUT_MILLIS,
    min: 1,
    defaultDoc: 'ms',
  },
  {
    kind: 'whole',
    option: 'maxQueueBytes',
    field: 'maxQueueBytes',
    doc: "the export queue's memory budget; past it the least severe records are dropped first",
    env: [],
    default: DEFAULT_MAX_QUEUE_BYTES,
    min: 1,
    defaultDoc: '(64 MiB: encoded records, or estimated heap with other exporters)',
  },
  {
    kind: 'whole',
    option: 'maxQueueSize',
    field: 'maxQueueSize',
    env: ['OTEL_BLRP_MAX_QUEUE_SIZE'],
    default: DEFAULT_MAX_QUEUE_SIZE,
    min: 1,
    defaultDoc: 'records',
  },
  {
    kind: 'whole',
    option: 'maxExportBatchSize',
    field: 'maxExportBatchSize',
    env: ['OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'],
    default: DEFAULT_MAX_EXPORT_BATCH_SIZE,
    min: 1,
    defaultDoc: 'records, at most `maxQueueSize`',
  },
  {
    kind: 'whole',
    option: 'scheduledDelayMillis',
    field: 'scheduledDelayMillis',
    doc: 'before a partial batch is sent',
    env: ['OTEL_BLRP_SCHEDULE_DELAY'],
    default: DEFAULT_SCHEDULED_DELAY_MILLIS,
    min: 0,
    defaultDoc: 'ms',
  },
  {
    kind: 'whole',
    option: 'maxConcurrentExports',
    field: 'maxConcurrentExports',
    env: [],
    default: DEFAULT_MAX_CONCURRENT_EXPORTS,
    min: 1,
  },
  {
    kind: 'whole',
    option: 'attributeCountLimit',
    field: 'attributeCountLimit',
    env: ['OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'],
    default: DEFAULT_LIMITS.attributeCountLimit,
    min: 1,
  },
  {
    kind: 'whole',
    option: 'attributeValueLengthLimit',
    field: 'attributeValueLengthLimit',
    doc: 'also caps the message',
    env: ['OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
    default: DEFAULT_LIMITS.attributeValueLengthLimit,
    min: 1,
    defaultDoc: 'characters',
  },
  {
    kind: 'own',
    option: 'redactKeys',
    envDoc: '—',
    defaultDoc: '`[]`; see [Redaction](#redaction)',
  },
  {
    kind: 'own',
    option: 'redactPatterns',
    envDoc: '—',
    defaultDoc: '`[]`; see [Redaction](#redaction)',
  },
  {
    kind: 'own',
    option: 'redactAllowKeys',
    envDoc: '—',
    defaultDoc: '`[]`; see [Redaction](#redaction)',
  },
  {
    kind: 'boolean',
    option: 'handleSignals',
    doc: 'flush on SIGTERM/SIGINT, then let the process end as it would have',
    default: true,
  },
  {
    kind: 'boolean',
    option: 'handleUncaught',
    doc: 'log an uncaught exception / unhandled rejection as FATAL and flush before Node ends the process as it would have',
    default: true,
  },
  {
    kind: 'whole',
    option: 'shutdownTimeoutMillis',
    field: 'shutdownTimeoutMillis',
    doc: 'deadline of the flush at shutdown',
    env: [],
    default: DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
    min: 1,
    defaultDoc: 'ms',
  },
  {
    kind: 'boolean',
    option: 'logStartup',
    doc: 'one `service started` record',
    default: true,
  },
  {
    kind: 'boolean',
    option: 'registerGlobals',
    doc: '`false`: no global LoggerProvider or propagator; an AsyncLocalStorage context manager is still registered on first use of a scope if none is, since scopes need one',
    default: true,
  },
  {
    kind: 'own',
    option: 'diagnostics',
    doc: '`stderr`, `silent`, or a function',
    envDoc: '—',
    defaultDoc: '`stderr`',
  },
  {
    kind: 'whole',
    option: 'diagnosticIntervalMillis',
    field: 'diagnosticIntervalMillis',
    doc: 'minimum time between export-health lines',
    env: [],
    default: DEFAULT_DIAGNOSTIC_INTERVAL_MILLIS,
    min: 1,
    defaultDoc: 'ms',
  },
  {
    kind: 'own',
    option: 'env',
    doc: 'the variables to read instead of `process.env`, for tests',
    envDoc: '—',
    defaultDoc: '`process.env`',
  },
  {
    kind: 'own',
    option: undefined,
    envDoc: '`THREADLINE_DISABLED` (`true`/`false`), else `OTEL_SDK_DISABLED=true`',
    defaultDoc:
      'on: every log call returns at once; nothing is exported; `destination` is `none (OTEL_SDK_DISABLED=true)` (or `THREADLINE_DISABLED`) and one line at start-up says so',
  },
] as const satisfies readonly OptionRow[];

// Every option has its row: a name missing from the table fails to compile here.
type Missing = Exclude<OptionName, (typeof OPTION_ROWS)[number]['option']>;
const everyOptionHasARow: [Missing] extends [never] ? true : Missing = true;
void everyOptionHasARow;

/** Every option name, for the check of names startThreadline() does not know. */
export const OPTION_NAMES: ReadonlySet<string> = new Set(
  OPTION_ROWS.flatMap((row) => (row.option === undefined ? [] : [row.option])),
);

type Row = (typeof OPTION_ROWS)[number];
/** The resolved configuration's whole-number fields, one a row. */
export type WholeField = Extract<Row, { kind: 'whole' }>['field'];
/** The boolean options. */
export type BooleanOption = Extract<Row, { kind: 'boolean' }>['option'];

const rows: readonly OptionRow[] = OPTION_ROWS;
export const WHOLE_ROWS = rows.filter((r): r is WholeRow => r.kind === 'whole');
export const BOOLEAN_ROWS = rows.filter((r): r is BooleanRow => r.kind === 'boolean');
export const CHOICE_ROWS = rows.filter((r): r is ChoiceRow => r.kind === 'choice');

const code = (text: string | number | boolean) => `\`${text}\``;

function envColumn(row: OptionRow): string {
  if (row.kind === 'own' || row.envDoc !== undefined) return row.envDoc ?? '—';
  if (row.kind === 'boolean' || row.env.length === 0) return '—';
  return row.env.map(code).join(', ');
}

function defaultColumn(row: OptionRow): string {
  if (row.kind === 'own') return row.defaultDoc;
  return row.defaultDoc === undefined
    ? code(row.default)
    : `${code(row.default)} ${row.defaultDoc}`;
}

function optionColumn(row: OptionRow): string {
  let name = row.option === undefined ? '—' : code(row.option);
  if (row.kind === 'choice' && row.doc === undefined) {
    name += ` (${row.accepted.map(code).join(', ')})`;
  }
  return row.doc === undefined ? name : `${name} (${row.doc})`;
}

/** The README's options table, in Markdown. */
export function optionsTableMarkdown(): string {
  const lines = ['| option | environment | default |', '| --- | --- | --- |'];
  for (const row of rows) {
    lines.push(`| ${optionColumn(row)} | ${envColumn(row)} | ${defaultColumn(row)} |`);
  }
  return `${lines.join('\n')}\n`;
}
