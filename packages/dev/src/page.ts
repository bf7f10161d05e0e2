/**
 * The page `threadline dev` serves at `/`: recent traces (errors first) with
 * filters, and one trace's timeline across services, jobs and cron runs.
 * One file, no build step; every value from a log is put in the page as text
 * (`textContent`), never as HTML.
 */
import { MAX_INDENT_DEPTH, SEVERITY_NAMES } from './timeline.js';

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>threadline dev</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 0; display: flex; height: 100vh; color: #1d1d1f; }
  #list { width: 38%; border-right: 1px solid #ddd; overflow: auto; }
  #detail { flex: 1; overflow: auto; padding: 8px 12px; }
  form { display: flex; flex-wrap: wrap; gap: 4px; padding: 8px; border-bottom: 1px solid #ddd; position: sticky; top: 0; background: #fafafa; }
  form > * { font: inherit; }
  .trace { padding: 6px 8px; border-bottom: 1px solid #eee; cursor: pointer; }
  .trace:hover, .trace.selected { background: #eef4ff; }
  .trace .id { font-family: ui-monospace, monospace; font-size: 12px; }
  .error { color: #c0001a; }
  .warn { color: #9a5b00; }
  .row { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre; padding: 1px 0; }
  .span { color: #888; }
  .attrs { color: #555; }
  h1 { font-size: 14px; margin: 4px 0 8px; font-family: ui-monospace, monospace; }
  .empty { color: #888; padding: 8px; }
</style>
</head>
<body>
<div id="list">
  <form id="filters">
    <select name="service" aria-label="service"><option value="">all services</option></select>
    <select name="severity" aria-label="severity">
      <option value="0">any level</option><option value="13">warn and above</option><option value="17">errors</option>
    </select>
    <select name="version" aria-label="deploy version"><option value="">all versions</option></select>
    <input name="q" placeholder="text" aria-label="text">
  </form>
  <div id="traces"></div>
</div>
<div id="detail"><div class="empty">Pick a trace.</div></div>
<script>
const SHOWN = [['http.request.method','method'],['http.route','route'],['http.response.status_code','status'],
  ['messaging.destination.name','queue'],['messaging.message.id','job'],['threadline.job.attempt','attempt'],
  ['threadline.job.name','name'],['threadline.cron.run_id','run'],['threadline.duration_ms','ms'],
  ['exception.type','exception'],['exception.message','message']];
const form = document.getElementById('filters');
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const level = (n) => (n >= 17 ? 'error' : n >= 13 ? 'warn' : '');
// Values from logs are shown as text: strings as they are, anything else as JSON (a map may hold
// keys such as toString, so nothing of it is called).
const text = (v) => { if (typeof v === 'string') return v; try { return JSON.stringify(v) ?? String(v); } catch { return '?'; } };
const MAX_INDENT_DEPTH = ${MAX_INDENT_DEPTH};
const LEVELS = ${JSON.stringify(SEVERITY_NAMES)};
const time = (nanos) => new Date(Number(BigInt(nanos) / 1000000n)).toISOString().slice(11, 23);
let selected = new URLSearchParams(location.hash.slice(1)).get('trace') || '';
let facetsLoaded = false;

async function loadList() {
  const params = new URLSearchParams(new FormData(form));
  const data = await (await fetch('/api/traces?' + params)).json();
  if (!facetsLoaded) {
    facetsLoaded = true;
    for (const [name, values] of [['service', data.facets.services], ['version', data.facets.versions]]) {
      for (const v of values) form.elements[name].append(new Option(v, v));
    }
  }
  const list = document.getElementById('traces');
  list.replaceChildren();
  if (data.traces.length === 0) list.append(el('div', 'empty', 'No traces match.'));
  for (const t of data.traces) {
    const item = el('div', 'trace' + (t.traceId === selected ? ' selected' : ''));
    item.dataset.trace = t.traceId;
    const head = el('div', level(t.maxSeverity));
    head.append(el('span', 'id', t.traceId), document.createTextNode('  ' + time(t.startUnixNano)));
    item.append(head, el('div', '', t.services.join(', ') + ' · ' + t.records + ' records'));
    item.onclick = () => show(t.traceId);
    list.append(item);
  }
}

async function show(traceId) {
  selected = traceId;
  location.hash = 'trace=' + traceId;
  for (const item of document.querySelectorAll('.trace')) item.classList.toggle('selected', item.dataset.trace === traceId);
  const data = await (await fetch('/api/traces/' + traceId)).json();
  const detail = document.getElementById('detail');
  detail.replaceChildren(el('h1', '', 'trace ' + traceId));
  for (const r of data.records) {
    const row = el('div', 'row ' + level(r.severityNumber));
    row.dataset.service = r.service;
    const who = text(r.service) + (r.serviceVersion ? '@' + text(r.serviceVersion) : '');
    const body = text(r.body ?? '');
    const attrs = SHOWN.filter(([k]) => r.attributes[k] !== undefined).map(([k, s]) => s + '=' + text(r.attributes[k]).slice(0, 120)).join(' ');
    row.append(
      document.createTextNode(time(r.timeUnixNano) + ' ' + '  '.repeat(Math.min(r.depth, MAX_INDENT_DEPTH)) + who + ' '),
      el('span', 'span', '[' + r.spanId.slice(0, 8) + ']'),
      document.createTextNode(' ' + (r.severityText || LEVELS[Math.floor((r.severityNumber - 1) / 4)] || String(r.severityNumber)).padEnd(5) + ' ' + body + '  '),
      el('span', 'attrs', attrs),
    );
    detail.append(row);
  }
}

form.addEventListener('input', () => void loadList());
form.addEventListener('submit', (e) => e.preventDefault());
loadList().then(() => { if (selected) return show(selected); });
</script>
</body>
</html>
`;
