// The `threadline dev` store at scale: fills a store with --records records
// (default 1 million: requests of 4 services over 12 routes, job and cron
// lines, handler lines, spread over the last 24 hours (--hours), the newest version of
// each service deployed 2 hours ago), then times each query the page and the
// CLI make (median and slowest of --repeat runs). With --compare <dist>, the
// first --compare-records records are also stored by the @threadline/dev build
// in that folder (its dist/index.mjs), alternating batches, to show what
// keeping the overview's figures costs when records arrive.
// Usage: pnpm bench:dev-store [-- --records 1000000 --repeat 20 --compare /tmp/ab-base/packages/dev/dist]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type ReceivedRecord, RecordStore, traceHops } from '@threadline/dev';
import { arg, args, median } from './lib.js';

const RECORDS = arg('records', 1_000_000);
const REPEAT = arg('repeat', 20);
const BATCH = 2000;
const COMPARE_RECORDS = arg('compare-records', 200_000);
const compareAt = args.indexOf('--compare');
const compareDist = compareAt >= 0 ? args[compareAt + 1] : undefined;

const NOW = Date.now();
/** How long the records are spread over, before now (`--hours`). */
const SPAN_MS = arg('hours', 24) * 3_600_000;
const DEPLOYED_MS = NOW - 2 * 3_600_000;
const SERVICES = ['orders', 'inventory', 'payments', 'worker'];
const ROUTES = ['/orders/:id', '/checkout', '/cart', '/search', '/items/:sku', '/health'].flatMap(
  (r) => [
    ['GET', r],
    ['POST', r],
  ],
);

/** A deterministic pseudo-random number in [0, 1) (mulberry32). */
let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const hex = (width: number) => {
  let s = '';
  while (s.length < width)
    s += Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, width);
};

function makeRecord(i: number): ReceivedRecord {
  const at = NOW - SPAN_MS + Math.floor((i / RECORDS) * SPAN_MS);
  const service = SERVICES[i % SERVICES.length] as string;
  const version = at >= DEPLOYED_MS ? '1.5.0' : '1.4.9';
  const resource = {
    'service.name': service,
    'service.version': version,
    'service.instance.id': `${service}-${version}`,
    'vcs.ref.head.revision': version === '1.5.0' ? 'b'.repeat(40) : 'a'.repeat(40),
    'threadline.owner': `team-${service}`,
  };
  const kind = random();
  let body = 'handled';
  let severityNumber = 9;
  let attributes: Record<string, unknown> = { 'tenant.id': `t-${i % 97}` };
  if (kind < 0.45) {
    const [method, route] = ROUTES[Math.floor(random() * ROUTES.length)] as string[];
    const status =
      random() < (version === '1.5.0' ? 0.05 : 0.01) ? 503 : random() < 0.03 ? 404 : 200;
    body = 'request completed';
    severityNumber = status >= 500 ? 17 : status >= 400 ? 13 : 9;
    attributes = {
      'http.request.method': method,
      'http.route': route,
      'http.response.status_code': status,
      'threadline.duration_ms': Math.round(Math.exp(random() * 7) * 100) / 100,
    };
  } else if (kind < 0.55) {
    const events = ['job started', 'job completed', 'job failed'];
    body = events[Math.floor(random() * 3)] as string;
    severityNumber = body === 'job failed' ? 17 : 9;
    attributes = {
      'messaging.destination.name': `queue-${i % 3}`,
      'messaging.message.id': String(i),
      'threadline.job.wait_ms': Math.floor(random() * 500),
      'threadline.job.will_retry': random() < 0.5,
    };
  } else if (kind < 0.56) {
    body = random() < 0.2 ? 'cron run failed' : 'cron run completed';
    severityNumber = body === 'cron run failed' ? 17 : 9;
    attributes = {
      'threadline.job.name': `cron-${i % 5}`,
      'threadline.cron.run_id': String(i),
      'threadline.cron.lag_ms': Math.floor(random() * 100),
    };
  }
  return {
    resource,
    scope: { name: 'threadline' },
    timeUnixNano: `${at}000000`,
    observedTimeUnixNano: '0',
    severityNumber,
    severityText: severityNumber >= 17 ? 'ERROR' : severityNumber >= 13 ? 'WARN' : 'INFO',
    body,
    attributes,
    traceId: hex(32),
    spanId: hex(16),
    flags: 1,
    eventName: '',
    droppedAttributesCount: 0,
  };
}

interface Store {
  add(records: readonly ReceivedRecord[]): unknown;
  close(): void;
}

const dir = mkdtempSync(join(tmpdir(), 'threadline-dev-store-'));
try {
  const store = new RecordStore(join(dir, 'dev.sqlite'), { maxRecords: RECORDS + 1 });
  let other: Store | undefined;
  if (compareDist) {
    const mod = (await import(pathToFileURL(join(compareDist, 'index.mjs')).href)) as {
      RecordStore: new (path: string) => Store;
    };
    other = new mod.RecordStore(join(dir, 'other.sqlite'));
  }
  const ingest = { this: 0, other: 0 };
  const started = performance.now();
  for (let i = 0; i < RECORDS; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, RECORDS - i) }, (_, j) => makeRecord(i + j));
    if (other && i < COMPARE_RECORDS) {
      // Alternate which goes first, so that neither gets the warmer cache.
      const order: (keyof typeof ingest)[] =
        (i / BATCH) % 2 === 0 ? ['this', 'other'] : ['other', 'this'];
      for (const which of order) {
        const t = performance.now();
        (which === 'this' ? store : other).add(batch);
        ingest[which] += performance.now() - t;
      }
    } else {
      store.add(batch);
    }
  }
  const filled = performance.now() - started;
  other?.close();
  console.log(
    `# threadline dev store: ${store.count()} records, ${(statSync(join(dir, 'dev.sqlite')).size / 2 ** 20).toFixed(0)} MiB, stored in ${(filled / 1000).toFixed(1)} s (${Math.round(RECORDS / (filled / 1000))} records/s with record making)`,
  );
  if (other) {
    const n = Math.min(COMPARE_RECORDS, RECORDS);
    console.log(
      `\nstoring the first ${n} records, alternating batches of ${BATCH}: this build ${Math.round(n / (ingest.this / 1000))} records/s, ${compareDist} ${Math.round(n / (ingest.other / 1000))} records/s (ratio ${(ingest.other / ingest.this).toFixed(2)})\n`,
    );
  }
  const someTrace = store.errors(1)[0]?.traceId ?? '';
  const queries: [string, () => unknown][] = [
    ['overview, last 5 min', () => store.overview({ windowMs: 5 * 60_000 })],
    ['overview, last 1 h', () => store.overview({ windowMs: 3_600_000 })],
    ['overview, last 6 h', () => store.overview({ windowMs: 6 * 3_600_000 })],
    ['overview, everything', () => store.overview()],
    ['traces (errors first)', () => store.traces()],
    [
      'traces of one service with text',
      () => store.traces({ service: 'orders', text: 'checkout' }),
    ],
    ['traces of one route', () => store.traces({ route: '/checkout' })],
    ['traces answered 5xx', () => store.traces({ statusClass: 5 })],
    [
      'traces of one route answered 5xx, last hour (from the overview)',
      () =>
        store.traces({
          route: '/checkout',
          method: 'POST',
          statusClass: 5,
          fromMs: NOW - 3_600_000,
          toMs: NOW,
        }),
    ],
    [
      'traces of one hour, 12 h ago',
      () => store.traces({ fromMs: NOW - 13 * 3_600_000, toMs: NOW - 12 * 3_600_000 }),
    ],
    ['traces, newest first', () => store.traces({ errorsFirst: false })],
    ['errors', () => store.errors(20)],
    ['logs, newest', () => store.logs()],
    ['logs of one service, errors', () => store.logs({ service: 'payments', minSeverity: 17 })],
    ['logs with text found nowhere', () => store.logs({ text: 'no such text' })],
    ['logs, a page half the store back', () => store.logs({ beforeId: Math.floor(RECORDS / 2) })],
    ['logs after the newest (live)', () => store.logs({ afterId: store.lastId() })],
    ['routes', () => store.routes()],
    ['recent records', () => store.recent({ limit: 100 })],
    ['one trace', () => store.trace(someTrace)],
    ['one trace with its hops', () => traceHops(store.trace(someTrace))],
    ['facets', () => store.facets()],
  ];
  console.log(`| query (${REPEAT} runs) | median ms | slowest ms |\n|---|---:|---:|`);
  const results: Record<string, { median: number; slowest: number }> = {};
  for (const [name, query] of queries) {
    const times: number[] = [];
    for (let r = 0; r < REPEAT; r++) {
      const t = performance.now();
      query();
      times.push(performance.now() - t);
    }
    results[name] = { median: median(times), slowest: Math.max(...times) };
    console.log(`| ${name} | ${median(times).toFixed(1)} | ${Math.max(...times).toFixed(1)} |`);
  }
  const records = store.count();
  store.close();
  console.log(
    `BENCH_JSON ${JSON.stringify({ bench: 'dev-store', records, repeat: REPEAT, queries: results })}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
