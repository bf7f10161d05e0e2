/**
 * One row per trace, kept as records arrive: what a person needs to choose a
 * trace from a list (when it began and ended, its services and versions, the
 * outermost request's service, method, route, status and duration, its first
 * error, how many job attempts it ran), and what the list is sorted and
 * filtered by, so that listing traces never groups the records table.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Fact } from './facts.js';
import type { RecordRow } from './rows.js';

export const TRACE_INDEX_SCHEMA = `
CREATE TABLE IF NOT EXISTS traces (
  trace_id TEXT PRIMARY KEY, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
  first_nano TEXT NOT NULL, last_id INTEGER NOT NULL, records INTEGER NOT NULL,
  max_severity INTEGER NOT NULL, services TEXT NOT NULL, versions TEXT NOT NULL,
  root_service TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL,
  status INTEGER, duration_ms REAL, first_error TEXT, first_error_id INTEGER,
  jobs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS traces_recent ON traces (last_id);
CREATE INDEX IF NOT EXISTS traces_failed ON traces (last_id) WHERE max_severity >= 17;
CREATE INDEX IF NOT EXISTS traces_route ON traces (route, last_ms) WHERE route <> '';
CREATE INDEX IF NOT EXISTS traces_status ON traces (status / 100, last_ms) WHERE status IS NOT NULL;
CREATE INDEX IF NOT EXISTS traces_time ON traces (last_ms);
`;

/** One line of the trace list. */
export interface TraceSummary {
  traceId: string;
  /** The first record's time, ns since the epoch as a decimal string. */
  startUnixNano: string;
  /** From the first record to the last, ms. */
  spanMs: number;
  maxSeverity: number;
  records: number;
  services: string[];
  versions: string[];
  /** The outermost request's (the longest `request completed` line), or the first record's service. */
  rootService: string;
  method: string;
  route: string;
  status: number | undefined;
  durationMs: number | undefined;
  /**
   * What the first ERROR (or worse) record says, cut to 200 characters: its
   * message, or for Threadline's `request failed`, `job failed` and
   * `cron run failed` lines, the exception's `type: message`.
   */
  firstError: string | undefined;
  /** Job attempts started in the trace, and in the traces started from it (link mode). */
  jobs: number;
}

/** A comma-separated set, merged; names are stored without commas. */
function mergeList(a: string, b: string): string {
  if (a === '') return b;
  if (b === '' || a === b) return a;
  const items = new Set(a.split(','));
  for (const item of b.split(',')) items.add(item);
  return [...items].sort().join(',');
}

const clean = (name: string) => name.replaceAll(',', ' ');
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The lines Threadline writes around an exception, which say less than the exception. */
const GENERIC_FAILURES = new Set(['request failed', 'job failed', 'cron run failed']);

/** What an error record says: its message, or the exception's type and message for a generic line. */
function errorText(row: RecordRow): string {
  const body = row[4] === null ? '' : (JSON.parse(row[4]) as unknown);
  const message = typeof body === 'string' ? body : JSON.stringify(body);
  if (!GENERIC_FAILURES.has(message)) return message;
  const attributes = JSON.parse(row[5]) as Record<string, unknown>;
  const type = text(attributes['exception.type']);
  return type ? `${type}: ${text(attributes['exception.message'])}` : message;
}

interface Pending {
  traceId: string;
  firstMs: number;
  lastMs: number;
  firstNano: string;
  lastId: number;
  records: number;
  maxSeverity: number;
  services: string;
  versions: string;
  rootService: string;
  method: string;
  route: string;
  status: number | null;
  durationMs: number | null;
  firstError: string | null;
  firstErrorId: number | null;
  jobs: number;
}

export class TraceIndex {
  private readonly put: StatementSync;
  private readonly addJobs: StatementSync;

  constructor(private readonly db: DatabaseSync) {
    db.function('threadline_merge_list', { deterministic: true }, (a, b) =>
      mergeList(text(a), text(b)),
    );
    this.put = db.prepare(
      `INSERT INTO traces (trace_id, first_ms, last_ms, first_nano, last_id, records, max_severity,
         services, versions, root_service, method, route, status, duration_ms, first_error,
         first_error_id, jobs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (trace_id) DO UPDATE SET
         first_nano = CASE WHEN excluded.first_ms < first_ms THEN excluded.first_nano ELSE first_nano END,
         first_ms = MIN(first_ms, excluded.first_ms), last_ms = MAX(last_ms, excluded.last_ms),
         last_id = MAX(last_id, excluded.last_id), records = records + excluded.records,
         max_severity = MAX(max_severity, excluded.max_severity),
         services = threadline_merge_list(services, excluded.services),
         versions = threadline_merge_list(versions, excluded.versions),
         root_service = CASE WHEN excluded.duration_ms > IFNULL(duration_ms, -1) THEN excluded.root_service ELSE root_service END,
         method = CASE WHEN excluded.duration_ms > IFNULL(duration_ms, -1) THEN excluded.method ELSE method END,
         route = CASE WHEN excluded.duration_ms > IFNULL(duration_ms, -1) THEN excluded.route ELSE route END,
         status = CASE WHEN excluded.duration_ms > IFNULL(duration_ms, -1) THEN excluded.status ELSE status END,
         duration_ms = MAX(IFNULL(duration_ms, -1), IFNULL(excluded.duration_ms, -1)),
         first_error = CASE WHEN first_error_id IS NULL THEN excluded.first_error ELSE first_error END,
         first_error_id = IFNULL(first_error_id, excluded.first_error_id),
         jobs = jobs + excluded.jobs`,
    );
    this.addJobs = db.prepare('UPDATE traces SET jobs = jobs + ? WHERE trace_id = ?');
  }

  /** Adds stored rows (`ids[i]` is the id `rows[i]` was stored under); call inside their transaction. */
  record(rows: readonly RecordRow[], ids: readonly number[]): void {
    const pending = new Map<string, Pending>();
    // Job attempts that ran in a trace of their own, by the trace that started them.
    const linkedJobs = new Map<string, number>();
    rows.forEach((row, i) => {
      const traceId = row[8];
      if (traceId === '') return;
      const id = ids[i] as number;
      const timeMs = row[1];
      const severity = row[2];
      const fact = row[16] as Fact | null;
      let p = pending.get(traceId);
      if (p === undefined) {
        p = {
          traceId,
          firstMs: timeMs,
          lastMs: timeMs,
          firstNano: row[0],
          lastId: id,
          records: 0,
          maxSeverity: severity,
          services: '',
          versions: '',
          rootService: clean(row[12]),
          method: '',
          route: '',
          status: null,
          durationMs: null,
          firstError: null,
          firstErrorId: null,
          jobs: 0,
        };
        pending.set(traceId, p);
      }
      p.records++;
      if (timeMs < p.firstMs) {
        p.firstMs = timeMs;
        p.firstNano = row[0];
        if (p.durationMs === null) p.rootService = clean(row[12]);
      }
      p.lastMs = Math.max(p.lastMs, timeMs);
      p.lastId = Math.max(p.lastId, id);
      p.maxSeverity = Math.max(p.maxSeverity, severity);
      p.services = mergeList(p.services, clean(row[12]));
      p.versions = mergeList(p.versions, clean(row[13]));
      if (severity >= 17 && p.firstErrorId === null) {
        p.firstErrorId = id;
        p.firstError = errorText(row).slice(0, 200);
      }
      if (fact?.kind === 'request' && fact.ms > (p.durationMs ?? -1)) {
        p.rootService = clean(row[12]);
        p.method = fact.method;
        p.route = fact.route;
        p.status = fact.status;
        p.durationMs = fact.ms;
      }
      if (fact?.kind === 'job' && fact.event === 'started') {
        p.jobs++;
        const origin = row[11];
        if (origin !== '' && origin !== traceId) {
          linkedJobs.set(origin, (linkedJobs.get(origin) ?? 0) + 1);
        }
      }
    });
    for (const p of pending.values()) {
      this.put.run(
        p.traceId,
        p.firstMs,
        p.lastMs,
        p.firstNano,
        p.lastId,
        p.records,
        p.maxSeverity,
        p.services,
        p.versions,
        p.rootService,
        p.method,
        p.route,
        p.status,
        p.durationMs,
        p.firstError,
        p.firstErrorId,
        p.jobs,
      );
    }
    for (const [traceId, jobs] of linkedJobs) this.addJobs.run(jobs, traceId);
  }

  /** Fills the index from the records of a store made before it existed (no root request or first error). */
  backfill(): void {
    const empty = this.db.prepare('SELECT 1 FROM traces LIMIT 1').get() === undefined;
    const any = this.db.prepare('SELECT 1 FROM records LIMIT 1').get() !== undefined;
    if (!empty || !any) return;
    this.db.exec(`INSERT INTO traces
      SELECT trace_id, MIN(time_ms), MAX(time_ms), MIN(time_unix_nano), MAX(id), COUNT(*),
        MAX(severity_number), GROUP_CONCAT(DISTINCT service), GROUP_CONCAT(DISTINCT service_version),
        MIN(service), '', '', NULL, NULL, NULL,
        MIN(CASE WHEN severity_number >= 17 THEN id END), 0
      FROM records WHERE trace_id <> '' GROUP BY trace_id`);
  }

  /** Forgets the traces whose newest record is older than the id given. */
  forget(beforeId: number): void {
    this.db.prepare('DELETE FROM traces WHERE last_id < ?').run(beforeId);
  }
}

/** A row of the traces table as a {@link TraceSummary}. */
export function toSummary(row: Record<string, unknown>): TraceSummary {
  const list = (v: unknown) => text(v).split(',').filter(Boolean);
  return {
    traceId: text(row.trace_id),
    startUnixNano: text(row.first_nano),
    spanMs: Number(row.last_ms) - Number(row.first_ms),
    maxSeverity: Number(row.max_severity),
    records: Number(row.records),
    services: list(row.services),
    versions: list(row.versions),
    rootService: text(row.root_service),
    method: text(row.method),
    route: text(row.route),
    status: row.status === null ? undefined : Number(row.status),
    durationMs:
      row.duration_ms === null || Number(row.duration_ms) < 0 ? undefined : Number(row.duration_ms),
    firstError: row.first_error === null ? undefined : text(row.first_error),
    jobs: Number(row.jobs),
  };
}
