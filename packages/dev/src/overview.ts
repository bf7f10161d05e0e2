/**
 * The incident overview: is each service up, is it slow, are its jobs
 * failing, did the last deploy change anything, who owns it. Figures are kept
 * as records arrive (per minute and per hour, per service and route, queue,
 * version), so that reading them costs the same on a store of a thousand
 * records or a million; `threadline status` and the page's overview read the
 * same {@link Overview}.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { CronEvent, Fact, JobEvent, ResourceFacts } from './facts.js';
import { addTo, type Histogram, merge, percentiles } from './histogram.js';
import type { RecordRow } from './rows.js';
import { preparedOnce } from './statements.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const SPANS = [MINUTE_MS, HOUR_MS] as const;

export const OVERVIEW_SCHEMA = `
CREATE TABLE IF NOT EXISTS request_stats (
  span INTEGER NOT NULL, start_ms INTEGER NOT NULL, service TEXT NOT NULL,
  version TEXT NOT NULL, route TEXT NOT NULL, method TEXT NOT NULL,
  count INTEGER NOT NULL, errors INTEGER NOT NULL, client_errors INTEGER NOT NULL,
  hist TEXT NOT NULL,
  PRIMARY KEY (span, service, start_ms, version, route, method)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_stats (
  span INTEGER NOT NULL, start_ms INTEGER NOT NULL, service TEXT NOT NULL, queue TEXT NOT NULL,
  started INTEGER NOT NULL, completed INTEGER NOT NULL, failed INTEGER NOT NULL,
  retried INTEGER NOT NULL, postponed INTEGER NOT NULL, stalled INTEGER NOT NULL,
  wait_hist TEXT NOT NULL,
  PRIMARY KEY (span, service, start_ms, queue)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cron_runs (
  id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, service TEXT NOT NULL, name TEXT NOT NULL,
  event TEXT NOT NULL, lag_ms REAL, failures INTEGER, trace_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cron_runs_name ON cron_runs (service, name, id);
CREATE TABLE IF NOT EXISTS starts (
  time_ms INTEGER NOT NULL, service TEXT NOT NULL, instance TEXT NOT NULL, version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS starts_service ON starts (service, time_ms);
CREATE TABLE IF NOT EXISTS services (
  service TEXT PRIMARY KEY, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
  owner TEXT NOT NULL, runbook TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
  service TEXT NOT NULL, version TEXT NOT NULL, commit_id TEXT NOT NULL,
  first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
  PRIMARY KEY (service, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS instances (
  service TEXT NOT NULL, instance TEXT NOT NULL, version TEXT NOT NULL,
  first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
  PRIMARY KEY (service, instance)
) WITHOUT ROWID;
`;

/** Request figures of a route, a version or a whole service. */
export interface RequestFigures {
  count: number;
  /** Requests a second over the time the window covers. */
  ratePerSecond: number;
  /** 5xx answers. */
  errors: number;
  /** 4xx answers. */
  clientErrors: number;
  /** 5xx share of the requests, 0–1. */
  errorRate: number;
  /** Latency percentiles in ms (three significant digits, rounded up). */
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

export interface RouteFigures extends RequestFigures {
  method: string;
  /** `http.route`; '' for requests no route matched. */
  route: string;
}

/**
 * A queue's job lines by what they say: `started`, `completed`, `failed` (for
 * good, or with no retry stated), `retried` (failed, with another attempt to
 * come), `postponed`, `stalled`.
 */
export type JobCounts = Record<JobEvent, number>;

/** The job events, in the order the store's columns hold them. */
const JOB_EVENTS: readonly JobEvent[] = [
  'started',
  'completed',
  'failed',
  'retried',
  'postponed',
  'stalled',
];

export interface QueueFigures extends JobCounts {
  queue: string;
  /** p95 of the wait before an attempt started, ms. */
  waitP95: number | undefined;
}

export interface CronFigures {
  name: string;
  /** When the newest run started, ran or was skipped. */
  lastRunMs: number;
  /** `running` while its newest line is `cron run started`. */
  outcome: 'running' | 'completed' | 'failed' | 'skipped';
  lagMs: number | undefined;
  /** Failed runs in a row, up to the newest. */
  consecutiveFailures: number;
}

/** The newest version of a service against the one before it. */
export interface DeployFigures {
  version: string;
  commit: string;
  /** When the version was first seen. */
  sinceMs: number;
  after: RequestFigures;
  before: (RequestFigures & { version: string; commit: string }) | undefined;
  /** The change in plain words: `5xx 0.2% → 7.9%, p95 120 ms → 340 ms since 1.4.1 (commit 1f0c2e9)`. */
  summary: string;
}

export interface ServiceOverview {
  service: string;
  owner: string;
  runbook: string;
  /** When its newest record arrived (its time). */
  lastSeenMs: number;
  /** `service started` records in the window, and those of them after the service's first start. */
  starts: number;
  restarts: number;
  /** Instances seen in the window, newest first. */
  instances: { instance: string; version: string; lastSeenMs: number }[];
  requests: RequestFigures;
  /** Slowest first (by p95). */
  routes: RouteFigures[];
  queues: QueueFigures[];
  cron: CronFigures[];
  deploy: DeployFigures | undefined;
}

export interface Overview {
  /** The end of the window, ms since the epoch. */
  now: number;
  /** The window's length; undefined: since the store's first record. */
  windowMs: number | undefined;
  /** The window's start as the figures count it: the start of its first minute. */
  fromMs: number;
  services: ServiceOverview[];
}

interface RequestCell {
  count: number;
  errors: number;
  clientErrors: number;
  hist: Histogram;
}

interface JobCell extends JobCounts {
  waitHist: Histogram;
}

/** Adds a stored row's (or a cell's) job counts and wait histogram to `cell`. */
function addJobs(cell: JobCell, row: Record<string, unknown>, waitHist: Histogram): void {
  for (const event of JOB_EVENTS) cell[event] += num(row[event]);
  merge(cell.waitHist, waitHist);
}

const emptyJobCell = (): JobCell => ({
  started: 0,
  completed: 0,
  failed: 0,
  retried: 0,
  postponed: 0,
  stalled: 0,
  waitHist: {},
});

const num = (v: unknown): number => Number(v ?? 0);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The entry of `key` in `map`, made when first seen, its first and last times widened to `timeMs`. */
function sighted<T extends { first: number; last: number }>(
  map: Map<string, T>,
  key: string,
  timeMs: number,
  make: () => T,
): T {
  let entry = map.get(key);
  if (entry === undefined) {
    entry = make();
    map.set(key, entry);
  }
  entry.first = Math.min(entry.first, timeMs);
  entry.last = Math.max(entry.last, timeMs);
  return entry;
}

/** A batch's facts, added up before they are written. */
class Batch {
  readonly requests = new Map<string, { key: unknown[]; cell: RequestCell }>();
  readonly jobs = new Map<string, { key: unknown[]; cell: JobCell }>();
  readonly cron: unknown[][] = [];
  readonly starts: unknown[][] = [];
  readonly services = new Map<
    string,
    { first: number; last: number; owner: string; runbook: string }
  >();
  readonly versions = new Map<
    string,
    { key: [string, string]; commit: string; first: number; last: number }
  >();
  readonly instances = new Map<
    string,
    { key: [string, string]; version: string; first: number; last: number }
  >();

  add(row: RecordRow): void {
    const timeMs = row[1];
    const service = row[12];
    const version = row[13];
    const [instance, commit, owner, runbook] = row[17] as ResourceFacts;
    const s = sighted(this.services, service, timeMs, () => ({
      first: timeMs,
      last: timeMs,
      owner,
      runbook,
    }));
    if (owner) s.owner = owner;
    if (runbook) s.runbook = runbook;
    const v = sighted(this.versions, `${service}\u0000${version}`, timeMs, () => ({
      key: [service, version],
      commit,
      first: timeMs,
      last: timeMs,
    }));
    if (commit) v.commit = commit;
    if (instance) {
      const key = `${service}\u0000${instance}`;
      // An instance's version is the one of its newest record.
      const known = this.instances.get(key);
      if (known !== undefined && timeMs >= known.last) known.version = version;
      sighted(this.instances, key, timeMs, () => ({
        key: [service, instance],
        version,
        first: timeMs,
        last: timeMs,
      }));
    }
    const fact = row[16] as Fact | null;
    if (fact === null) return;
    switch (fact.kind) {
      case 'request':
        for (const span of SPANS) {
          const key = [span, timeMs - (timeMs % span), service, version, fact.route, fact.method];
          const id = key.join('\u0000');
          let entry = this.requests.get(id);
          if (entry === undefined) {
            entry = { key, cell: { count: 0, errors: 0, clientErrors: 0, hist: {} } };
            this.requests.set(id, entry);
          }
          entry.cell.count++;
          if (fact.status >= 500) entry.cell.errors++;
          else if (fact.status >= 400) entry.cell.clientErrors++;
          addTo(entry.cell.hist, fact.ms);
        }
        break;
      case 'job':
        for (const span of SPANS) {
          const key = [span, timeMs - (timeMs % span), service, fact.queue];
          const id = key.join('\u0000');
          let entry = this.jobs.get(id);
          if (entry === undefined) {
            entry = { key, cell: emptyJobCell() };
            this.jobs.set(id, entry);
          }
          entry.cell[fact.event]++;
          if (fact.waitMs !== undefined) addTo(entry.cell.waitHist, fact.waitMs);
        }
        break;
      case 'cron':
        this.cron.push([
          timeMs,
          service,
          fact.name,
          fact.event,
          fact.lagMs ?? null,
          fact.failures ?? null,
          row[8],
        ]);
        break;
      case 'start':
        this.starts.push([timeMs, service, instance, version]);
        break;
    }
  }
}

/** Counts of requests and a latency histogram, as figures over `seconds`. */
function figures(cell: RequestCell, seconds: number): RequestFigures {
  const [p50, p95, p99] = percentiles(cell.hist, [50, 95, 99]);
  return {
    count: cell.count,
    ratePerSecond: cell.count / Math.max(seconds, 1),
    errors: cell.errors,
    clientErrors: cell.clientErrors,
    errorRate: cell.count === 0 ? 0 : cell.errors / cell.count,
    p50,
    p95,
    p99,
  };
}

function addCell(
  into: RequestCell,
  count: number,
  errors: number,
  client: number,
  hist: Histogram,
) {
  into.count += count;
  into.errors += errors;
  into.clientErrors += client;
  merge(into.hist, hist);
}

const emptyRequestCell = (): RequestCell => ({ count: 0, errors: 0, clientErrors: 0, hist: {} });

/** `0.2%`, one decimal. */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** `812 ms`, `1.23 s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms >= 1000 ? `${Number((ms / 1000).toPrecision(3))} s` : `${ms} ms`;
}

function deploySummary(d: Omit<DeployFigures, 'summary'>): string {
  const since = `since ${d.version}${d.commit ? ` (commit ${d.commit.slice(0, 7)})` : ''}`;
  if (d.before === undefined) return `first version seen: ${d.version}`;
  if (d.after.count === 0) return `no requests ${since} yet`;
  return `5xx ${percent(d.before.errorRate)} → ${percent(d.after.errorRate)}, p95 ${duration(d.before.p95)} → ${duration(d.after.p95)} ${since}`;
}

/** The overview's tables in a store's database: kept as records arrive, read by {@link Aggregates.overview}. */
export class Aggregates {
  private readonly sql: (text: string) => StatementSync;

  constructor(db: DatabaseSync) {
    this.sql = preparedOnce(db);
  }

  /** Whether the store has the overview's tables (a store made by an older version, opened read-only, has not). */
  private hasTables(): boolean {
    return (
      this.sql(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'services'`).get() !==
      undefined
    );
  }

  /** Adds the facts of stored rows; call inside the transaction that stores them. */
  record(rows: readonly RecordRow[]): void {
    const batch = new Batch();
    for (const row of rows) batch.add(row);
    const getRequest = this.sql(
      `SELECT count, errors, client_errors, hist FROM request_stats
       WHERE span = ? AND start_ms = ? AND service = ? AND version = ? AND route = ? AND method = ?`,
    );
    const putRequest = this.sql(
      `INSERT OR REPLACE INTO request_stats
       (span, start_ms, service, version, route, method, count, errors, client_errors, hist)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const { key, cell } of batch.requests.values()) {
      const old = getRequest.get(...(key as never[])) as Record<string, unknown> | undefined;
      if (old)
        addCell(
          cell,
          num(old.count),
          num(old.errors),
          num(old.client_errors),
          JSON.parse(text(old.hist)),
        );
      putRequest.run(
        ...(key as never[]),
        cell.count,
        cell.errors,
        cell.clientErrors,
        JSON.stringify(cell.hist),
      );
    }
    const getJob = this.sql(
      `SELECT * FROM job_stats WHERE span = ? AND start_ms = ? AND service = ? AND queue = ?`,
    );
    const putJob = this.sql(
      `INSERT OR REPLACE INTO job_stats (span, start_ms, service, queue, started, completed, failed,
       retried, postponed, stalled, wait_hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const { key, cell } of batch.jobs.values()) {
      const old = getJob.get(...(key as never[])) as Record<string, unknown> | undefined;
      if (old) addJobs(cell, old, JSON.parse(text(old.wait_hist)));
      putJob.run(
        ...(key as never[]),
        ...JOB_EVENTS.map((event) => cell[event]),
        JSON.stringify(cell.waitHist),
      );
    }
    const putCron = this.sql(
      `INSERT INTO cron_runs (time_ms, service, name, event, lag_ms, failures, trace_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const values of batch.cron) putCron.run(...(values as never[]));
    const putStart = this.sql(
      'INSERT INTO starts (time_ms, service, instance, version) VALUES (?, ?, ?, ?)',
    );
    for (const values of batch.starts) putStart.run(...(values as never[]));
    const putService = this.sql(
      `INSERT INTO services (service, first_ms, last_ms, owner, runbook) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (service) DO UPDATE SET first_ms = MIN(first_ms, ?2), last_ms = MAX(last_ms, ?3),
         owner = CASE WHEN ?4 <> '' THEN ?4 ELSE owner END,
         runbook = CASE WHEN ?5 <> '' THEN ?5 ELSE runbook END`,
    );
    for (const [service, s] of batch.services)
      putService.run(service, s.first, s.last, s.owner, s.runbook);
    const putVersion = this.sql(
      `INSERT INTO versions (service, version, commit_id, first_ms, last_ms) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (service, version) DO UPDATE SET first_ms = MIN(first_ms, ?4),
         last_ms = MAX(last_ms, ?5), commit_id = CASE WHEN ?3 <> '' THEN ?3 ELSE commit_id END`,
    );
    for (const v of batch.versions.values()) putVersion.run(...v.key, v.commit, v.first, v.last);
    const putInstance = this.sql(
      `INSERT INTO instances (service, instance, version, first_ms, last_ms) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (service, instance) DO UPDATE SET first_ms = MIN(first_ms, ?4),
         version = CASE WHEN ?5 >= last_ms THEN ?3 ELSE version END, last_ms = MAX(last_ms, ?5)`,
    );
    for (const i of batch.instances.values()) putInstance.run(...i.key, i.version, i.first, i.last);
  }

  /** Forgets figures of minutes and hours that end before `beforeMs` (records no longer stored). */
  forget(beforeMs: number): void {
    for (const table of ['request_stats', 'job_stats']) {
      this.sql(`DELETE FROM ${table} WHERE start_ms + span <= ?`).run(beforeMs);
    }
    this.sql('DELETE FROM cron_runs WHERE time_ms < ?').run(beforeMs);
    this.sql('DELETE FROM starts WHERE time_ms < ?').run(beforeMs);
  }

  /**
   * The overview over the `windowMs` before `now` (undefined: everything
   * stored). The window starts at the start of a minute.
   */
  overview(options: { now?: number; windowMs?: number } = {}): Overview {
    const now = options.now ?? Date.now();
    const { windowMs } = options;
    if (!this.hasTables()) return { now, windowMs, fromMs: now, services: [] };
    // Services first seen after the window's end are not in it (`--at` in the past).
    const services = this.sql('SELECT * FROM services WHERE first_ms <= ? ORDER BY service').all(
      now,
    ) as Record<string, unknown>[];
    const since =
      windowMs !== undefined
        ? now - windowMs
        : Math.min(now, ...services.map((s) => num(s.first_ms)));
    const fromMs = since - (since % MINUTE_MS);
    return {
      now,
      windowMs,
      fromMs,
      services: services.map((s) => this.service(s, fromMs, now)),
    };
  }

  private service(s: Record<string, unknown>, fromMs: number, now: number): ServiceOverview {
    const service = text(s.service);
    const firstMs = num(s.first_ms);
    const seconds = (now - Math.max(fromMs, firstMs)) / 1000;

    const total = emptyRequestCell();
    const byRoute = new Map<string, { method: string; route: string; cell: RequestCell }>();
    const rows = this.cells(
      'request_stats',
      'route, method, count, errors, client_errors, hist',
      service,
      fromMs,
      now,
    );
    for (const r of rows) {
      const method = text(r.method);
      const route = text(r.route);
      const id = `${method} ${route}`;
      let entry = byRoute.get(id);
      if (entry === undefined) {
        entry = { method, route, cell: emptyRequestCell() };
        byRoute.set(id, entry);
      }
      const hist = JSON.parse(text(r.hist)) as Histogram;
      addCell(entry.cell, num(r.count), num(r.errors), num(r.client_errors), hist);
      addCell(total, num(r.count), num(r.errors), num(r.client_errors), hist);
    }
    const routes = [...byRoute.values()]
      .map(({ method, route, cell }) => ({ method, route, ...figures(cell, seconds) }))
      .sort((a, b) => (b.p95 ?? 0) - (a.p95 ?? 0) || b.count - a.count);

    const queues = new Map<string, JobCell>();
    const jobRows = this.cells('job_stats', '*', service, fromMs, now);
    for (const r of jobRows) {
      const queue = text(r.queue);
      let cell = queues.get(queue);
      if (cell === undefined) {
        cell = emptyJobCell();
        queues.set(queue, cell);
      }
      addJobs(cell, r, JSON.parse(text(r.wait_hist)));
    }

    const startRows = this.sql(
      'SELECT time_ms FROM starts WHERE service = ? AND time_ms >= ? AND time_ms <= ? ORDER BY time_ms',
    ).all(service, fromMs, now) as Record<string, unknown>[];
    const first = this.sql('SELECT MIN(time_ms) AS t FROM starts WHERE service = ?').get(service) as
      | Record<string, unknown>
      | undefined;
    const firstStart = first?.t === null ? undefined : num(first?.t);
    const restarts = startRows.filter((r) => num(r.time_ms) !== firstStart).length;

    const instances = (
      this.sql(
        `SELECT instance, version, MIN(last_ms, ?3) AS last_ms FROM instances
         WHERE service = ?1 AND last_ms >= ?2 AND first_ms <= ?3 ORDER BY last_ms DESC`,
      ).all(service, fromMs, now) as Record<string, unknown>[]
    ).map((r) => ({
      instance: text(r.instance),
      version: text(r.version),
      lastSeenMs: num(r.last_ms),
    }));

    return {
      service,
      owner: text(s.owner),
      runbook: text(s.runbook),
      lastSeenMs: this.lastSeen(service, num(s.last_ms), now),
      starts: startRows.length,
      restarts,
      instances,
      requests: figures(total, seconds),
      routes,
      queues: [...queues].map(([queue, { waitHist, ...counts }]) => ({
        queue,
        ...counts,
        waitP95: percentiles(waitHist, [95])[0],
      })),
      cron: this.cron(service),
      deploy: this.deploy(service, now),
    };
  }

  /**
   * A service's cells of `table` from the minute at `fromMs` to `now`: the
   * whole hours in between from the hour cells, the minutes around them
   * from the minute cells, so that a long window reads few rows and every
   * window is exact to the minute. An hour older than the oldest minute
   * kept may hold minutes since forgotten (with their records): it is read
   * from what is left of its minutes instead.
   */
  private cells(
    table: 'request_stats' | 'job_stats',
    columns: string,
    service: string,
    fromMs: number,
    now: number,
    version?: string,
  ): Record<string, unknown>[] {
    const oldest = this.sql(
      `SELECT MIN(start_ms) AS t FROM ${table} WHERE span = ${MINUTE_MS} AND service = ?`,
    ).get(service) as { t: number | null };
    // One version's cells only, when asked (request_stats has the column).
    const ofVersion = version === undefined ? '' : ' AND version = ?';
    const more = version === undefined ? [] : [version];
    const firstHour = Math.ceil(Math.max(fromMs, Number(oldest.t ?? fromMs)) / HOUR_MS) * HOUR_MS;
    const lastHour = now - (now % HOUR_MS);
    const minutes = this.sql(
      `SELECT ${columns} FROM ${table} WHERE span = ${MINUTE_MS} AND service = ? AND start_ms >= ? AND start_ms < ?${ofVersion}`,
    );
    if (firstHour >= lastHour) {
      return minutes.all(service, fromMs, now, ...more) as Record<string, unknown>[];
    }
    return [
      ...minutes.all(service, fromMs, firstHour, ...more),
      ...this.sql(
        `SELECT ${columns} FROM ${table} WHERE span = ${HOUR_MS} AND service = ? AND start_ms >= ? AND start_ms < ?${ofVersion}`,
      ).all(service, firstHour, lastHour, ...more),
      ...minutes.all(service, lastHour, now, ...more),
    ] as Record<string, unknown>[];
  }

  private cron(service: string): CronFigures[] {
    const rows = this.sql(
      `SELECT c.* FROM cron_runs c JOIN (SELECT name, MAX(id) AS id FROM cron_runs
         WHERE service = ?1 GROUP BY name) n ON c.id = n.id ORDER BY c.name`,
    ).all(service) as Record<string, unknown>[];
    return rows.map((r) => {
      const event = text(r.event) as CronEvent;
      let consecutiveFailures = 0;
      if (event === 'failed') consecutiveFailures = num(r.failures) || 1;
      else if (event === 'started' || event === 'skipped') {
        // The run before the newest line tells whether failures are running on.
        const last = this.sql(
          `SELECT event, failures FROM cron_runs WHERE service = ? AND name = ?
             AND event IN ('completed', 'failed') ORDER BY id DESC LIMIT 1`,
        ).get(service, text(r.name)) as Record<string, unknown> | undefined;
        if (last?.event === 'failed') consecutiveFailures = num(last.failures) || 1;
      }
      return {
        name: text(r.name),
        lastRunMs: num(r.time_ms),
        outcome: event === 'started' ? 'running' : event,
        lagMs: r.lag_ms === null ? undefined : num(r.lag_ms),
        consecutiveFailures,
      };
    });
  }

  /** The time of the service's newest record up to `now` (a window ending in the past). */
  private lastSeen(service: string, lastMs: number, now: number): number {
    if (lastMs <= now) return lastMs;
    const row = this.sql(
      'SELECT MAX(time_ms) AS t FROM records WHERE service = ? AND time_ms <= ?',
    ).get(service, now) as { t: number | null } | undefined;
    return num(row?.t);
  }

  private deploy(service: string, now: number): DeployFigures | undefined {
    const versions = this.sql(
      `SELECT * FROM versions WHERE service = ? AND first_ms <= ?
       ORDER BY first_ms DESC, version DESC LIMIT 2`,
    ).all(service, now) as Record<string, unknown>[];
    const newest = versions[0];
    if (newest === undefined) return undefined;
    const of = (v: Record<string, unknown>) => {
      const cell = emptyRequestCell();
      const rows = this.cells(
        'request_stats',
        'count, errors, client_errors, hist',
        service,
        0,
        now,
        text(v.version),
      );
      for (const r of rows) {
        addCell(cell, num(r.count), num(r.errors), num(r.client_errors), JSON.parse(text(r.hist)));
      }
      const end = v === newest ? now : Math.min(num(v.last_ms), now);
      return figures(cell, (end - num(v.first_ms)) / 1000);
    };
    const previous = versions[1];
    const d = {
      version: text(newest.version),
      commit: text(newest.commit_id),
      sinceMs: num(newest.first_ms),
      after: of(newest),
      before:
        previous === undefined
          ? undefined
          : { version: text(previous.version), commit: text(previous.commit_id), ...of(previous) },
    };
    return { ...d, summary: deploySummary(d) };
  }
}
