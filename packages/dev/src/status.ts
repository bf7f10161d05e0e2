/**
 * `threadline status`: the overview as text, a block per service answering
 * in order: is it up, is it slow, are its jobs failing, did the last deploy
 * change anything, who owns it.
 */
import { duration, type Overview, percent, type ServiceOverview } from './overview.js';
import { printable } from './timeline.js';

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

/** `11:57:40` (UTC). */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** `2 min ago`, `3 h ago`, `40 s ago`. */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/**
 * A window's length from `30s`, `5m`, `5min`, `1h` or `2d`; undefined for
 * `all` (since the first record); null for anything else.
 */
export function parseWindow(text: string): number | undefined | null {
  if (text === 'all') return undefined;
  const m = /^(\d+)(s|m|min|h|d)$/.exec(text);
  const unit = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m?.[2] ?? ''];
  const n = Number(m?.[1]);
  return unit === undefined || !(n > 0) ? null : n * unit;
}

/** `last 1 h`, `last 5 min`, `since the first record`. */
export function windowName(windowMs: number | undefined): string {
  if (windowMs === undefined) return 'since the first record';
  if (windowMs % 3_600_000 === 0) return `last ${windowMs / 3_600_000} h`;
  return `last ${Math.round(windowMs / 60_000)} min`;
}

function serviceLines(
  s: ServiceOverview,
  now: number,
  paint: (code: string, text: string) => string,
): string[] {
  const lines: string[] = [];
  const who = [
    s.owner && `owner ${printable(s.owner)}`,
    s.runbook && `runbook ${printable(s.runbook)}`,
  ]
    .filter(Boolean)
    .join('  ');
  lines.push(`${paint(BOLD, printable(s.service))}${who ? `  ${who}` : ''}`);
  const instances = s.instances
    .map((i) => `${printable(i.instance)} (${printable(i.version)})`)
    .join(', ');
  lines.push(
    `  up        last record ${clock(s.lastSeenMs)} (${ago(s.lastSeenMs, now)}); ${s.starts} start${s.starts === 1 ? '' : 's'}, ${s.restarts} restart${s.restarts === 1 ? '' : 's'}${instances ? `; instances ${instances}` : ''}`,
  );
  const r = s.requests;
  if (r.count > 0) {
    const errors = `5xx ${percent(r.errorRate)}`;
    lines.push(
      `  requests  ${r.count} (${r.ratePerSecond.toFixed(2)}/s), ${r.errors > 0 ? paint(RED, errors) : errors}, 4xx ${r.clientErrors}, p50 ${duration(r.p50)}, p95 ${duration(r.p95)}, p99 ${duration(r.p99)}`,
    );
    const width = Math.max(
      ...s.routes.slice(0, 5).map((x) => `${x.method} ${x.route || '(no route)'}`.length),
    );
    s.routes.slice(0, 5).forEach((x, i) => {
      const name = printable(`${x.method} ${x.route || '(no route)'}`).padEnd(width);
      const e = `5xx ${percent(x.errorRate)}`;
      lines.push(
        `  ${i === 0 ? 'slowest ' : '        '}  ${name}  ${String(x.count).padStart(6)}  ${x.errors > 0 ? paint(RED, e) : e}  p50 ${duration(x.p50)}  p95 ${duration(x.p95)}  p99 ${duration(x.p99)}`,
      );
    });
  }
  for (const q of s.queues) {
    const failed = `failed ${q.failed}`;
    lines.push(
      `  queue     ${printable(q.queue || '(no queue)')}: started ${q.started}, completed ${q.completed}, ${q.failed > 0 ? paint(RED, failed) : failed}, retried ${q.retried}, postponed ${q.postponed}, ${q.stalled > 0 ? paint(YELLOW, `stalled ${q.stalled}`) : `stalled ${q.stalled}`}, wait p95 ${duration(q.waitP95)}`,
    );
  }
  for (const c of s.cron) {
    const outcome = c.outcome === 'failed' ? paint(RED, 'failed') : c.outcome;
    const failures =
      c.consecutiveFailures > 0
        ? `, ${c.consecutiveFailures} failure${c.consecutiveFailures === 1 ? '' : 's'} in a row`
        : '';
    lines.push(
      `  cron      ${printable(c.name || '(no name)')}: last run ${clock(c.lastRunMs)} ${outcome}, lag ${duration(c.lagMs)}${failures}`,
    );
  }
  if (s.deploy) lines.push(`  deploy    ${printable(s.deploy.summary)}`);
  return lines;
}

/** The overview as text lines; `color` adds ANSI colors (for a terminal). */
export function formatOverview(o: Overview, color = false): string[] {
  const paint = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const head = `${windowName(o.windowMs)} (from ${clock(o.fromMs)} to ${clock(o.now)} UTC), ${o.services.length} service${o.services.length === 1 ? '' : 's'}`;
  if (o.services.length === 0) return [head, 'no records stored'];
  const lines = [head];
  for (const s of o.services) lines.push('', ...serviceLines(s, o.now, paint));
  return lines;
}
