/**
 * The console exporter for development: one readable line a record in a
 * terminal (time, level, message, the attributes, a short trace id, the
 * stack below), JSON lines when the output is not a terminal (a pipe, a
 * file, a log collector), colours unless `NO_COLOR` is set.
 */
import { ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { severityName } from '../severity.js';
import type { Env } from './options.js';

/** What the exporter writes to: `process.stdout` unless a test gives another. */
export interface ConsoleOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** A value longer than this is cut in the readable line (JSON lines carry it whole). */
const MAX_SHOWN_VALUE = 200;
const STACK = 'exception.stacktrace';

// Control characters, DEL, C1 controls and the bidirectional overrides: a
// message must not move the cursor, recolour the terminal or reorder the line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it matches
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const BARE = /^[\w.,:/@+-]+$/;

const COLOURS = {
  TRACE: '\u001b[90m',
  DEBUG: '\u001b[90m',
  INFO: '\u001b[32m',
  WARN: '\u001b[33m',
  ERROR: '\u001b[31m',
  FATAL: '\u001b[35m',
} as const;
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

export class ConsoleExporter implements LogRecordExporter {
  private readonly out: ConsoleOutput;
  private readonly readable: boolean;
  private readonly colour: boolean;
  /** Records already printed: a failed OTLP export beside this one is retried with the same records. */
  private readonly printed = new WeakSet<ReadableLogRecord>();

  constructor(env: Env, out: ConsoleOutput = process.stdout) {
    this.out = out;
    this.readable = out.isTTY === true;
    const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
    this.colour = this.readable && !noColor && env.TERM !== 'dumb';
  }

  export(records: ReadableLogRecord[], done: (result: { code: ExportResultCode }) => void): void {
    let text = '';
    for (const r of records) {
      if (this.printed.has(r)) continue;
      this.printed.add(r);
      text += this.readable ? this.line(r) : jsonLine(r);
    }
    try {
      if (text !== '') this.out.write(text);
    } catch {
      // A closed stdout is not a failed export: the other exporters go on.
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}

  private line(r: ReadableLogRecord): string {
    const level = levelName(r);
    const paint = (code: string, s: string): string => (this.colour ? `${code}${s}${RESET}` : s);
    let line = `${paint(DIM, clock(r))} ${paint(COLOURS[level as keyof typeof COLOURS] ?? '', level.padEnd(5))} ${printable(messageText(r.body))}`;
    const attributes = r.attributes ?? {};
    for (const key of Object.keys(attributes)) {
      if (key === STACK) continue;
      line += ` ${paint(DIM, `${printable(key)}=`)}${shortValue(attributes[key])}`;
    }
    const ids = r.spanContext;
    if (ids?.traceId) line += paint(DIM, ` trace=${ids.traceId.slice(0, 8)}`);
    line += '\n';
    const stack = attributes[STACK];
    if (typeof stack === 'string') {
      for (const frame of stack.split('\n')) line += `    ${paint(DIM, printable(frame))}\n`;
    }
    return line;
  }
}

function levelName(r: ReadableLogRecord): string {
  if (r.severityText) return r.severityText.toUpperCase();
  const n = r.severityNumber ?? 0;
  return n >= 1 ? severityName(n) : 'LOG';
}

/** Local wall-clock time with milliseconds: what a developer compares with their own terminal. */
function clock(r: ReadableLogRecord): string {
  const d = new Date(hrTimeToMilliseconds(r.hrTime));
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function messageText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body === undefined || body === null) return '';
  return toJson(body);
}

function shortValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = BARE.test(value) ? value : JSON.stringify(value);
  else text = toJson(value);
  if (text.length > MAX_SHOWN_VALUE) text = `${text.slice(0, MAX_SHOWN_VALUE)}…`;
  return printable(text);
}

function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}

function jsonLine(r: ReadableLogRecord): string {
  const entry: Record<string, unknown> = {
    time: new Date(hrTimeToMilliseconds(r.hrTime)).toISOString(),
    level: levelName(r),
  };
  if (typeof r.body === 'string' || r.body === undefined) entry.message = r.body ?? '';
  else entry.body = r.body;
  if (r.spanContext?.traceId) {
    entry.trace_id = r.spanContext.traceId;
    entry.span_id = r.spanContext.spanId;
  }
  entry.attributes = r.attributes ?? {};
  // JSON escapes C0 controls itself; DEL, C1 and the bidi overrides are escaped too, still valid JSON.
  return `${printable(toJson(entry))}\n`;
}

/** JSON with bytes as base64 and big integers as text, where plain JSON would fail or mislead. */
function toJson(value: unknown): string {
  return JSON.stringify(value, function replace(this: Record<string, unknown>, key: string, v) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
    return typeof v === 'bigint' ? String(v) : v;
  });
}
