/**
 * What the logger bridges (@threadline/pino, @threadline/winston) share:
 * the trace fields written onto stdout lines, in one of several naming
 * profiles, and the way a line from another logger enters the pipeline.
 */
import { context, type SpanContext, trace } from '@opentelemetry/api';
import { emitBridged } from './internal/logger.js';
import { bad } from './internal/options.js';
import { getScope } from './internal/scope.js';
import { isValidSpanId, isValidTraceId } from './internal/w3c.js';
import type { BridgedRecord, LogAttributes, TraceFieldProfile } from './types.js';

type FieldNames = {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: string;
};
type Ids = [traceId: string, spanId: string, flags: string];

/** A naming profile of the trace fields: one entry of {@link PROFILES}. */
interface Profile {
  /** The field names; `traceFlags` '' when the flags are not written. */
  readonly names: FieldNames;
  /** A span context's ids as the profile writes them, or undefined when they are not valid. */
  readonly formatIds: (sc: SpanContext) => Ids | undefined;
  /**
   * Makes the fields object of one line. The built-in profiles' objects are
   * literals, of one shape each: cheaper to make, and to read for the logger
   * that serializes them.
   */
  readonly make: (traceId: string, spanId: string, flags: string) => Record<string, unknown>;
}

/** The W3C ids as they are: 32 and 16 hex digits, and the flags as two. */
function hexIds(sc: SpanContext): Ids | undefined {
  if (!isValidTraceId(sc.traceId) || !isValidSpanId(sc.spanId)) return undefined;
  return [sc.traceId, sc.spanId, `0${sc.traceFlags.toString(16)}`.slice(-2)];
}

/**
 * The low 64 bits of the trace id and the span id as decimal strings, as
 * Datadog correlates them. They cannot give the 128-bit trace id back: `read`
 * finds no valid trace id in them.
 */
function datadogIds(sc: SpanContext): Ids | undefined {
  if (!isValidTraceId(sc.traceId) || !isValidSpanId(sc.spanId)) return undefined;
  return [BigInt(`0x${sc.traceId.slice(16)}`).toString(), BigInt(`0x${sc.spanId}`).toString(), ''];
}

/** The built-in profiles: a new one is one entry here (and its name in TraceFieldProfile). */
const PROFILES: Readonly<Record<Exclude<TraceFieldProfile, object>, Profile>> = {
  otel: {
    names: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
    formatIds: hexIds,
    make: (traceId, spanId, flags) => ({ trace_id: traceId, span_id: spanId, trace_flags: flags }),
  },
  ecs: {
    names: { traceId: 'trace.id', spanId: 'span.id', traceFlags: '' },
    formatIds: hexIds,
    make: (traceId, spanId) => ({ 'trace.id': traceId, 'span.id': spanId }),
  },
  datadog: {
    names: { traceId: 'dd.trace_id', spanId: 'dd.span_id', traceFlags: '' },
    formatIds: datadogIds,
    make: (traceId, spanId) => ({ 'dd.trace_id': traceId, 'dd.span_id': spanId }),
  },
};

/** A profile of the application's own field names, with the W3C ids. */
function customProfile(names: FieldNames): Profile {
  return {
    names,
    formatIds: hexIds,
    make: (traceId, spanId, flags) => {
      const out: Record<string, unknown> = {};
      out[names.traceId] = traceId;
      out[names.spanId] = spanId;
      if (names.traceFlags) out[names.traceFlags] = flags;
      return out;
    },
  };
}

/** The profile a `traceFields()` argument names, or undefined. */
function profileOf(profile: unknown): Profile | undefined {
  if (typeof profile === 'string') {
    return Object.hasOwn(PROFILES, profile)
      ? PROFILES[profile as keyof typeof PROFILES]
      : undefined;
  }
  if (profile === null || typeof profile !== 'object') return undefined;
  const { traceId, spanId, traceFlags } = profile as Record<string, unknown>;
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !traceId || !spanId)
    return undefined;
  if (traceFlags !== undefined && typeof traceFlags !== 'string') return undefined;
  return customProfile({ traceId, spanId, traceFlags: traceFlags ?? '' });
}

/** Scope attributes a line can carry (`scopeAttributes: true`). */
const DEFAULT_SCOPE_FIELDS = [
  'threadline.request.id',
  'messaging.message.id',
  'threadline.job.name',
  'threadline.job.attempt',
  'threadline.cron.run_id',
];

export interface TraceFields {
  /** The fields for the active context (empty outside a trace): give it to pino's `mixin` or a winston format. */
  (): Record<string, unknown>;
  /** The names it writes: a bridge leaves them out of the exported attributes (they are on the record already). */
  readonly names: ReadonlySet<string>;
  /** The scope attributes it also writes when the scope has them (`scopeAttributes`). */
  readonly scoped: readonly string[];
  /** Reads the trace context back from a line's fields (e.g. in a worker-thread transport). */
  read(fields: Record<string, unknown>): SpanContext | undefined;
  /**
   * The same fields for the active context as JSON members, each led by a
   * comma (`,"trace_id":"…","span_id":"…","trace_flags":"01"`), or '' when
   * there are none: to append to a JSON line already serialized (pino's
   * `hooks.streamWrite`). Built once for all the lines of one span context
   * and scope.
   */
  json(): string;
}

/**
 * The trace fields to write on stdout lines, named by a profile chosen once:
 * `otel` (`trace_id`, `span_id`, `trace_flags`), `ecs` (`trace.id`,
 * `span.id`), `datadog` (`dd.trace_id`, `dd.span_id`: the low 64 bits of the
 * trace id and the span id as decimal strings, as Datadog correlates them),
 * or your own names. With `scopeAttributes`, the request id, job id, job
 * name, attempt and cron run id of the current scope are written too (or the
 * attributes you list).
 *
 * @example
 * const fields = traceFields('ecs');
 * const logger = pino({ mixin: fields });
 */
export function traceFields(
  profile: TraceFieldProfile = 'otel',
  options: { scopeAttributes?: boolean | readonly string[] } = {},
): TraceFields {
  const chosen = profileOf(profile);
  if (chosen === undefined) {
    throw bad(
      'profile',
      profile,
      `${Object.keys(PROFILES)
        .map((name) => `"${name}"`)
        .join(', ')} or { traceId, spanId, traceFlags? } field names`,
    );
  }
  const { names, formatIds, make } = chosen;
  const scoped =
    options.scopeAttributes === true
      ? DEFAULT_SCOPE_FIELDS
      : Array.isArray(options.scopeAttributes)
        ? options.scopeAttributes
        : [];
  // The ids of the last span context, checked and formatted once for all the
  // lines written under it (measured with pino to /dev/null: bench/README.md,
  // "Figures behind the code"). A fresh object each line all the same: pino
  // merges the line's own fields into what the mixin returns.
  let lastContext: SpanContext | undefined;
  let lastIds: [string, string, string] | undefined;
  const fields = (() => {
    const ctx = context.active();
    const sc = trace.getSpanContext(ctx);
    if (sc !== lastContext) {
      lastContext = sc;
      lastIds = sc && formatIds(sc);
    }
    const out = lastIds ? make(lastIds[0], lastIds[1], lastIds[2]) : {};
    if (scoped.length > 0) {
      const attrs = getScope(ctx)?.attributes;
      if (attrs) for (const k of scoped) if (attrs[k] !== undefined) out[k] = attrs[k];
    }
    return out;
  }) as TraceFields;
  const all = new Set([
    names.traceId,
    names.spanId,
    ...(names.traceFlags ? [names.traceFlags] : []),
  ]);
  Object.defineProperty(fields, 'names', { value: all });
  Object.defineProperty(fields, 'scoped', { value: Object.freeze([...scoped]) });
  // The members of the last span context and scope attributes, built once for their lines.
  const keys = {
    traceId: `,${JSON.stringify(names.traceId)}:"`,
    spanId: `",${JSON.stringify(names.spanId)}:"`,
    traceFlags: names.traceFlags ? `",${JSON.stringify(names.traceFlags)}:"` : '',
  };
  let jsonContext: SpanContext | undefined;
  let jsonAttributes: object | undefined;
  let jsonText = '';
  Object.defineProperty(fields, 'json', {
    value: (): string => {
      const ctx = context.active();
      const sc = trace.getSpanContext(ctx);
      const attrs = scoped.length > 0 ? getScope(ctx)?.attributes : undefined;
      if (sc !== jsonContext || attrs !== jsonAttributes) {
        jsonContext = sc;
        jsonAttributes = attrs;
        const ids = sc && formatIds(sc);
        let text = ids
          ? `${keys.traceId}${ids[0]}${keys.spanId}${ids[1]}${keys.traceFlags ? `${keys.traceFlags}${ids[2]}` : ''}"`
          : '';
        if (attrs) text += jsonMembers(attrs, scoped);
        jsonText = text;
      }
      return jsonText;
    },
  });
  Object.defineProperty(fields, 'read', {
    value: (line: Record<string, unknown>): SpanContext | undefined => {
      const traceId = line[names.traceId];
      const spanId = line[names.spanId];
      if (typeof traceId !== 'string' || typeof spanId !== 'string') return undefined;
      if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
      const flags = names.traceFlags
        ? Number.parseInt(String(line[names.traceFlags] ?? '01'), 16)
        : 1;
      return {
        traceId,
        spanId,
        traceFlags: Number.isInteger(flags) ? flags & 0xff : 1,
        isRemote: false,
      };
    },
  });
  return fields;
}

/** `attributes[name]` for each name, as JSON members each led by a comma; values JSON cannot hold are left out. */
function jsonMembers(attributes: Record<string, unknown>, names: readonly string[]): string {
  let text = '';
  for (const name of names) {
    const value = attributes[name];
    if (value === undefined) continue;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json !== undefined) text += `,${JSON.stringify(name)}:${json}`;
  }
  return text;
}

/**
 * Puts a line written by another logger into the pipeline as one record,
 * through the same redaction and limits as Threadline's own. Unless the record
 * names its trace context (a line read in a worker thread), it gets the
 * active context's, with the scope's attributes. Never throws.
 *
 * @example
 * emitBridgedRecord('pino', { severityNumber: 17, body: 'payment failed', attributes: { err } });
 */
export function emitBridgedRecord(instrumentationScope: string, record: BridgedRecord): void {
  emitBridged(instrumentationScope, record);
}

export type { BridgedRecord, LogAttributes };
