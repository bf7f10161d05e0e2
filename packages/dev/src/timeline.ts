/**
 * `threadline trace <id>`: one trace as a timeline, in time order, each hop
 * (request, job attempt, cron run) indented under the hop that caused it.
 */
import type { StoredRecord } from './store.js';

const SEVERITY_COLOR: Array<[number, string]> = [
  [17, '\x1b[31m'], // ERROR, FATAL: red
  [13, '\x1b[33m'], // WARN: yellow
];
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** Attributes worth a glance on a timeline line, in this order, with their short names. */
const SHOWN: Array<[string, string]> = [
  ['http.request.method', 'method'],
  ['http.route', 'route'],
  ['http.response.status_code', 'status'],
  ['messaging.destination.name', 'queue'],
  ['messaging.message.id', 'job'],
  ['threadline.job.attempt', 'attempt'],
  ['threadline.cron.run_id', 'run'],
  ['threadline.duration_ms', 'ms'],
  ['exception.type', 'exception'],
  ['exception.message', 'message'],
];

/** Hop depth of each span id: 0 for a hop with no known parent; a linked trace sits under the hop that started it. */
export function hopDepths(records: StoredRecord[]): Map<string, number> {
  const parentOf = new Map<string, string>();
  for (const r of records) {
    // A linked trace (a job in link mode) hangs under the hop that started it.
    const parent = r.parentSpanId || (r.linkTraceId ? `link:${r.linkTraceId}` : '');
    if (r.spanId && parent && !parentOf.has(r.spanId)) parentOf.set(r.spanId, parent);
  }
  const spans = new Set(records.map((r) => r.spanId));
  const firstSpanOfTrace = new Map<string, string>();
  for (const r of records)
    if (!firstSpanOfTrace.has(r.traceId)) firstSpanOfTrace.set(r.traceId, r.spanId);
  const depth = new Map<string, number>();
  const of = (span: string, seen = new Set<string>()): number => {
    const known = depth.get(span);
    if (known !== undefined) return known;
    let parent = parentOf.get(span) ?? '';
    if (parent.startsWith('link:')) parent = firstSpanOfTrace.get(parent.slice(5)) ?? '';
    const d = parent && spans.has(parent) && !seen.has(parent) ? of(parent, seen.add(span)) + 1 : 0;
    depth.set(span, d);
    return d;
  };
  for (const r of records) of(r.spanId);
  return depth;
}

function time(nanos: string): string {
  const ms = Number(BigInt(nanos) / 1_000_000n);
  return new Date(ms).toISOString().slice(11, 23);
}

/** The timeline as text lines; `color` adds ANSI colors (for a terminal). */
export function formatTimeline(records: StoredRecord[], color = false): string[] {
  if (records.length === 0) return ['no records for this trace'];
  const depth = hopDepths(records);
  const lines: string[] = [];
  const traces = new Set(records.map((r) => r.traceId));
  lines.push(
    `trace ${records[0]?.traceId}${traces.size > 1 ? ` (+${traces.size - 1} linked)` : ''}: ${records.length} records, ${new Set(records.map((r) => r.service)).size} services`,
  );
  for (const r of records) lines.push(formatLine(r, depth.get(r.spanId) ?? 0, color));
  return lines;
}

/** One record on one line: time, service@version, span, severity, message, key attributes. */
export function formatLine(r: StoredRecord, depth = 0, color = false): string {
  const indent = '  '.repeat(depth);
  const who = `${r.service}${r.serviceVersion ? `@${r.serviceVersion}` : ''}`;
  const attrs = SHOWN.filter(([k]) => r.attributes[k] !== undefined)
    .map(([k, short]) => `${short}=${String(r.attributes[k]).slice(0, 80)}`)
    .join(' ');
  const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? '');
  const sev = (r.severityText || String(r.severityNumber)).padEnd(5);
  const span = `[${r.spanId.slice(0, 8)}]`;
  const line = `${time(r.timeUnixNano)} ${indent}${who} ${span} ${sev} ${body}${attrs ? `  ${attrs}` : ''}`;
  if (!color) return line;
  const c = SEVERITY_COLOR.find(([min]) => r.severityNumber >= min)?.[1];
  return c ? `${c}${line}${RESET}` : line.replace(span, `${DIM}${span}${RESET}`);
}
