/**
 * The page `threadline dev` serves at `/`: the incident console. Four views,
 * each a hash of the page's address: the overview (`#overview`, per service:
 * up, requests and routes, queues, cron jobs, the last deploy, owner and
 * runbook), the traces (`#traces`, one line a trace, filtered), one trace
 * (`#trace=<id>`: its hops as a waterfall, its records beneath, each
 * opening to every attribute) and the logs (`#logs`, every record, newest
 * first). New records show up as they arrive (server-sent events from
 * `/api/events`) unless paused.
 *
 * One string, no build step; every value from a log is put in the page as
 * text (`textContent`), never as HTML, and only http(s) addresses become
 * links. The overview's figures are written by the functions `threadline
 * status` writes them with: their source is put in the script below.
 */
import { duration, percent } from './overview.js';
import { ago, clock, windowName } from './status.js';
import { MAX_INDENT_DEPTH, SEVERITY_NAMES } from './timeline.js';

const STYLE = `
:root { --bg: #f5f6f8; --surface: #fff; --line: #dde1e7; --text: #1c2230; --muted: #5c6675;
  --accent: #1f4fd1; --accent-bg: #e8eefc; --error: #b42318; --error-bg: #fdecea; --warn: #8a5300;
  --warn-bg: #fff3dc; --ok: #17703a; --ok-bg: #e6f4ea; --job: #6b3fb8; --cron: #0d6b73;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: var(--bg); overflow-wrap: anywhere; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; border-radius: 3px; }
button, input, select { font: inherit; color: inherit; }
button { cursor: pointer; border: 1px solid var(--line); background: var(--surface); border-radius: 6px; padding: 4px 10px; }
button:hover { border-color: var(--accent); }
input, select { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; background: var(--surface); min-width: 0; max-width: 100%; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; z-index: 10; background: var(--surface); padding: 6px 10px; }
.top { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px; padding: 8px 16px; background: #151a26; color: #e9edf5; }
.brand { font-weight: 650; letter-spacing: .2px; }
.tabs { display: flex; gap: 4px; flex-wrap: wrap; }
.tabs a { color: #c9d2e3; text-decoration: none; padding: 4px 10px; border-radius: 6px; }
.tabs a:hover { background: #263049; color: #fff; }
.tabs a[aria-current="page"] { background: #2d3a5a; color: #fff; font-weight: 600; }
.live { margin-left: auto; display: flex; align-items: center; gap: 8px; font-size: 13px; }
.live .dot { width: 8px; height: 8px; border-radius: 50%; background: #7b8496; }
.live[data-state="live"] .dot { background: #3ccf74; }
.live[data-state="reconnecting"] .dot { background: #f0b429; }
.live button { background: transparent; color: #e9edf5; border-color: #4a5570; padding: 2px 10px; }
main { max-width: 1400px; margin: 0 auto; padding: 12px 16px 40px; }
h1 { font-size: 18px; margin: 4px 0; }
h1:focus { outline: none; }
h2 { font-size: 15px; margin: 0; }
h3 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .4px; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; margin-bottom: 8px; }
.seg { display: inline-flex; border: 1px solid var(--line); border-radius: 7px; overflow: hidden; background: var(--surface); }
.seg a { padding: 3px 12px; text-decoration: none; color: var(--text); border-right: 1px solid var(--line); }
.seg a:last-child { border-right: 0; }
.seg a[aria-current="true"] { background: var(--accent); color: #fff; }
.note { color: var(--muted); margin: 4px 0 12px; }
.empty { color: var(--muted); padding: 16px; background: var(--surface); border: 1px dashed var(--line); border-radius: 8px; }
.card { background: var(--surface); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; margin-bottom: 14px; }
.service-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 14px; margin-bottom: 8px; }
.service-head h2 { font-size: 17px; }
.service-head .links { margin-left: auto; display: flex; gap: 12px; flex-wrap: wrap; }
.up { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 0 0 10px; }
.up .stale { color: var(--warn); font-weight: 600; }
.tiles { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; margin-bottom: 6px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; min-width: 0; }
.tile .k { display: block; font-size: 12px; color: var(--muted); }
.tile .v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .sub { color: var(--muted); font-size: 12px; margin-left: 6px; }
.tile.bad { border-color: #f2b8b2; background: var(--error-bg); }
.tile.bad .v, .bad-text { color: var(--error); }
.tile a { color: inherit; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid #edf0f3; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
tbody tr:hover { background: #f7f9fc; }
td.bad, td.bad a { color: var(--error); font-weight: 600; }
td.warn { color: var(--warn); font-weight: 600; }
.deploy { margin: 10px 0 0; padding: 8px 10px; border-radius: 8px; background: #f3f5f9; }
.deploy.worse { background: var(--warn-bg); color: #5c3900; }
.glance h2 { margin-bottom: 6px; }
.glance td:not(:first-child), .glance th:not(:first-child) { text-align: left; }
.linkish { border: 0; background: none; padding: 0; color: var(--accent); text-decoration: underline; font-weight: 600; }
.service-head h2:focus { outline: none; }
.deploy .k, .up .k { font-weight: 600; margin-right: 8px; }
.filters { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 10px; padding: 10px; background: var(--surface); border: 1px solid var(--line); border-radius: 10px; }
.filters input[type="search"] { flex: 1 1 160px; }
.filters label { display: inline-flex; gap: 4px; align-items: center; }
.list { display: flex; flex-direction: column; gap: 6px; }
.trace { display: grid; grid-template-columns: 52px minmax(0, 1.1fr) minmax(0, 1.4fr) 76px 96px; gap: 1px 12px; align-items: baseline; padding: 6px 12px; background: var(--surface); border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 8px; color: var(--text); text-decoration: none; }
.trace:hover { border-color: var(--accent); }
.trace.error { border-left-color: var(--error); }
.trace.warn { border-left-color: #e0a100; }
.trace .status { font-family: var(--mono); font-weight: 700; }
.trace .what { font-weight: 600; }
.trace .what .svc { font-weight: 400; color: var(--muted); margin-left: 8px; }
.trace .dur, .trace .when { text-align: right; font-variant-numeric: tabular-nums; }
.trace .when { color: var(--muted); font-family: var(--mono); font-size: 12.5px; }
.trace .err { grid-column: 3; grid-row: 1; color: var(--error); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.trace .dur { grid-column: 4; grid-row: 1; }
.trace .when { grid-column: 5; grid-row: 1; }
.trace .who { grid-column: 2 / -1; color: var(--muted); font-size: 13px; }
.s5, .error .status { color: var(--error); }
.s4 { color: var(--warn); }
.s2 { color: var(--ok); }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 0 7px; border-radius: 10px; background: #eef1f5; color: var(--muted); }
.badge.bad { background: var(--error-bg); color: var(--error); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.good { background: var(--ok-bg); color: var(--ok); }
.trace-id { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
.axis { display: grid; grid-template-columns: minmax(0, 36%) minmax(0, 1fr) 80px; gap: 10px; font-size: 12px; color: var(--muted); padding: 0 8px 2px; }
.axis .scale { display: flex; justify-content: space-between; }
.hop { display: grid; grid-template-columns: minmax(0, 36%) minmax(0, 1fr) 80px; gap: 10px; align-items: center; width: 100%; text-align: left; padding: 4px 8px; border: 0; border-radius: 6px; background: transparent; }
.hop:hover, .hop[aria-pressed="true"] { background: var(--accent-bg); }
.hop .label { min-width: 0; }
.hop .label b { margin-right: 6px; }
.track { position: relative; height: 14px; background: #f0f2f5; border-radius: 4px; }
.track .fill { position: absolute; top: 0; bottom: 0; min-width: 3px; border-radius: 4px; background: var(--accent); }
.hop.job .fill { background: var(--job); }
.hop.cron .fill { background: var(--cron); }
.hop.warn .fill { background: #e0a100; }
.hop.error .fill { background: var(--error); }
.hop .ms { text-align: right; font-variant-numeric: tabular-nums; }
.records { display: flex; flex-direction: column; }
details.rec { border-bottom: 1px solid #edf0f3; }
details.rec > summary { cursor: pointer; padding: 3px 6px; border-radius: 4px; }
details.rec > summary:hover { background: #f3f6fb; }
details.rec[open] > summary { background: var(--accent-bg); }
details.rec.fresh > summary { animation: fresh 3s ease-out; }
@keyframes fresh { from { background: #fff2b3; } to { background: transparent; } }
.row { font-family: var(--mono); font-size: 12.5px; white-space: pre-wrap; overflow-wrap: anywhere; }
.row.error { color: var(--error); }
.row.warn { color: var(--warn); }
.row .span { color: var(--muted); }
.row .attrs { color: var(--muted); }
.rec-body { padding: 8px 10px 12px 22px; }
.rec-body dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 0 0 8px; }
.rec-body dt { color: var(--muted); }
.rec-body dd { margin: 0; font-family: var(--mono); font-size: 12.5px; }
.kv td { font-family: var(--mono); font-size: 12.5px; text-align: left; white-space: pre-wrap; }
.kv td:first-child { color: var(--muted); width: 34%; }
pre.stack { margin: 6px 0 10px; padding: 8px 10px; background: var(--error-bg); color: #6d1109; border-radius: 6px; font-family: var(--mono); font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.pager { display: flex; gap: 8px; align-items: center; margin-top: 10px; flex-wrap: wrap; }
@media (max-width: 760px) {
  .top { padding: 8px 10px; }
  main { padding: 10px 10px 32px; }
  .card { padding: 10px 12px; }
  .tiles { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  .service-head .links { margin-left: 0; }
  table.stack-sm, table.stack-sm tbody, table.stack-sm tr, table.stack-sm td { display: block; }
  table.stack-sm thead { display: none; }
  table.stack-sm tr { padding: 6px 0; border-bottom: 1px solid var(--line); }
  table.stack-sm td { border: 0; padding: 1px 0; text-align: left; display: flex; justify-content: space-between; gap: 12px; }
  table.stack-sm td:first-child { font-weight: 600; }
  table.stack-sm td[data-label]::before { content: attr(data-label); color: var(--muted); font-weight: 400; }
  table.stack-sm td.none { display: none; }
  .trace { grid-template-columns: 44px minmax(0, 1fr) auto; }
  .trace .what { grid-column: 2 / -1; }
  .trace .err { grid-column: 2 / -1; grid-row: auto; white-space: normal; }
  .trace .dur { grid-column: 2; grid-row: auto; text-align: left; }
  .trace .when { grid-column: 3; grid-row: auto; }
  .axis { grid-template-columns: minmax(0, 1fr); }
  .axis .first { display: none; }
  .axis .last { display: none; }
  .hop { grid-template-columns: minmax(0, 1fr) 70px; }
  .hop .label { grid-column: 1 / -1; }
  .kv td:first-child { width: 40%; }
}
`;

const SCRIPT = `
'use strict';
const MAX_INDENT_DEPTH = ${MAX_INDENT_DEPTH};
const LEVELS = ${JSON.stringify(SEVERITY_NAMES)};
// The overview's figures as \`threadline status\` writes them: the same functions.
const percent = ${String(percent)};
const duration = ${String(duration)};
const clock = ${String(clock)};
const ago = ${String(ago)};
const windowName = ${String(windowName)};
// ?at=<time> ends the overview's window (and the traces' "last …" times) there, as status --at does.
const AT = new URLSearchParams(location.search).get('at') || '';
const nowMs = () => (AT ? Date.parse(AT) : Date.now());
const SHOWN = [['http.request.method','method'],['http.route','route'],['http.response.status_code','status'],
  ['messaging.destination.name','queue'],['messaging.message.id','job'],['threadline.job.attempt','attempt'],
  ['threadline.job.name','name'],['threadline.cron.run_id','run'],['threadline.duration_ms','ms'],
  ['exception.type','exception'],['exception.message','message']];
const WINDOWS = [['5m', '5 min'], ['1h', '1 h'], ['all', 'since start']];
const TIMES = [['', 'any time'], ['5m', 'last 5 min'], ['1h', 'last 1 h'], ['24h', 'last 24 h']];
const TIME_MS = { '5m': 300000, '1h': 3600000, '24h': 86400000 };
const RECORDS_SHOWN = 1000;
const HOPS_SHOWN = 2000;

const $ = (id) => document.getElementById(id);
/** An element with a class and text; the text is always text, never markup. */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function link(href, text, cls) {
  const a = el('a', cls, text);
  a.href = href;
  return a;
}
// Values from logs are shown as text: strings as they are, anything else as JSON (a map may hold
// keys such as toString, so nothing of it is called).
function text(v) {
  if (typeof v === 'string') return v;
  try { return JSON.stringify(v) ?? String(v); } catch { return '?'; }
}
/** An address from a log, when it is http(s) (no javascript: or data: links). */
function safeUrl(v) {
  if (typeof v !== 'string') return '';
  try { const u = new URL(v); return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : ''; } catch { return ''; }
}
const level = (n) => (n >= 17 ? 'error' : n >= 13 ? 'warn' : '');
const levelName = (r) => r.severityText || LEVELS[Math.floor((r.severityNumber - 1) / 4)] || String(r.severityNumber);
const time = (nanos) => new Date(Number(BigInt(nanos) / 1000000n)).toISOString().slice(11, 23);
const fullTime = (nanos) => new Date(Number(BigInt(nanos) / 1000000n)).toISOString().replace('T', ' ').replace('Z', ' UTC');
const plural = (n, noun) => n + ' ' + noun + (n === 1 ? '' : 's');
async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(url + ': ' + res.status + ' ' + (await res.text()));
  return res.json();
}
function hashOf(view, params) {
  const q = params.toString();
  return '#' + view + (q ? '?' + q : '');
}

// ---- routing: the hash names the view and its filters ----
function parseHash() {
  const h = location.hash.slice(1);
  if (h.startsWith('trace=')) return { view: 'trace', id: h.slice(6).toLowerCase(), params: new URLSearchParams() };
  const q = h.indexOf('?');
  const name = q === -1 ? h : h.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : h.slice(q + 1));
  return { view: ['overview', 'traces', 'logs'].includes(name) ? name : 'overview', params };
}
let current = { view: '' };
let lastOpenedTrace = '';
// The list a trace was opened from: Escape and the back link return there.
let listHash = '#traces';
function render(moveFocus) {
  const route = parseHash();
  const previous = current.view;
  const changed = route.view !== previous;
  current = route;
  if (route.view !== 'trace') listHash = location.hash || '#overview';
  const back = $('back');
  back.href = listHash;
  back.textContent = '← ' + { overview: 'Overview', traces: 'Traces', logs: 'Logs' }[parseHashOf(listHash)];
  for (const v of ['overview', 'traces', 'trace', 'logs']) $('view-' + v).hidden = v !== route.view;
  for (const a of document.querySelectorAll('.tabs a')) {
    const on = a.dataset.view === route.view || (route.view === 'trace' && a.dataset.view === 'traces');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const done = route.view === 'overview' ? showOverview(route.params)
    : route.view === 'traces' ? showTraces(route.params)
    : route.view === 'trace' ? showTrace(route.id)
    : showLogs(route.params);
  return done.then(() => {
    // A later move may have taken over while this view loaded.
    if (!moveFocus || current !== route) return;
    // Back on a list from a trace, that trace keeps the focus; else the view's heading takes it.
    const opened = previous === 'trace' && lastOpenedTrace && document.querySelector('#view-' + route.view + ' a[data-trace="' + lastOpenedTrace + '"]');
    if (opened) opened.focus();
    else if (changed || route.view === 'trace') document.querySelector('#view-' + route.view + ' h1').focus();
  }).catch(showError);
}
function showError(error) {
  const box = $('problem');
  box.hidden = false;
  box.textContent = 'Could not load: ' + String(error && error.message || error);
}
function parseHashOf(hash) {
  const name = hash.slice(1).split('?')[0];
  return ['overview', 'traces', 'logs'].includes(name) ? name : 'overview';
}
window.addEventListener('hashchange', () => { $('problem').hidden = true; render(true); });
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented) return;
  const open = e.target.closest && e.target.closest('details[open]');
  if (open) { open.open = false; open.querySelector('summary').focus(); e.preventDefault(); return; }
  if (current.view !== 'trace') return;
  e.preventDefault();
  location.hash = listHash;
});

// ---- the overview ----
function figure(tag, name, value, cls) {
  const e = el(tag, cls, value);
  e.dataset.figure = name;
  return e;
}
function tile(label, name, value, sub, bad, href) {
  const t = el('div', 'tile' + (bad ? ' bad' : ''));
  t.append(el('span', 'k', label));
  const v = figure('span', name, value, 'v');
  if (href) { const a = link(href, ''); a.append(v); t.append(a); } else t.append(v);
  if (sub) t.append(sub);
  return t;
}
function table(caption, heads, rows) {
  const t = el('table', 'stack-sm');
  t.setAttribute('aria-label', caption);
  const head = el('thead');
  const tr = el('tr');
  for (const h of heads) { const th = el('th', '', h); th.scope = 'col'; tr.append(th); }
  head.append(tr);
  const body = el('tbody');
  for (const cells of rows) {
    const row = el('tr');
    cells.forEach((c, i) => {
      // A cell that says nothing takes no line of its own on a phone.
      const td = el('td', (c.cls || '') + (c.text === '–' ? ' none' : ''));
      if (i > 0) td.dataset.label = heads[i];
      if (c.figure) td.dataset.figure = c.figure;
      if (c.node) td.append(c.node); else td.textContent = c.text;
      row.append(td);
    });
    body.append(row);
  }
  t.append(head, body);
  return t;
}
async function showOverview(params) {
  const win = WINDOWS.some(([w]) => w === params.get('window')) ? params.get('window') : '1h';
  const q = new URLSearchParams({ window: win });
  if (AT) q.set('at', AT);
  const o = await getJson('/api/overview?' + q);
  const seg = $('windows');
  seg.replaceChildren();
  for (const [w, name] of WINDOWS) {
    const a = link(hashOf('overview', new URLSearchParams({ window: w })), name);
    a.setAttribute('aria-current', String(w === win));
    seg.append(a);
  }
  $('ov-head').textContent = windowName(o.windowMs) + ' (from ' + clock(o.fromMs) + ' to ' + clock(o.now) + ' UTC), ' + plural(o.services.length, 'service');
  $('ov-at').textContent = AT ? 'The window ends at ' + new Date(o.now).toISOString() + ' (?at= in the address).' : '';
  const list = $('ov-services');
  const focused = document.activeElement && document.activeElement.dataset.key;
  list.replaceChildren();
  if (o.services.length === 0) {
    list.append(el('div', 'empty', 'No records stored yet. Point your apps at OTEL_EXPORTER_OTLP_ENDPOINT=' + location.origin + ' and they will appear here.'));
  }
  const range = { from: String(o.fromMs), to: String(o.now) };
  if (o.services.length > 1) list.append(glance(o.services, o.now));
  for (const s of o.services) list.append(serviceCard(s, o.now, range));
  if (focused) { const again = list.querySelector('[data-key="' + CSS.escape(focused) + '"]'); if (again) again.focus(); }
}
/** One line a service, its signs of trouble in red: where to look first. */
function glance(services, now) {
  const box = el('div', 'card glance');
  box.append(el('h2', '', 'At a glance'));
  box.append(table('services at a glance', ['service', 'last record', 'requests', '5xx', 'p95', 'jobs', 'cron', 'deploy'], services.map((s) => {
    const go = el('button', 'linkish', s.service);
    go.type = 'button';
    go.dataset.key = 'glance:' + s.service;
    go.addEventListener('click', () => {
      const heading = document.querySelector('section.service[data-service="' + CSS.escape(s.service) + '"] h2');
      heading.scrollIntoView({ block: 'start' });
      heading.focus();
    });
    const failed = s.queues.reduce((n, q) => n + q.failed, 0);
    const stalled = s.queues.reduce((n, q) => n + q.stalled, 0);
    const jobs = s.queues.length === 0 ? '–' : [failed + ' failed', stalled ? stalled + ' stalled' : ''].filter(Boolean).join(', ');
    const failing = s.cron.filter((c) => c.outcome === 'failed');
    const cron = s.cron.length === 0 ? '–' : failing.length === 0 ? 'ok' : failing.map((c) => c.name + ' failed ×' + c.consecutiveFailures).join(', ');
    const r = s.requests;
    return [
      { node: go },
      { text: clock(s.lastSeenMs) + ' (' + ago(s.lastSeenMs, now) + ')', cls: now - s.lastSeenMs > 300000 ? 'warn' : '' },
      { text: r.count ? r.count + ' (' + r.ratePerSecond.toFixed(2) + '/s)' : '–' },
      { text: r.count ? percent(r.errorRate) : '–', cls: r.errors > 0 ? 'bad' : '' },
      { text: r.count ? duration(r.p95) : '–' },
      { text: jobs, cls: failed > 0 ? 'bad' : stalled > 0 ? 'warn' : '' },
      { text: cron, cls: failing.length > 0 ? 'bad' : '' },
      { text: s.deploy ? s.deploy.version + (worse(s.deploy) ? ' (worse)' : '') : '–', cls: s.deploy && worse(s.deploy) ? 'warn' : '' },
    ];
  })));
  return box;
}
/** Whether the newest deploy answers more 5xx, or is half again as slow at p95, than the one before. */
function worse(d) {
  if (!d.before || d.after.count === 0) return false;
  return d.after.errorRate > d.before.errorRate || (d.after.p95 || 0) > (d.before.p95 || 0) * 1.5;
}
function tracesHref(params) {
  return hashOf('traces', new URLSearchParams(params));
}
function keyed(a, key) { a.dataset.key = key; return a; }
function serviceCard(s, now, range) {
  const card = el('section', 'card service');
  card.dataset.service = s.service;
  card.setAttribute('aria-label', 'service ' + s.service);
  const head = el('div', 'service-head');
  const name = figure('h2', 'name', s.service);
  name.tabIndex = -1;
  head.append(name);
  if (s.owner) { const o = el('span', 'muted', 'owner '); o.append(figure('b', 'owner', s.owner)); head.append(o); }
  if (s.runbook) {
    const r = el('span', 'muted', 'runbook ');
    const url = safeUrl(s.runbook);
    const a = url ? link(url, s.runbook) : el('span', '', s.runbook);
    a.dataset.figure = 'runbook';
    if (url) { a.rel = 'noopener noreferrer'; a.target = '_blank'; }
    r.append(a);
    head.append(r);
  }
  const links = el('span', 'links');
  links.append(
    keyed(link(tracesHref({ service: s.service, ...range }), 'traces'), s.service + ':traces'),
    keyed(link(tracesHref({ service: s.service, severity: '17', ...range }), 'errors'), s.service + ':errors'),
    keyed(link(hashOf('logs', new URLSearchParams({ service: s.service })), 'logs'), s.service + ':logs'),
  );
  head.append(links);
  card.append(head);

  const up = el('p', 'up');
  up.append(el('span', 'k', 'up'));
  const last = el('span', '', 'last record ');
  const stale = now - s.lastSeenMs > 300000;
  last.append(figure('b', 'last', clock(s.lastSeenMs)), ' (', figure('span', 'ago', ago(s.lastSeenMs, now), stale ? 'stale' : ''), ')');
  up.append(last, figure('span', 'starts', plural(s.starts, 'start')), figure('span', 'restarts', plural(s.restarts, 'restart')));
  if (s.instances.length > 0) {
    const i = el('span', '', 'instances ');
    i.append(figure('span', 'instances', s.instances.map((x) => x.instance + ' (' + x.version + ')').join(', ')));
    up.append(i);
  }
  card.append(up);

  const r = s.requests;
  if (r.count > 0) {
    const tiles = el('div', 'tiles');
    tiles.append(
      tile('requests', 'count', String(r.count), figure('span', 'rate', r.ratePerSecond.toFixed(2) + '/s', 'sub')),
      tile('5xx', 'errors', percent(r.errorRate), el('span', 'sub', String(r.errors)), r.errors > 0,
        r.errors > 0 ? tracesHref({ service: s.service, status: '5xx', ...range }) : ''),
      tile('4xx', 'clientErrors', String(r.clientErrors)),
      tile('p50', 'p50', duration(r.p50)),
      tile('p95', 'p95', duration(r.p95)),
      tile('p99', 'p99', duration(r.p99)),
    );
    card.append(el('h3', '', 'Requests, slowest routes first'), tiles);
    card.append(table('routes of ' + s.service, ['route', 'requests', '5xx', 'p50', 'p95', 'p99'], s.routes.map((x) => {
      const name = x.method + ' ' + (x.route || '(no route)');
      const filter = { service: s.service, method: x.method, route: x.route, ...range };
      const e = x.errors > 0 ? keyed(link(tracesHref({ ...filter, status: '5xx' }), percent(x.errorRate)), s.service + ':5xx:' + name) : null;
      return [
        { node: keyed(link(tracesHref(filter), name), s.service + ':route:' + name), figure: 'route' },
        { text: String(x.count), figure: 'count' },
        e ? { node: e, figure: 'errors', cls: 'bad' } : { text: percent(x.errorRate), figure: 'errors' },
        { text: duration(x.p50), figure: 'p50' },
        { text: duration(x.p95), figure: 'p95' },
        { text: duration(x.p99), figure: 'p99' },
      ];
    })));
  }
  if (s.queues.length > 0) {
    card.append(el('h3', '', 'Queues'));
    card.append(table('queues of ' + s.service, ['queue', 'started', 'completed', 'failed', 'retried', 'postponed', 'stalled', 'wait p95'], s.queues.map((q) => [
      { node: keyed(link(hashOf('logs', new URLSearchParams({ service: s.service, q: q.queue })), q.queue || '(no queue)'), s.service + ':queue:' + q.queue), figure: 'queue' },
      { text: String(q.started), figure: 'started' },
      { text: String(q.completed), figure: 'completed' },
      { text: String(q.failed), figure: 'failed', cls: q.failed > 0 ? 'bad' : '' },
      { text: String(q.retried), figure: 'retried' },
      { text: String(q.postponed), figure: 'postponed' },
      { text: String(q.stalled), figure: 'stalled', cls: q.stalled > 0 ? 'warn' : '' },
      { text: duration(q.waitP95), figure: 'waitP95' },
    ])));
  }
  if (s.cron.length > 0) {
    card.append(el('h3', '', 'Cron jobs'));
    card.append(table('cron jobs of ' + s.service, ['job', 'last run', 'outcome', 'lag', 'failures in a row'], s.cron.map((c) => [
      { node: keyed(link(hashOf('logs', new URLSearchParams({ service: s.service, q: c.name })), c.name || '(no name)'), s.service + ':cron:' + c.name), figure: 'cron' },
      { text: clock(c.lastRunMs), figure: 'lastRun' },
      { text: c.outcome, figure: 'outcome', cls: c.outcome === 'failed' ? 'bad' : '' },
      { text: duration(c.lagMs), figure: 'lag' },
      { text: String(c.consecutiveFailures), figure: 'failures', cls: c.consecutiveFailures > 0 ? 'bad' : '' },
    ])));
  }
  if (s.deploy) {
    const d = el('p', 'deploy' + (worse(s.deploy) ? ' worse' : ''));
    d.append(el('span', 'k', 'deploy'), figure('span', 'deploy', s.deploy.summary));
    card.append(d);
  }
  return card;
}

// ---- the traces ----
const traceForm = $('trace-filters');
function fillSelect(select, values, label) {
  const keep = select.value;
  while (select.options.length > 1) select.remove(1);
  const all = values.includes(keep) || keep === '' ? values : [keep, ...values];
  for (const v of all) select.append(new Option(label ? label(v) : v, v));
  select.value = keep;
}
function setForm(form, params) {
  for (const field of form.elements) {
    if (!field.name) continue;
    const v = params.get(field.name);
    if (field.type === 'checkbox') field.checked = field.name === 'errorsFirst' ? v !== '0' : v === '1';
    else if (field.tagName === 'SELECT') {
      if (v && ![...field.options].some((o) => o.value === v)) field.append(new Option(v, v));
      field.value = v || '';
    } else field.value = v || '';
  }
}
function traceParams() {
  const p = new URLSearchParams();
  for (const field of traceForm.elements) {
    if (!field.name) continue;
    if (field.type === 'checkbox') { if (!field.checked) p.set(field.name, '0'); }
    else if (field.name === 'time') {
      if (field.value === 'range') { p.set('from', current.params.get('from') || ''); p.set('to', current.params.get('to') || ''); }
      else if (field.value) p.set('time', field.value);
    } else if (field.value) p.set(field.name, field.value);
  }
  return p;
}
function setTimeOptions(params) {
  const select = traceForm.elements.time;
  select.replaceChildren(...TIMES.map(([v, name]) => new Option(name, v)));
  if (params.get('from') || params.get('to')) {
    const from = Number(params.get('from')), to = Number(params.get('to'));
    select.append(new Option((from ? clock(from) : '…') + '–' + (to ? clock(to) : '…') + ' UTC', 'range'));
    select.value = 'range';
  } else select.value = TIME_MS[params.get('time')] ? params.get('time') : '';
}
async function showTraces(params) {
  setForm(traceForm, params);
  setTimeOptions(params);
  await loadTraces(params);
}
async function loadTraces(params) {
  const q = new URLSearchParams();
  for (const name of ['service', 'route', 'method', 'status', 'severity', 'version', 'q', 'errorsFirst']) {
    if (params.get(name)) q.set(name, params.get(name));
  }
  if (params.get('from') || params.get('to')) {
    if (params.get('from')) q.set('from', params.get('from'));
    if (params.get('to')) q.set('to', params.get('to'));
  } else if (TIME_MS[params.get('time')]) {
    const to = nowMs();
    q.set('from', String(to - TIME_MS[params.get('time')]));
    if (AT) q.set('to', String(to));
  }
  q.set('limit', '100');
  const data = await getJson('/api/traces?' + q);
  fillSelect(traceForm.elements.service, data.facets.services);
  fillSelect(traceForm.elements.version, data.facets.versions);
  fillSelect(traceForm.elements.method, [...new Set(data.facets.routes.map((r) => r.method).filter(Boolean))].sort());
  const routes = $('routes');
  routes.replaceChildren(...[...new Set(data.facets.routes.map((r) => r.route).filter(Boolean))].map((r) => new Option(r, r)));
  const focused = document.activeElement && document.activeElement.dataset.trace;
  const list = $('trace-list');
  list.replaceChildren();
  $('trace-count').textContent = (data.traces.length === 100 ? 'the first 100 traces' : plural(data.traces.length, 'trace')) + (params.get('errorsFirst') === '0' ? ', newest first' : ', those with errors first');
  if (data.traces.length === 0) list.append(el('div', 'empty', 'No traces match.'));
  for (const t of data.traces) list.append(traceLine(t));
  if (focused) { const again = list.querySelector('a[data-trace="' + focused + '"]'); if (again) again.focus(); }
}
function traceLine(t) {
  const item = link('#trace=' + t.traceId, '', 'trace ' + level(t.maxSeverity));
  item.dataset.trace = t.traceId;
  const status = t.status !== undefined ? String(t.status) : t.maxSeverity >= 17 ? 'ERROR' : t.maxSeverity >= 13 ? 'WARN' : '–';
  item.append(el('span', 'status ' + (t.status !== undefined ? 's' + String(t.status)[0] : ''), status));
  const what = el('span', 'what', t.route || t.method ? (t.method + ' ' + (t.route || '(no route)')).trim() : t.rootService);
  if (t.route || t.method) what.append(el('span', 'svc', t.rootService));
  item.append(what);
  item.append(el('span', 'dur', t.durationMs !== undefined ? duration(t.durationMs) : t.records > 1 ? duration(t.spanMs) : '–'));
  item.append(el('span', 'when', time(t.startUnixNano)));
  if (t.firstError) item.append(el('span', 'err', t.firstError));
  const who = [t.services.join(', ')];
  if (t.jobs > 0) who.push(plural(t.jobs, 'job'));
  who.push(plural(t.records, 'record'));
  if (t.versions.length) who.push(t.versions.join(', '));
  item.append(el('span', 'who', who.join(' · ')));
  item.setAttribute('aria-label', [status, what.firstChild.textContent, t.rootService, t.firstError || '', 'at ' + time(t.startUnixNano)].filter(Boolean).join(', '));
  item.addEventListener('click', () => { lastOpenedTrace = t.traceId; });
  return item;
}
/**
 * A view's filters: each change goes into the address (replacing it, so Back leaves the view)
 * and reloads the view's list; typed text waits for a pause.
 */
function filtersOf(form, view, read, load) {
  let typing;
  form.addEventListener('input', (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const p = read();
      current.params = p;
      history.replaceState(null, '', hashOf(view, p));
      listHash = location.hash;
      load(p).catch(showError);
    }, e.target.tagName === 'INPUT' && e.target.type !== 'checkbox' ? 200 : 0);
  });
  form.addEventListener('submit', (e) => e.preventDefault());
}
filtersOf(traceForm, 'traces', traceParams, loadTraces);

// ---- one trace ----
function recordLine(r, depth) {
  const row = el('span', 'row ' + level(r.severityNumber));
  const who = text(r.service) + (r.serviceVersion ? '@' + text(r.serviceVersion) : '');
  const attrs = SHOWN.filter(([k]) => r.attributes[k] !== undefined).map(([k, s]) => s + '=' + text(r.attributes[k]).slice(0, 120)).join(' ');
  row.append(
    document.createTextNode(time(r.timeUnixNano) + ' ' + '  '.repeat(Math.min(depth, MAX_INDENT_DEPTH)) + who + ' '),
    // A record outside any hop (a start-up line) has no span id to show.
    r.spanId ? el('span', 'span', '[' + r.spanId.slice(0, 8) + '] ') : '',
    document.createTextNode(levelName(r).padEnd(5) + ' ' + text(r.body ?? '') + '  '),
    el('span', 'attrs', attrs),
  );
  return row;
}
function pairs(caption, map) {
  const t = el('table', 'kv');
  t.setAttribute('aria-label', caption);
  const body = el('tbody');
  for (const key of Object.keys(map).sort()) {
    const tr = el('tr');
    const v = map[key];
    tr.append(el('td', '', key), el('td', '', typeof v === 'string' ? v : text(v)));
    body.append(tr);
  }
  t.append(body);
  return t;
}
/** A record that opens to everything it holds; built when first opened. */
function recordItem(r, depth, withTraceLink) {
  const d = el('details', 'rec');
  d.dataset.id = String(r.id);
  const summary = el('summary');
  summary.append(recordLine(r, depth));
  d.append(summary);
  d.addEventListener('toggle', () => {
    if (!d.open || d.querySelector('.rec-body')) return;
    const body = el('div', 'rec-body');
    const stack = r.attributes['exception.stacktrace'];
    if (stack !== undefined) {
      body.append(el('h3', '', 'Exception'));
      const pre = el('pre', 'stack', text(stack));
      body.append(pre);
    }
    const ids = el('dl');
    const item = (k, v) => { ids.append(el('dt', '', k)); const dd = el('dd'); if (typeof v === 'string') dd.textContent = v; else dd.append(v); ids.append(dd); };
    item('time', fullTime(r.timeUnixNano));
    item('level', levelName(r) + ' (' + r.severityNumber + ')');
    item('message', text(r.body ?? ''));
    if (r.traceId) item('trace', withTraceLink ? link('#trace=' + r.traceId, r.traceId) : r.traceId);
    if (r.spanId) item('span', r.spanId);
    if (r.parentSpanId) item('parent span', r.parentSpanId);
    if (r.linkTraceId) item('started from trace', link('#trace=' + r.linkTraceId, r.linkTraceId));
    item('scope', r.scope || '–');
    body.append(ids);
    body.append(el('h3', '', 'Attributes'), pairs('attributes', r.attributes));
    body.append(el('h3', '', 'Resource'), pairs('resource', r.resource));
    d.append(body);
  });
  return d;
}
let shownTrace = { id: '', records: -1, hop: '' };
async function showTrace(id, live) {
  if (!/^[0-9a-f]{32}$/.test(id)) { $('trace-title').textContent = 'No such trace id: ' + id; return; }
  const data = await getJson('/api/traces/' + id);
  if (live && shownTrace.id === id && shownTrace.records === data.records.length) return;
  const keepOpen = new Set([...document.querySelectorAll('#trace-records details[open]')].map((d) => d.dataset.id));
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('details');
  if (shownTrace.id !== id) shownTrace.hop = '';
  shownTrace = { id, records: data.records.length, hop: shownTrace.hop };
  lastOpenedTrace = id;
  $('trace-title').textContent = 'Trace ' + id.slice(0, 8) + '…';
  $('trace-id').textContent = id;
  $('copied').textContent = '';
  const records = data.records;
  const summary = $('trace-summary');
  const runbooks = $('runbooks');
  runbooks.replaceChildren();
  if (records.length === 0) {
    summary.textContent = 'No records of this trace are stored (yet).';
    $('waterfall').replaceChildren();
    $('trace-records').replaceChildren();
    return;
  }
  const traces = new Set(records.map((r) => r.traceId));
  const services = new Set(records.map((r) => r.service));
  const span = data.hops.reduce((m, h) => Math.max(m, h.endMs), 0);
  summary.textContent = [plural(records.length, 'record'), plural(services.size, 'service'), plural(data.hops.length, 'hop'),
    traces.size > 1 ? plural(traces.size - 1, 'linked trace') : '', duration(Math.round(span * 1000) / 1000) + ' from first to last', 'started ' + fullTime(records[0].timeUnixNano)].filter(Boolean).join(' · ');
  const seen = new Set();
  for (const r of records) {
    const url = safeUrl(r.resource['threadline.runbook.url']);
    if (!url || seen.has(url)) continue;
    seen.add(url);
    const a = link(url, 'runbook of ' + r.service);
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    a.className = 'runbook';
    runbooks.append(a);
  }
  drawWaterfall(data.hops, span, records);
  drawRecords(records, keepOpen);
  if (focused && focused.dataset.id) { const again = document.querySelector('#trace-records details[data-id="' + focused.dataset.id + '"] > summary'); if (again) again.focus(); }
}
function drawWaterfall(hops, span, records) {
  const box = $('waterfall');
  box.replaceChildren();
  const axis = el('div', 'axis');
  const scale = el('div', 'scale');
  // Durations as the overview rounds them: two significant digits.
  const tick = (ms) => duration(ms > 0 ? Number(ms.toPrecision(2)) : 0);
  scale.append(el('span', '', '0'), el('span', '', tick(span / 2)), el('span', '', tick(span)));
  axis.append(el('span', 'first', 'hop'), scale, el('span', 'last', ''));
  box.append(axis);
  for (const h of hops.slice(0, HOPS_SHOWN)) {
    const b = el('button', 'hop ' + h.kind + ' ' + level(h.maxSeverity));
    b.type = 'button';
    b.dataset.span = h.spanId;
    b.setAttribute('aria-pressed', String(shownTrace.hop === h.spanId));
    const label = el('span', 'label');
    label.style.paddingLeft = Math.min(h.depth, MAX_INDENT_DEPTH) * 14 + 'px';
    label.append(el('b', '', h.service + (h.version ? '@' + h.version : '')), document.createTextNode(h.name || '(' + plural(h.records, 'record') + ')'));
    if (h.outcome) {
      const bad = h.maxSeverity >= 17 || /^5|fail/.test(h.outcome);
      label.append(document.createTextNode(' '), el('span', 'badge ' + (bad ? 'bad' : /^4|stalled|postponed/.test(h.outcome) ? 'warn' : 'good'), h.outcome));
    }
    // A job attempt in link mode runs in a trace of its own, started from this one.
    if (h.traceId !== shownTrace.id) label.append(document.createTextNode(' '), el('span', 'badge', 'own trace ' + h.traceId.slice(0, 8)));
    const track = el('span', 'track');
    const fill = el('span', 'fill');
    const width = span > 0 ? ((h.endMs - h.startMs) / span) * 100 : 100;
    fill.style.left = (span > 0 ? (h.startMs / span) * 100 : 0) + '%';
    fill.style.width = Math.max(width, 0.4) + '%';
    track.append(fill);
    const ms = h.durationMs !== undefined ? h.durationMs : h.endMs - h.startMs;
    b.append(label, track, el('span', 'ms', duration(Math.round(ms * 1000) / 1000)));
    b.setAttribute('aria-label', [h.service, h.name, h.outcome, duration(Math.round(ms * 1000) / 1000), 'depth ' + h.depth].filter(Boolean).join(', ') + '. Show its records only.');
    b.addEventListener('click', () => {
      shownTrace.hop = shownTrace.hop === h.spanId ? '' : h.spanId;
      for (const other of box.querySelectorAll('.hop')) other.setAttribute('aria-pressed', String(other.dataset.span === shownTrace.hop));
      drawRecords(records, new Set());
    });
    box.append(b);
  }
  if (hops.length > HOPS_SHOWN) box.append(el('p', 'note', plural(hops.length - HOPS_SHOWN, 'more hop') + ' not drawn.'));
}
function drawRecords(records, keepOpen) {
  const box = $('trace-records');
  box.replaceChildren();
  const depth = new Map(records.map((r) => [r.spanId, r.depth]));
  const chosen = shownTrace.hop ? records.filter((r) => r.spanId === shownTrace.hop) : records;
  $('records-note').textContent = shownTrace.hop ? plural(chosen.length, 'record') + ' of one hop. ' : '';
  if (shownTrace.hop) {
    const all = el('button', '', 'Show every record');
    all.type = 'button';
    all.addEventListener('click', () => { shownTrace.hop = ''; for (const h of document.querySelectorAll('#waterfall .hop')) h.setAttribute('aria-pressed', 'false'); drawRecords(records, new Set()); });
    $('records-note').append(all);
  }
  const more = (from) => {
    for (const r of chosen.slice(from, from + RECORDS_SHOWN)) {
      const item = recordItem(r, depth.get(r.spanId) || 0, false);
      box.append(item);
      if (keepOpen.has(String(r.id))) item.open = true;
    }
    if (chosen.length > from + RECORDS_SHOWN) {
      const b = el('button', '', 'Show ' + Math.min(RECORDS_SHOWN, chosen.length - from - RECORDS_SHOWN) + ' more records');
      b.type = 'button';
      b.addEventListener('click', () => { b.remove(); more(from + RECORDS_SHOWN); });
      box.append(b);
    }
  };
  more(0);
}
$('copy').addEventListener('click', async () => {
  const id = $('trace-id').textContent;
  try {
    await navigator.clipboard.writeText(id);
    $('copied').textContent = 'Copied.';
  } catch {
    getSelection().selectAllChildren($('trace-id'));
    $('copied').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
  }
});

// ---- the logs ----
const logForm = $('log-filters');
let logs = { before: '', top: 0, next: undefined, fresh: 0 };
function logParams() {
  const p = new URLSearchParams();
  for (const field of logForm.elements) if (field.name && field.value) p.set(field.name, field.value);
  return p;
}
async function showLogs(params) {
  setForm(logForm, params);
  await loadLogs(params);
}
async function loadLogs(params) {
  const q = new URLSearchParams();
  for (const name of ['service', 'severity', 'q', 'before']) if (params.get(name)) q.set(name, params.get(name));
  q.set('limit', '100');
  const page = await getJson('/api/logs?' + q);
  fillSelect(logForm.elements.service, page.facets.services);
  logs = { before: params.get('before') || '', top: page.records[0] ? page.records[0].id : 0, next: page.nextBeforeId, fresh: 0 };
  const list = $('log-list');
  list.replaceChildren();
  if (page.records.length === 0) list.append(el('div', 'empty', page.nextBeforeId ? 'None among these records: look further back.' : 'No records match.'));
  for (const r of page.records) list.append(recordItem(r, 0, true));
  $('log-count').textContent = logs.before ? 'older records, newest first' : 'newest first';
  $('newer').hidden = !logs.before;
  $('older').hidden = page.nextBeforeId === undefined;
  $('fresh-note').textContent = '';
}
/** Live: the records stored since the newest shown, on top. */
async function followLogs() {
  if (logs.before) {
    logs.fresh++;
    $('fresh-note').textContent = 'New records have arrived: see the newest.';
    return;
  }
  const params = logParams();
  if (logs.top) params.set('after', String(logs.top));
  params.set('limit', '100');
  const page = await getJson('/api/logs?' + params);
  if (page.records.length === 0) return;
  const list = $('log-list');
  const empty = list.querySelector('.empty');
  if (empty) empty.remove();
  logs.top = page.records[0].id;
  const items = page.records.map((r) => { const d = recordItem(r, 0, true); d.classList.add('fresh'); return d; });
  list.prepend(...items);
  // The page keeps a bounded list; older records are a page away.
  const all = list.querySelectorAll('details.rec');
  for (let i = 500; i < all.length; i++) all[i].remove();
}
filtersOf(logForm, 'logs', logParams, loadLogs);
$('older').addEventListener('click', () => {
  const p = logParams();
  p.set('before', String(logs.next));
  location.hash = hashOf('logs', p);
});
$('newer').addEventListener('click', () => { location.hash = hashOf('logs', logParams()); });

// ---- live ----
let source;
let paused = false;
// The newest record id the stream named; null until it names one.
let lastId = null;
let refreshing = false;
let again = false;
function liveState(state, words) {
  $('live').dataset.state = state;
  $('live-state').textContent = words;
}
function follow() {
  if (paused) return;
  source = new EventSource('/api/events');
  source.onopen = () => liveState('live', 'live');
  source.onmessage = (e) => {
    const newest = JSON.parse(e.data).lastId;
    const changed = lastId !== null && newest !== lastId;
    lastId = newest;
    if (changed) refresh();
  };
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) { liveState('reconnecting', 'reconnecting…'); return; }
    // Refused (too many pages follow this receiver) or gone: try again in a while.
    liveState('reconnecting', 'not live: retrying');
    source = undefined;
    setTimeout(follow, 5000);
  };
}
async function refresh() {
  if (refreshing) { again = true; return; }
  refreshing = true;
  try {
    if (current.view === 'overview') await showOverview(current.params);
    else if (current.view === 'traces') await loadTraces(current.params);
    else if (current.view === 'trace') await showTrace(current.id, true);
    else if (current.view === 'logs') await followLogs();
  } catch (error) { showError(error); }
  refreshing = false;
  if (again) { again = false; refresh(); }
}
$('pause').addEventListener('click', () => {
  paused = !paused;
  $('pause').setAttribute('aria-pressed', String(paused));
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  if (paused) { if (source) source.close(); source = undefined; liveState('paused', 'paused'); }
  else follow();
});

render(false);
follow();
`;

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>threadline dev</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the view</a>
<header class="top">
  <span class="brand">threadline dev</span>
  <nav class="tabs" aria-label="views">
    <a href="#overview" data-view="overview">Overview</a>
    <a href="#traces" data-view="traces">Traces</a>
    <a href="#logs" data-view="logs">Logs</a>
  </nav>
  <div class="live" id="live" data-state="connecting">
    <span class="dot" aria-hidden="true"></span>
    <span id="live-state" role="status">connecting…</span>
    <button type="button" id="pause" aria-pressed="false">Pause</button>
  </div>
</header>
<main id="main">
  <p id="problem" class="empty bad-text" role="alert" hidden></p>
  <section id="view-overview" aria-labelledby="overview-title" hidden>
    <div class="bar">
      <h1 id="overview-title" tabindex="-1">Overview</h1>
      <nav class="seg" id="windows" aria-label="window"></nav>
    </div>
    <p class="note"><span id="ov-head" data-figure="head"></span><br><span id="ov-at"></span></p>
    <div id="ov-services"></div>
  </section>
  <section id="view-traces" aria-labelledby="traces-title" hidden>
    <div class="bar"><h1 id="traces-title" tabindex="-1">Traces</h1><span class="muted" id="trace-count"></span></div>
    <form class="filters" id="trace-filters" role="search" aria-label="filter traces">
      <select name="service" aria-label="service"><option value="">all services</option></select>
      <select name="method" aria-label="method"><option value="">any method</option></select>
      <input name="route" list="routes" placeholder="route" aria-label="route" autocomplete="off" size="14">
      <datalist id="routes"></datalist>
      <select name="status" aria-label="status">
        <option value="">any status</option><option value="2xx">2xx</option><option value="3xx">3xx</option><option value="4xx">4xx</option><option value="5xx">5xx</option>
      </select>
      <select name="severity" aria-label="level">
        <option value="">any level</option><option value="13">warn and above</option><option value="17">errors</option>
      </select>
      <select name="version" aria-label="deploy version"><option value="">all versions</option></select>
      <select name="time" aria-label="time"></select>
      <input name="q" type="search" placeholder="text in a record" aria-label="text">
      <label><input type="checkbox" name="errorsFirst" checked> errors first</label>
    </form>
    <div class="list" id="trace-list"></div>
  </section>
  <section id="view-trace" aria-labelledby="trace-title" hidden>
    <div class="bar">
      <a href="#traces" id="back">← Traces</a>
      <h1 id="trace-title" tabindex="-1">Trace</h1>
    </div>
    <div class="card">
      <div class="trace-id"><code id="trace-id"></code><button type="button" id="copy">Copy trace id</button><span id="copied" role="status" class="muted"></span><span id="runbooks" class="trace-id"></span></div>
      <p class="note" id="trace-summary"></p>
      <h3>Hops</h3>
      <div id="waterfall"></div>
    </div>
    <div class="card">
      <h3>Records, in time order</h3>
      <p class="note" id="records-note"></p>
      <div class="records" id="trace-records"></div>
    </div>
  </section>
  <section id="view-logs" aria-labelledby="logs-title" hidden>
    <div class="bar"><h1 id="logs-title" tabindex="-1">Logs</h1><span class="muted" id="log-count"></span><span id="fresh-note" class="muted" role="status"></span></div>
    <form class="filters" id="log-filters" role="search" aria-label="filter logs">
      <select name="service" aria-label="service"><option value="">all services</option></select>
      <select name="severity" aria-label="level">
        <option value="">any level</option><option value="5">debug and above</option><option value="9">info and above</option><option value="13">warn and above</option><option value="17">errors</option>
      </select>
      <input name="q" type="search" placeholder="text, or a trace id" aria-label="text">
    </form>
    <div class="card"><div class="records" id="log-list"></div></div>
    <div class="pager"><button type="button" id="newer" hidden>Newest</button><button type="button" id="older" hidden>Older</button></div>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
