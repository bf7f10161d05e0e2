/**
 * The record store of `threadline dev`: one SQLite file (Node's built-in
 * `node:sqlite`), indexed for the questions asked during an incident: one
 * trace, one service, errors, a time range, one job or cron run.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { ReceivedRecord } from './otlp.js';
import { Aggregates, HOUR_MS, OVERVIEW_SCHEMA, type Overview } from './overview.js';
import { COLUMNS, type RecordRow, toRows } from './rows.js';
import { preparedOnce } from './statements.js';
import { TRACE_INDEX_SCHEMA, TraceIndex, type TraceSummary, toSummary } from './trace-index.js';

export type { TraceSummary };

/** A stored record, as read back. */
export interface StoredRecord {
  id: number;
  /** Nanoseconds since the epoch, as a decimal string (exact). */
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string;
  traceId: string;
  spanId: string;
  /** `threadline.parent_span_id`: the hop that called this one. */
  parentSpanId: string;
  /** `threadline.link.trace_id`: the trace this one was started from (link mode, restart). */
  linkTraceId: string;
  service: string;
  serviceVersion: string;
}

/** Failures alike: one service, one place, one message (`threadline errors`). */
export interface ErrorGroup {
  service: string;
  /** `POST /checkout/:sku`, `queue emails`, `cron nightly-report`, or '' when the record does not say. */
  where: string;
  /** `TypeError: …` (from `exception.type` and `exception.message`), else the record's message. */
  message: string;
  count: number;
  /** The newest failure of the group: the first ERROR (or worse) record of its trace. */
  newest: StoredRecord;
}

/** The last word on a job, as `threadline errors` shows it beside a failed attempt. */
export interface JobOutcome {
  /** `completed` on a later attempt, `failed` for good, or `retrying` (another attempt is due). */
  state: 'completed' | 'failed' | 'retrying';
  /** The attempt of that last line, and the attempts allowed, when the line says. */
  attempt: number | undefined;
  maxAttempts: number | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY,
  time_unix_nano TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  severity_number INTEGER NOT NULL,
  severity_text TEXT NOT NULL,
  body TEXT,
  attributes TEXT NOT NULL,
  resource TEXT NOT NULL,
  scope TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT NOT NULL,
  link_trace_id TEXT NOT NULL,
  service TEXT NOT NULL,
  service_version TEXT NOT NULL,
  job_id TEXT NOT NULL,
  cron_run_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_trace ON records (trace_id, time_unix_nano);
CREATE INDEX IF NOT EXISTS records_link ON records (link_trace_id) WHERE link_trace_id <> '';
CREATE INDEX IF NOT EXISTS records_service ON records (service, time_ms);
CREATE INDEX IF NOT EXISTS records_severity ON records (severity_number, time_ms);
CREATE INDEX IF NOT EXISTS records_time ON records (time_ms);
CREATE INDEX IF NOT EXISTS records_job ON records (job_id) WHERE job_id <> '';
CREATE INDEX IF NOT EXISTS records_cron_run ON records (cron_run_id) WHERE cron_run_id <> '';
`;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** A LIKE pattern (with `ESCAPE '\'`) matching `text` anywhere. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The WHERE clause of a trace list over the traces table, holding only the
 * filters given, so that SQLite can use the index of one of them (route,
 * status class, time) rather than read every trace.
 */
function traceConditions(filters: TraceFilters): {
  where: string;
  args: SQLInputValue[];
  order: string;
} {
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  const add = (condition: string, value: SQLInputValue) => {
    where.push(condition);
    args.push(value);
  };
  if (filters.service) add(`instr(',' || services || ',', ',' || ? || ',') > 0`, filters.service);
  if (filters.minSeverity) add('max_severity >= ?', filters.minSeverity);
  if (filters.version) add(`instr(',' || versions || ',', ',' || ? || ',') > 0`, filters.version);
  // Each with the condition of its index (a trace with no request has neither route nor status,
  // and is left out of the index), so that SQLite may use it.
  if (filters.route) add(`route = ? AND route <> ''`, filters.route);
  if (filters.method) add('method = ?', filters.method);
  if (filters.statusClass) add('status / 100 = ? AND status IS NOT NULL', filters.statusClass);
  if (filters.fromMs !== undefined) add('last_ms >= ?', filters.fromMs);
  if (filters.toMs !== undefined) add('last_ms <= ?', filters.toMs);
  // By a route, a status class or a time, newest by time: the order of those filters' indexes
  // (route, last_ms), (status / 100, last_ms) and (last_ms), so that SQLite reads the newest
  // matches and stops at the limit (bench/dev-store.ts). Otherwise newest as stored.
  const byTime =
    filters.route ||
    filters.statusClass ||
    filters.fromMs !== undefined ||
    filters.toMs !== undefined;
  return {
    where: where.length === 0 ? '1' : where.join(' AND '),
    args,
    order: byTime ? 'last_ms DESC' : 'last_id DESC',
  };
}

/** Filters of {@link RecordStore.traces}. */
export interface TraceFilters {
  service?: string;
  /** Lowest severity number of a matching record. */
  minSeverity?: number;
  /** `service.version` */
  version?: string;
  /** Text in the message or the attributes. */
  text?: string;
  /** `http.route` of the trace's outermost request. */
  route?: string;
  /** `http.request.method` of the trace's outermost request. */
  method?: string;
  /** The class of the outermost request's status: 5 for 5xx, 4 for 4xx. */
  statusClass?: number;
  /** Traces whose newest record is at or after this time (ms since the epoch). */
  fromMs?: number;
  /** Traces whose newest record is at or before this time (ms since the epoch). */
  toMs?: number;
  /**
   * Traces with an ERROR (or worse) record first, then the others, each
   * newest first; false: all newest first. @default true
   */
  errorsFirst?: boolean;
  limit?: number;
}

/** Filters of {@link RecordStore.logs}. */
export interface LogFilters {
  service?: string;
  /** Lowest severity number. */
  minSeverity?: number;
  /** Text in the message, the attributes or the trace id. */
  text?: string;
  /** Records stored before the one with this id (paging back). */
  beforeId?: number;
  /** Records stored after the one with this id (following). */
  afterId?: number;
  /** @default 100 */
  limit?: number;
}

/** A page of {@link RecordStore.logs}. */
export interface LogPage {
  /** Newest first. */
  records: StoredRecord[];
  /**
   * Where the next, older page starts (its `beforeId`); undefined when no
   * older record can match. A page may hold fewer than `limit` records and
   * still have a next one: each reads at most {@link LOG_SCAN_ROWS} records.
   */
  nextBeforeId: number | undefined;
}

/**
 * Records one {@link RecordStore.logs} call reads at most: a filter that
 * matches few records pages through the store in steps of this many, so
 * that no call scans a million records (bench/dev-store.ts, "logs").
 */
export const LOG_SCAN_ROWS = 100_000;

// SQLITE_TOOBIG: a string or blob past SQLite's length limit, a fault of the record alone.
const SQLITE_TOOBIG = 18;

/** Whether an error storing one record is that record's fault (then it is refused alone). */
function isRecordFault(error: unknown): boolean {
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  return code !== 'ERR_SQLITE_ERROR' || errcode === SQLITE_TOOBIG;
}

/** What {@link RecordStore.add} did. */
export interface AddResult {
  stored: number;
  /** Why each record that could not be stored was refused (the others were stored). */
  rejected: string[];
}

/** Records kept by default: past it, the oldest are deleted as new ones arrive. */
export const DEFAULT_MAX_RECORDS = 1_000_000;

export class RecordStore {
  readonly path: string;
  /** Records kept at most: past it, the oldest are deleted. */
  readonly maxRecords: number;
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly aggregates: Aggregates;
  private readonly traceIndex: TraceIndex;
  private readonly sql: (text: string) => StatementSync;

  /**
   * Opens (or creates, with its folder) the store at `path` (`:memory:` for
   * a throwaway one); `readOnly` opens an existing one for reading. Throws
   * when it cannot.
   */
  constructor(path: string, options: { readOnly?: boolean; maxRecords?: number } = {}) {
    this.path = path;
    this.maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    if (!Number.isInteger(this.maxRecords) || this.maxRecords < 1) {
      throw new TypeError(`maxRecords must be a whole number > 0; got ${options.maxRecords}`);
    }
    if (!options.readOnly && path !== ':memory:' && !path.startsWith('file:')) {
      mkdirSync(dirname(resolve(path)), { recursive: true });
    }
    this.db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
    if (!options.readOnly) {
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      this.db.exec(SCHEMA);
      this.db.exec(OVERVIEW_SCHEMA);
      this.db.exec(TRACE_INDEX_SCHEMA);
    } else if (
      this.db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'traces'`).get() === undefined
    ) {
      this.db.close();
      throw new Error(
        'it was written by an older @threadline/dev: run `threadline dev` on it once (it adds what this version reads), then this command again',
      );
    }
    this.sql = preparedOnce(this.db);
    this.aggregates = new Aggregates(this.db);
    this.traceIndex = new TraceIndex(this.db);
    if (!options.readOnly) this.traceIndex.backfill();
    this.insert = this.db.prepare(
      `INSERT INTO records (time_unix_nano, time_ms, severity_number, severity_text, body, attributes,
        resource, scope, trace_id, span_id, parent_span_id, link_trace_id, service, service_version,
        job_id, cron_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /**
   * Stores one export's records in one transaction. A record that cannot be
   * stored (a value JSON cannot hold, a row past SQLite's limits) is refused
   * alone and named in the result; when the store itself cannot be written,
   * nothing is stored and the error is thrown.
   */
  add(records: readonly ReceivedRecord[]): AddResult {
    const { rows, rejected } = toRows(records);
    const result = this.addRows(rows);
    return { stored: result.stored, rejected: [...rejected, ...result.rejected] };
  }

  /**
   * Stores rows made by {@link toRows} (in the receiver, by its decoding
   * worker), as {@link RecordStore.add} does.
   * @internal
   */
  addRows(rows: readonly RecordRow[]): AddResult {
    const rejected: string[] = [];
    const stored: RecordRow[] = [];
    const ids: number[] = [];
    this.db.exec('BEGIN');
    try {
      for (const row of rows) {
        try {
          const { lastInsertRowid } = this.insert.run(...(row.slice(0, COLUMNS) as never[]));
          stored.push(row);
          ids.push(Number(lastInsertRowid));
        } catch (error) {
          if (!isRecordFault(error)) throw error;
          rejected.push(`a record could not be stored: ${(error as Error).message}`);
        }
      }
      this.aggregates.record(stored);
      this.traceIndex.record(stored, ids);
      this.keepWithinBound();
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
    return { stored: rows.length - rejected.length, rejected };
  }

  /**
   * Past {@link maxRecords}, deletes the oldest records (a tenth of the bound
   * more, so that it is not done at every export) and the overview's figures
   * of the time they covered.
   */
  private keepWithinBound(): void {
    const newest = this.db.prepare('SELECT MAX(id) AS id FROM records').get() as {
      id: number | null;
    };
    const oldest = this.db.prepare('SELECT MIN(id) AS id FROM records').get() as {
      id: number | null;
    };
    if (newest.id === null || oldest.id === null) return;
    if (Number(newest.id) - Number(oldest.id) + 1 <= this.maxRecords) return;
    const keepFrom = Number(newest.id) - Math.floor(this.maxRecords * 0.9) + 1;
    this.db.prepare('DELETE FROM records WHERE id < ?').run(keepFrom);
    this.traceIndex.forget(keepFrom);
    const first = this.db.prepare('SELECT MIN(time_ms) AS t FROM records').get() as {
      t: number | null;
    };
    if (first.t !== null) this.aggregates.forget(Number(first.t));
  }

  /**
   * The incident overview over the `windowMs` before `now` (undefined: all
   * that is stored): per service, whether it is up, its requests, jobs, cron
   * runs and newest deploy.
   */
  overview(options: { now?: number; windowMs?: number } = {}): Overview {
    return this.aggregates.overview(options);
  }

  /** Every record of a trace, and of the traces started from it (link mode), oldest first. */
  trace(traceId: string): StoredRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (
           SELECT * FROM records WHERE trace_id = ?1
           UNION ALL
           SELECT * FROM records WHERE trace_id IN (
               SELECT DISTINCT trace_id FROM records WHERE link_trace_id = ?1 AND link_trace_id <> '')
             AND trace_id <> ?1)
         ORDER BY CAST(time_unix_nano AS INTEGER), id`,
      )
      .all(traceId);
    return rows.map(toStored);
  }

  /** The newest records, optionally from one service and at or above a severity. */
  recent(
    options: { limit?: number; service?: string; minSeverity?: number; afterId?: number } = {},
  ): StoredRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM records WHERE id > ?1 AND (?2 = '' OR service = ?2) AND severity_number >= ?3
         ORDER BY id DESC LIMIT ?4`,
      )
      .all(
        options.afterId ?? 0,
        options.service ?? '',
        options.minSeverity ?? 0,
        options.limit ?? 100,
      );
    return rows.map(toStored).reverse();
  }

  /**
   * Recent failures, one per trace, newest first: the first ERROR-or-worse
   * record of each trace (a failed request, job attempt or cron run).
   */
  errors(limit = 20): StoredRecord[] {
    const rows = this.db
      .prepare(
        `SELECT r.* FROM traces t JOIN records r ON r.id = t.first_error_id
         WHERE t.max_severity >= 17 ORDER BY t.last_id DESC LIMIT ?1`,
      )
      .all(limit);
    return rows.map(toStored);
  }

  /**
   * The failures of the newest `scan` failing traces (their first ERROR or
   * worse record), grouped by service, where it failed (`POST /checkout/:sku`
   * from the failing hop's `request completed` line, `queue emails`,
   * `cron nightly-report`) and message (`TypeError: …` from `exception.*`,
   * else the record's message): most frequent first, then newest; each with
   * its count and its newest failure.
   */
  errorGroups(scan = 1000): ErrorGroup[] {
    const completed = this.db.prepare(
      `SELECT attributes FROM records WHERE trace_id = ? AND span_id = ?
         AND body = '"request completed"' LIMIT 1`,
    );
    const groups = new Map<string, ErrorGroup>();
    // Newest first: the first record of a group is its newest.
    for (const r of this.errors(scan)) {
      const a = r.attributes;
      let where = '';
      if (typeof a['messaging.destination.name'] === 'string') {
        where = `queue ${a['messaging.destination.name']}`;
      } else if (a['threadline.cron.run_id'] !== undefined) {
        where = `cron ${str(a['threadline.job.name'])}`;
      } else {
        const row = completed.get(r.traceId, r.spanId) as { attributes?: string } | undefined;
        if (row?.attributes !== undefined) {
          const c = JSON.parse(row.attributes) as Record<string, unknown>;
          where = `${str(c['http.request.method'])} ${str(c['http.route']) || '(no route)'}`;
        }
      }
      const type = str(a['exception.type']);
      const message = (
        type
          ? `${type}: ${str(a['exception.message'])}`
          : typeof r.body === 'string'
            ? r.body
            : JSON.stringify(r.body ?? '')
      ).slice(0, 200);
      const key = JSON.stringify([r.service, where, message]);
      const group = groups.get(key);
      if (group) group.count++;
      else groups.set(key, { service: r.service, where, message, count: 1, newest: r });
    }
    return [...groups.values()].sort((a, b) => b.count - a.count || b.newest.id - a.newest.id);
  }

  /**
   * What became of the job a failed attempt belongs to, from the newest
   * `job completed` or `job failed` line of the same job (same service,
   * queue and job id): completed on a later attempt, failed for good, or
   * still to be retried. Undefined for a record that is not a job's.
   */
  jobOutcome(record: StoredRecord): JobOutcome | undefined {
    const jobId = record.attributes['messaging.message.id'];
    if (typeof jobId !== 'string' || jobId === '') return undefined;
    const queue = record.attributes['messaging.destination.name'];
    const row = this.db
      .prepare(
        `SELECT * FROM records WHERE job_id = ?1 AND service = ?2
           AND body IN ('"job completed"', '"job failed"')
           AND json_extract(attributes, '$."messaging.destination.name"') IS ?3
         ORDER BY CAST(time_unix_nano AS INTEGER) DESC, id DESC LIMIT 1`,
      )
      .get(jobId, record.service, typeof queue === 'string' ? queue : null);
    if (row === undefined) return undefined;
    const last = toStored(row);
    const attempt = Number(last.attributes['threadline.job.attempt']) || undefined;
    const maxAttempts = Number(last.attributes['threadline.job.max_attempts']) || undefined;
    const state =
      last.body === 'job completed'
        ? 'completed'
        : last.attributes['threadline.job.will_retry'] === true
          ? 'retrying'
          : 'failed';
    return { state, attempt, maxAttempts };
  }

  /**
   * Recent traces with a summary, those with an ERROR first (unless
   * `errorsFirst` is false), then the others, each newest first: newest
   * stored, or, filtered by route, status class or time, newest by the time
   * of its newest record. `service` and `version`: a record of the trace has
   * them; `minSeverity`: its worst record is at least that; `route`,
   * `method`, `statusClass`: its outermost request's; `fromMs`, `toMs`: its
   * newest record is between them; `text`: one of the newest records holding
   * it (in the message or an attribute) is the trace's.
   */
  traces(filters: TraceFilters = {}): TraceSummary[] {
    const limit = filters.limit ?? 50;
    const errorsFirst = filters.errorsFirst ?? true;
    const { where, args, order } = traceConditions(filters);
    if (filters.text) {
      const found: TraceSummary[] = [];
      const get = this.sql(`SELECT * FROM traces WHERE trace_id = ? AND ${where}`);
      for (const traceId of this.tracesHolding(filters.text, limit * 4)) {
        const row = get.get(traceId, ...args);
        if (row !== undefined) found.push(toSummary(row));
        if (found.length === limit) break;
      }
      if (!errorsFirst) return found;
      return found.sort((a, b) => Number(b.maxSeverity >= 17) - Number(a.maxSeverity >= 17));
    }
    const newest = (condition: string, n: number) =>
      this.sql(`SELECT * FROM traces WHERE ${condition} AND ${where} ORDER BY ${order} LIMIT ?`)
        .all(...args, n)
        .map(toSummary);
    if (!errorsFirst) return newest('1', limit);
    const failed = newest('max_severity >= 17', limit);
    const rest = failed.length === limit ? [] : newest('max_severity < 17', limit - failed.length);
    return [...failed, ...rest];
  }

  /**
   * Stored records, newest first, a page at a time, traced or not: the
   * lines of `threadline dev`'s logs view. `beforeId` pages back,
   * `afterId` follows (the records stored since). Reads the records by id,
   * at most {@link LOG_SCAN_ROWS} of them, so a rare filter costs the same as
   * a common one; `nextBeforeId` says where to go on.
   */
  logs(filters: LogFilters = {}): LogPage {
    const limit = filters.limit ?? 100;
    // Apart: SQLite reads MIN(id) or MAX(id) from the end of the table, but both at once by a scan.
    const oldest = this.sql('SELECT MIN(id) AS id FROM records').get() as { id: number | null };
    if (oldest.id === null) return { records: [], nextBeforeId: undefined };
    const first = Number(oldest.id);
    const before = Math.min(filters.beforeId ?? Number.POSITIVE_INFINITY, this.lastId() + 1);
    const floor = Math.max(filters.afterId ?? 0, first - 1);
    // Read ids in (above, before): the page's slice of the store.
    const above = Math.max(floor, before - 1 - LOG_SCAN_ROWS);
    // A unary + keeps SQLite off the service and severity indexes: reading by id, newest first,
    // stops at `limit`; an index would have every match of the filter sorted first
    // (bench/dev-store.ts, "logs of one service, errors").
    const where = ['id < ?', 'id > ?'];
    const args: SQLInputValue[] = [before, above];
    if (filters.service) {
      where.push('+service = ?');
      args.push(filters.service);
    }
    if (filters.minSeverity) {
      where.push('+severity_number >= ?');
      args.push(filters.minSeverity);
    }
    if (filters.text) {
      where.push(`(body LIKE ? ESCAPE '\\' OR attributes LIKE ? ESCAPE '\\' OR trace_id = ?)`);
      const pattern = likePattern(filters.text);
      args.push(pattern, pattern, filters.text);
    }
    const rows = this.sql(
      `SELECT * FROM records WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
    ).all(...args, limit);
    const records = rows.map(toStored);
    const last = records.at(-1);
    let nextBeforeId: number | undefined;
    if (records.length === limit && last !== undefined) nextBeforeId = last.id;
    else if (above > floor) nextBeforeId = above + 1;
    return { records, nextBeforeId };
  }

  /** The id of the newest record stored, 0 when none is. */
  lastId(): number {
    const row = this.sql('SELECT MAX(id) AS id FROM records').get() as { id: number | null };
    return Number(row.id ?? 0);
  }

  /** The routes requests were answered on, as `method` and `route`, for filters. */
  routes(): { method: string; route: string }[] {
    return (
      this.sql(
        `SELECT DISTINCT method, route FROM request_stats WHERE span = ${HOUR_MS} ORDER BY route, method`,
      ).all() as Record<string, unknown>[]
    ).map((r) => ({ method: str(r.method), route: str(r.route) }));
  }

  /** The traces of the newest records holding `text` (message or attributes), newest first, at most `limit`. */
  private tracesHolding(text: string, limit: number): string[] {
    const q = likePattern(text);
    const found = new Set<string>();
    const rows = this.db
      .prepare(
        `SELECT trace_id FROM records WHERE trace_id <> ''
           AND (body LIKE ?1 ESCAPE '\\' OR attributes LIKE ?1 ESCAPE '\\') ORDER BY id DESC`,
      )
      .iterate(q);
    for (const row of rows) {
      found.add(str((row as Record<string, unknown>).trace_id));
      if (found.size === limit) break;
    }
    return [...found];
  }

  /** Services and deploy versions seen, for filters. */
  facets(): { services: string[]; versions: string[] } {
    const col = (sql: string) =>
      this.db
        .prepare(sql)
        .all()
        .map((r) => str((r as Record<string, unknown>).v))
        .filter(Boolean);
    return {
      services: col('SELECT service AS v FROM services ORDER BY v'),
      versions: col('SELECT DISTINCT version AS v FROM versions ORDER BY v'),
    };
  }

  count(): number {
    const row = this.db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number };
    return Number(row.n);
  }

  close(): void {
    this.db.close();
  }
}

function toStored(row: unknown): StoredRecord {
  const r = row as Record<string, unknown>;
  return {
    id: Number(r.id),
    timeUnixNano: str(r.time_unix_nano),
    severityNumber: Number(r.severity_number),
    severityText: str(r.severity_text),
    body: r.body === null ? undefined : JSON.parse(str(r.body)),
    attributes: JSON.parse(str(r.attributes)) as Record<string, unknown>,
    resource: JSON.parse(str(r.resource)) as Record<string, unknown>,
    scope: str(r.scope),
    traceId: str(r.trace_id),
    spanId: str(r.span_id),
    parentSpanId: str(r.parent_span_id),
    linkTraceId: str(r.link_trace_id),
    service: str(r.service),
    serviceVersion: str(r.service_version),
  };
}
