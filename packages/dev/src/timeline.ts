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
  return hopTree(records).depth;
}

/**
 * Each hop's depth, and the hop each one below the top hangs under (its
 * depth is one less), as {@link hopDepths} says.
 */
function hopTree(records: StoredRecord[]): {
  depth: Map<string, number>;
  parent: Map<string, string>;
} {
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
  // The top hop of a cycle keeps the parent it names, one hop deeper: it hangs under none.
  const parent = new Map<string, string>();
  for (const [span, d] of depth) if (d > 0) parent.set(span, knownParent(span));
  return { depth, parent };
}

/** One hop of a trace, as the page's waterfall draws it: a request, a job attempt, a cron run. */
export interface Hop {
  spanId: string;
  traceId: string;
  /** The hop it hangs under (its caller, or the hop that started its linked trace); '' for none. */
  parentSpanId: string;
  depth: number;
  service: string;
  version: string;
  kind: 'request' | 'job' | 'cron' | 'other';
  /** `POST /checkout`, `job emails #42 attempt 2`, `cron nightly-report`; '' for another hop. */
  name: string;
  /**
   * A request's status code; a job attempt's or cron run's end: `completed`,
   * `failed`, `failed, to be retried`, `postponed`, `stalled`, `skipped`, or
   * `running` before its end is stored; '' for another hop.
   */
  outcome: string;
  /** From the start of the earliest hop, ms. */
  startMs: number;
  endMs: number;
  /** The duration the hop stated (`threadline.duration_ms` on its last line), when it did. */
  durationMs: number | undefined;
  maxSeverity: number;
  records: number;
}

const JOB_OUTCOMES: Readonly<Record<string, string>> = {
  'job completed': 'completed',
  'job failed': 'failed',
  'job postponed': 'postponed',
  'job stalled': 'stalled',
  'cron run completed': 'completed',
  'cron run failed': 'failed',
  'cron run skipped': 'skipped',
};

/**
 * The hops of a trace (records as {@link RecordStore.trace} gives them, in
 * time order), each under the hop it hangs under, in the order a waterfall
 * draws them: a hop, then the hops under it by start. A hop starts at its
 * first record, or earlier when its last line states a longer duration (a
 * request's start is logged only on its last line).
 */
export function traceHops(records: StoredRecord[]): Hop[] {
  const first = records[0];
  if (first === undefined) return [];
  const base = BigInt(first.timeUnixNano);
  const { depth, parent } = hopTree(records);
  const bySpan = new Map<string, Hop>();
  for (const r of records) {
    const at = Number(BigInt(r.timeUnixNano) - base) / 1e6;
    let hop = bySpan.get(r.spanId);
    if (hop === undefined) {
      hop = {
        spanId: r.spanId,
        traceId: r.traceId,
        parentSpanId: parent.get(r.spanId) ?? '',
        depth: depth.get(r.spanId) ?? 0,
        service: r.service,
        version: r.serviceVersion,
        kind: 'other',
        name: '',
        outcome: '',
        startMs: at,
        endMs: at,
        durationMs: undefined,
        maxSeverity: r.severityNumber,
        records: 0,
      };
      bySpan.set(r.spanId, hop);
    }
    hop.records++;
    hop.startMs = Math.min(hop.startMs, at);
    hop.endMs = Math.max(hop.endMs, at);
    hop.maxSeverity = Math.max(hop.maxSeverity, r.severityNumber);
    describeHop(hop, r, at);
  }
  const hops = [...bySpan.values()];
  let earliest = Number.POSITIVE_INFINITY;
  for (const h of hops) earliest = Math.min(earliest, h.startMs);
  for (const h of hops) {
    h.startMs -= earliest;
    h.endMs -= earliest;
  }
  const byStart = (a: Hop, b: Hop) => a.startMs - b.startMs;
  const children = new Map<string, Hop[]>();
  for (const h of hops) {
    if (h.parentSpanId === '') continue;
    const siblings = children.get(h.parentSpanId);
    if (siblings === undefined) children.set(h.parentSpanId, [h]);
    else siblings.push(h);
  }
  // Depth first without recursion: a chain of hops may be as long as the trace.
  const ordered: Hop[] = [];
  const stack = hops
    .filter((h) => h.parentSpanId === '')
    .sort(byStart)
    .reverse();
  for (let hop = stack.pop(); hop !== undefined; hop = stack.pop()) {
    ordered.push(hop);
    const below = children.get(hop.spanId);
    // One at a time: a hop may have more hops under it than a call takes arguments.
    if (below !== undefined) for (const h of below.sort(byStart).reverse()) stack.push(h);
  }
  return ordered;
}

/** What a record says of its hop: what kind of hop, its name, its outcome, its duration. */
function describeHop(hop: Hop, r: StoredRecord, at: number): void {
  const a = r.attributes;
  const body = typeof r.body === 'string' ? r.body : '';
  if (a['threadline.cron.run_id'] !== undefined) {
    hop.kind = 'cron';
    hop.name = `cron ${valueText(a['threadline.job.name'] ?? '')}`.trim();
  } else if (
    a['messaging.message.id'] !== undefined ||
    a['messaging.destination.name'] !== undefined
  ) {
    if (hop.kind !== 'request') {
      hop.kind = 'job';
      const attempt = a['threadline.job.attempt'];
      hop.name = [
        'job',
        valueText(a['messaging.destination.name'] ?? ''),
        a['messaging.message.id'] === undefined ? '' : `#${valueText(a['messaging.message.id'])}`,
        attempt === undefined ? '' : `attempt ${valueText(attempt)}`,
      ]
        .filter(Boolean)
        .join(' ');
    }
  } else if (a['http.request.method'] !== undefined && hop.kind === 'other') {
    hop.kind = 'request';
  }
  if (hop.kind === 'request' && (body === 'request completed' || hop.name === '')) {
    const route = a['http.route'] ?? a['url.path'];
    hop.name =
      `${valueText(a['http.request.method'] ?? '')} ${route === undefined ? '' : valueText(route)}`.trim();
  }
  if (body === 'request completed' && a['http.response.status_code'] !== undefined) {
    hop.outcome = valueText(a['http.response.status_code']);
  } else if (Object.hasOwn(JOB_OUTCOMES, body)) {
    hop.outcome = JOB_OUTCOMES[body] as string;
    if (body === 'job failed' && a['threadline.job.will_retry'] === true) {
      hop.outcome = 'failed, to be retried';
    }
  } else if ((body === 'job started' || body === 'cron run started') && hop.outcome === '') {
    hop.outcome = 'running';
  }
  const ms = a['threadline.duration_ms'];
  if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) {
    hop.durationMs = ms;
    hop.startMs = Math.min(hop.startMs, at - ms);
  }
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

/** Cells of a waterfall's bar. */
const BAR_CELLS = 32;

/** `0.6 ms`, `29 ms`, `1.5 s`: two significant digits. */
function shortDuration(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toPrecision(2))} s`;
  return `${Number(ms.toPrecision(2))} ms`;
}

/**
 * The trace's hops as a text waterfall: each hop (request, job attempt, cron
 * run) under the hop it hangs under, its service and version, name and
 * outcome, a bar placed on the trace's time, and its duration (the one its
 * last line states, else from its first record to its last).
 */
export function formatWaterfall(records: StoredRecord[], color = false): string[] {
  const hops = traceHops(records);
  if (hops.length === 0) return [];
  const total = Math.max(
    ...hops.map((h) => Math.max(h.endMs, h.startMs + (h.durationMs ?? 0))),
    1e-3,
  );
  const labels = hops.map((h) =>
    printable(
      `${'  '.repeat(Math.min(h.depth, MAX_INDENT_DEPTH))}${h.service}@${h.version} ${h.name || '(hop)'}${h.outcome ? ` ${h.outcome}` : ''}`,
    ),
  );
  const width = Math.min(Math.max(...labels.map((l) => l.length)), 72);
  return hops.map((h, i) => {
    const took = h.durationMs ?? h.endMs - h.startMs;
    const from = Math.min(BAR_CELLS - 1, Math.floor((h.startMs / total) * BAR_CELLS));
    const to = Math.max(
      from + 1,
      Math.min(BAR_CELLS, Math.ceil(((h.startMs + took) / total) * BAR_CELLS)),
    );
    const bar = `${'·'.repeat(from)}${'█'.repeat(to - from)}${'·'.repeat(BAR_CELLS - to)}`;
    const line = `${(labels[i] as string).slice(0, width).padEnd(width)}  ${bar}  ${shortDuration(took)}`;
    const c = SEVERITY_COLOR.find(([min]) => h.maxSeverity >= min)?.[1];
    return color && c ? `${c}${line}${RESET}` : line;
  });
}
