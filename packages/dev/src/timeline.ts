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

/** Indentation stops growing at this many hops, so a deep chain stays readable. */
export const MAX_INDENT_DEPTH = 16;

/**
 * Hop depth of each span id: 0 for a hop with no known parent; a linked trace sits under the hop
 * that started it. Walks each chain of parents in a loop (a chain may be as long as the trace),
 * and a cycle ends it.
 */
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
  const knownParent = (span: string): string => {
    let parent = parentOf.get(span) ?? '';
    if (parent.startsWith('link:')) parent = firstSpanOfTrace.get(parent.slice(5)) ?? '';
    return parent && spans.has(parent) ? parent : '';
  };
  const depth = new Map<string, number>();
  for (const r of records) {
    if (depth.has(r.spanId)) continue;
    // Up the chain to a hop whose depth is known, to the root, or to a hop already on the chain.
    const chain: string[] = [];
    const onChain = new Set<string>();
    let above = -1;
    for (let span = r.spanId; ; ) {
      const known = depth.get(span);
      if (known !== undefined) {
        above = known;
        break;
      }
      chain.push(span);
      onChain.add(span);
      const parent = knownParent(span);
      if (!parent || onChain.has(parent)) break;
      span = parent;
    }
    for (let i = chain.length - 1, d = above + 1; i >= 0; i--, d++)
      depth.set(chain[i] as string, d);
  }
  return depth;
}

/**
 * Any stored value as text: strings as they are, anything else as JSON. A map
 * from a log may hold keys such as `toString`, so nothing of it is called.
 */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** `1 record`, `2 records`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The levels by OTLP's severity ranges of four (TRACE 1–4, … FATAL 21–24):
 * the text of a record that has none, and the names `tail --level` takes.
 */
export const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** A record's level as shown: its severity text, or the name of its number's range. */
export function levelText(severityText: string, severityNumber: number): string {
  if (severityText) return severityText;
  const name = SEVERITY_NAMES[Math.floor((severityNumber - 1) / 4)];
  return name ?? String(severityNumber);
}

function time(nanos: string): string {
  const ms = Number(BigInt(nanos) / 1_000_000n);
  return new Date(ms).toISOString().slice(11, 23);
}

// C0 and C1 controls, DEL, and the bidirectional overrides and isolates: from a log they could
// move the cursor, set the terminal's title, clear the screen, start a forged line, or reorder
// what is shown.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text from a log made safe for a terminal: each control character as a visible `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}

/** The timeline as text lines; `color` adds ANSI colors (for a terminal). */
export function formatTimeline(records: StoredRecord[], color = false): string[] {
  if (records.length === 0) return ['no records for this trace'];
  const depth = hopDepths(records);
  const lines: string[] = [];
  const traces = new Set(records.map((r) => r.traceId));
  const services = new Set(records.map((r) => r.service)).size;
  lines.push(
    `trace ${records[0]?.traceId}${traces.size > 1 ? ` (+${traces.size - 1} linked)` : ''}: ${count(records.length, 'record')}, ${count(services, 'service')}`,
  );
  for (const r of records) lines.push(formatLine(r, depth.get(r.spanId) ?? 0, color));
  return lines;
}

/** One record on one line: time, service@version, span, severity, message, key attributes. */
export function formatLine(r: StoredRecord, depth = 0, color = false): string {
  const indent = '  '.repeat(Math.min(depth, MAX_INDENT_DEPTH));
  const who = `${r.service}${r.serviceVersion ? `@${r.serviceVersion}` : ''}`;
  const attrs = SHOWN.filter(([k]) => r.attributes[k] !== undefined)
    .map(([k, short]) => `${short}=${valueText(r.attributes[k]).slice(0, 80)}`)
    .join(' ');
  const body = valueText(r.body ?? '');
  const sev = levelText(r.severityText, r.severityNumber).padEnd(5);
  const span = `[${r.spanId.slice(0, 8)}]`;
  const line = printable(
    `${time(r.timeUnixNano)} ${indent}${who} ${span} ${sev} ${body}${attrs ? `  ${attrs}` : ''}`,
  );
  if (!color) return line;
  const c = SEVERITY_COLOR.find(([min]) => r.severityNumber >= min)?.[1];
  return c ? `${c}${line}${RESET}` : line.replace(span, `${DIM}${span}${RESET}`);
}
