/**
 * The commands of `threadline` (cli.ts checks the Node version, then runs
 * these): dev, trace, tail, errors.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startDevReceiver } from './server.js';
import { formatOverview, parseWindow } from './status.js';
import { DEFAULT_MAX_RECORDS, type JobOutcome, RecordStore, type StoredRecord } from './store.js';
import {
  formatLine,
  formatTimeline,
  formatWaterfall,
  printable,
  SEVERITY_NAMES,
  traceHops,
} from './timeline.js';

const HELP: Record<string, string> = {
  dev: `threadline dev [--port 4318] [--host 127.0.0.1] [--allow-host NAME]... [--db .threadline/dev.sqlite] [--max-records ${DEFAULT_MAX_RECORDS}]
  Receives OTLP/HTTP logs (POST /v1/logs, protobuf or JSON) and stores them in one
  SQLite file; serves the incident console at its root (the overview, the traces,
  one trace as a waterfall, the logs; live). --allow-host names another Host that
  requests may use (repeatable). Past --max-records, the oldest records are deleted.`,
  status: `threadline status [--window 1h|5m|all|…] [--at TIME] [--json] [--db .threadline/dev.sqlite]
  Per service, over the window (default the last hour; 'all': everything stored):
  last record, starts, instances; requests, 5xx rate and latency per route;
  queues; cron jobs; the newest deploy against the one before; owner and runbook.
  --at: the end of the window (an ISO time such as 2026-12-06T03:10Z; default now).
  --json: the overview as one JSON object.`,
  trace: `threadline trace <trace-id> [--json] [--db .threadline/dev.sqlite]
  One trace (and the traces started from it) as a timeline, hops indented.
  --json: one stored record a line, with its hop depth. Exits 1 when the trace
  has no records.`,
  tail: `threadline tail [--service NAME] [--level trace|debug|info|warn|error|fatal] [--grep TEXT] [--db ...]
  The last records, then each new one as it is stored, in time order. Ctrl-C ends it.`,
  errors: `threadline errors [--limit 20] [--each] [--json] [--db .threadline/dev.sqlite]
  Recent failures (the first ERROR or worse record of each of the newest 1000
  failing traces), grouped by service, route, queue or cron job, and message,
  most frequent first: each with its count, its newest failure and the command
  that shows its story. --each: one failure a line instead, newest first.
  --json: one group (or, with --each, one stored record) a line.`,
};

/** The options of each command that take a value, its flags, and how many plain arguments it takes. */
const ARGUMENTS: Record<string, { values: string[]; flags: string[]; positional: number }> = {
  dev: { values: ['port', 'host', 'allow-host', 'db', 'max-records'], flags: [], positional: 0 },
  status: { values: ['window', 'at', 'db'], flags: ['json'], positional: 0 },
  trace: { values: ['db'], flags: ['json'], positional: 1 },
  tail: { values: ['service', 'level', 'grep', 'db'], flags: [], positional: 0 },
  errors: { values: ['limit', 'db'], flags: ['json', 'each'], positional: 0 },
};

/**
 * The plain arguments of a command line, wherever they stand among the
 * options; fails on an option the command does not know (a typo) or an
 * argument too many.
 */
function checkArguments(command: string, args: string[]): string[] {
  const known = ARGUMENTS[command];
  if (!known) return [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      if (known.values.includes(name)) i++;
      else if (!known.flags.includes(name)) fail(`${command} has no option ${arg}`);
    } else if (positional.push(arg) > known.positional) {
      fail(`${command} takes no argument ${JSON.stringify(arg)}`);
    }
  }
  return positional;
}

const USAGE = `usage:\n${Object.values(HELP)
  .map((text) => `  ${text.split('\n')[0]}`)
  .join('\n')}\n  threadline <command> --help`;

/** `tail --level` names, each the lowest severity number of its range. */
const LEVELS: Record<string, number> = Object.fromEntries(
  SEVERITY_NAMES.map((name, i) => [name.toLowerCase(), i * 4 + 1]),
);

const DEFAULT_DB = '.threadline/dev.sqlite';

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) fail(`--${name} needs a value`);
  return value;
}

/** Every value of a repeatable option. */
function options(args: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = args.indexOf(`--${name}`); i !== -1; i = args.indexOf(`--${name}`, i + 2)) {
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) fail(`--${name} needs a value`);
    values.push(value);
  }
  return values;
}

/** Ends with exit code 2, saying why (and the usage, for a bad command line). */
function fail(message: string, showUsage = true): never {
  process.stderr.write(`threadline: ${message}\n${showUsage ? `${USAGE}\n` : ''}`);
  process.exit(2);
}

/** `--window`: `30s`, `5m`, `5min`, `1h`, `2d`, or `all` (undefined). */
function windowOption(text: string): number | undefined {
  const windowMs = parseWindow(text);
  if (windowMs === null) fail('--window must be a length such as 5m, 1h or 2d, or all');
  return windowMs;
}

function openStore(path: string, readOnly = false, maxRecords?: number): RecordStore {
  if (readOnly && path !== ':memory:' && !existsSync(path)) {
    fail(
      `no store at ${resolve(path)}: run \`threadline dev${path === DEFAULT_DB ? '' : ` --db ${path}`}\` in this folder first, or name the store with --db PATH`,
      false,
    );
  }
  try {
    return new RecordStore(path, { readOnly, maxRecords });
  } catch (error) {
    fail(`cannot open the store ${resolve(path)}: ${(error as Error).message}`, false);
  }
}

/** One stored record a line, as JSON. */
function writeJsonLines(records: readonly object[]): void {
  for (const record of records) process.stdout.write(`${JSON.stringify(record)}\n`);
}

/**
 * A failed attempt's job, in words: "retried, completed on attempt 2 of 3",
 * "failed for good on attempt 3 of 3", "to be retried (attempt 1 of 3 failed)".
 */
function outcomeText(job: JobOutcome, failed: StoredRecord): string {
  const of = job.maxAttempts === undefined ? '' : ` of ${job.maxAttempts}`;
  const attempt = job.attempt === undefined ? '' : `attempt ${job.attempt}${of}`;
  if (job.state === 'retrying') return `to be retried${attempt && ` (${attempt} failed)`}`;
  if (job.state === 'failed') return `failed for good${attempt && ` on ${attempt}`}`;
  const before = Number(failed.attributes['threadline.job.attempt']);
  const retried = job.attempt !== undefined && before > 0 && job.attempt > before;
  return `${retried ? 'retried, completed' : 'completed'}${attempt && ` on ${attempt}`}`;
}

/** Time order (then arrival order) of stored records. */
function byTime(a: StoredRecord, b: StoredRecord): number {
  const ta = BigInt(a.timeUnixNano);
  const tb = BigInt(b.timeUnixNano);
  return ta < tb ? -1 : ta > tb ? 1 : a.id - b.id;
}

/** Runs one command line (the arguments after `threadline`). */
export async function run(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined && HELP[topic] === undefined) {
      fail(`unknown command ${JSON.stringify(topic)}`);
    }
    process.stdout.write(`${topic ? HELP[topic] : USAGE}\n`);
    return;
  }
  if (HELP[command] !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${HELP[command]}\n`);
    return;
  }
  const [argument] = checkArguments(command, rest);
  if (command === 'dev') {
    const port = Number(option(rest, 'port', '4318'));
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0–65535');
    const maxRecords = Number(option(rest, 'max-records', String(DEFAULT_MAX_RECORDS)));
    if (!Number.isInteger(maxRecords) || maxRecords < 1) {
      fail('--max-records must be a whole number > 0');
    }
    const store = openStore(option(rest, 'db', DEFAULT_DB), false, maxRecords);
    const receiver = await startDevReceiver({
      store,
      port,
      host: option(rest, 'host', '127.0.0.1'),
      allowedHosts: options(rest, 'allow-host'),
    }).catch((error: Error) => fail(`cannot listen: ${error.message}`, false));
    const origin = receiver.url.replace(/\/v1\/logs$/, '');
    process.stdout.write(
      [
        `threadline dev: receiving OTLP/HTTP logs at ${receiver.url}, storing in ${resolve(store.path)}`,
        `  the page:     ${origin}/`,
        `  in your apps: OTEL_EXPORTER_OTLP_ENDPOINT=${origin}`,
        '',
      ].join('\n'),
    );
    process.send?.({ type: 'ready', url: receiver.url });
    const stop = () => {
      void receiver.close().then(() => {
        store.close();
        process.exit(0);
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  if (command === 'status') {
    const windowMs = windowOption(option(rest, 'window', '1h'));
    const at = option(rest, 'at', '');
    const now = at === '' ? Date.now() : Date.parse(at);
    if (!Number.isFinite(now)) fail('--at must be a time such as 2026-12-06T03:10Z');
    const store = openStore(option(rest, 'db', DEFAULT_DB), true);
    const overview = store.overview({ now, windowMs });
    store.close();
    if (rest.includes('--json')) {
      process.stdout.write(`${JSON.stringify(overview)}\n`);
      return;
    }
    process.stdout.write(`${formatOverview(overview, process.stdout.isTTY === true).join('\n')}\n`);
    return;
  }
  if (command === 'trace') {
    const traceId = argument;
    if (!traceId || !/^[0-9a-f]{32}$/.test(traceId))
      fail('trace needs a trace id (32 lowercase hex digits)');
    const path = option(rest, 'db', DEFAULT_DB);
    const store = openStore(path, true);
    const records = store.trace(traceId);
    store.close();
    if (records.length === 0) {
      process.stderr.write(`threadline: no records of trace ${traceId} in ${resolve(path)}\n`);
      process.exitCode = 1;
      return;
    }
    if (rest.includes('--json')) {
      const hops = new Map(traceHops(records).map((h) => [h.spanId, h]));
      writeJsonLines(
        records.map((r) => {
          const h = hops.get(r.spanId);
          const hop = h && {
            name: h.name,
            outcome: h.outcome,
            startMs: h.startMs,
            durationMs: h.durationMs,
          };
          return { ...r, depth: h?.depth ?? 0, hop };
        }),
      );
      return;
    }
    const color = process.stdout.isTTY === true;
    const [head, ...lines] = formatTimeline(records, color);
    process.stdout.write(
      `${[head, ...formatWaterfall(records, color), '', ...lines].join('\n')}\n`,
    );
    return;
  }
  if (command === 'tail') {
    const service = option(rest, 'service', '');
    const level = option(rest, 'level', 'trace').toLowerCase();
    const minSeverity = LEVELS[level];
    if (minSeverity === undefined) fail(`--level must be one of ${Object.keys(LEVELS).join(', ')}`);
    const grep = option(rest, 'grep', '');
    const store = openStore(option(rest, 'db', DEFAULT_DB), true);
    const color = process.stdout.isTTY === true;
    const matches = (r: StoredRecord) => {
      if (!grep) return true;
      const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? '');
      return body.includes(grep) || JSON.stringify(r.attributes).includes(grep);
    };
    // Exports from several services arrive in their own order: each batch in time order.
    const show = (records: StoredRecord[]) => {
      for (const r of records.sort(byTime)) {
        process.stdout.write(
          `${formatLine(r, 0, color)}  trace=${printable(r.traceId)}${r.traceId ? '' : '(none)'}\n`,
        );
      }
    };
    // The last 20 records that pass the filters (the text among the newest 10,000 of them), then follow.
    let last = store.recent({ limit: 1 })[0]?.id ?? 0;
    show(
      store
        .recent({ service, minSeverity, limit: grep ? 10_000 : 20 })
        .filter(matches)
        .slice(-20),
    );
    const poll = () => {
      const fresh = store.recent({ afterId: last, service, minSeverity, limit: 1000 });
      for (const r of fresh) last = Math.max(last, r.id);
      show(fresh.filter(matches));
    };
    const timer = setInterval(poll, 500);
    process.once('SIGINT', () => {
      clearInterval(timer);
      store.close();
    });
    return;
  }
  if (command === 'errors') {
    const limit = Number(option(rest, 'limit', '20'));
    if (!Number.isInteger(limit) || limit < 1) fail('--limit must be a whole number > 0');
    const path = option(rest, 'db', DEFAULT_DB);
    const store = openStore(path, true);
    // The command that shows a failure's story reads the same store.
    const db = path === DEFAULT_DB ? '' : ` --db ${path}`;
    const color = process.stdout.isTTY === true;
    if (!rest.includes('--each')) {
      const groups = store
        .errorGroups()
        .slice(0, limit)
        .map((g) => ({ ...g, job: store.jobOutcome(g.newest) }));
      store.close();
      if (rest.includes('--json')) {
        writeJsonLines(groups);
        return;
      }
      if (groups.length === 0) process.stdout.write('no errors stored\n');
      for (const g of groups) {
        const where = g.where ? ` ${printable(g.where)}` : '';
        const job = g.job ? `    job (newest): ${outcomeText(g.job, g.newest)}\n` : '';
        process.stdout.write(
          `${g.count}× ${printable(g.service)}${where}: ${printable(g.message)}\n    newest: ${formatLine(g.newest, 0, color)}\n${job}    threadline trace ${printable(g.newest.traceId)}${printable(db)}\n`,
        );
      }
      return;
    }
    const failures = store.errors(limit).map((r) => ({ ...r, job: store.jobOutcome(r) }));
    store.close();
    if (rest.includes('--json')) {
      writeJsonLines(failures);
      return;
    }
    if (failures.length === 0) process.stdout.write('no errors stored\n');
    for (const r of failures) {
      const job = r.job ? `    job: ${outcomeText(r.job, r)}\n` : '';
      process.stdout.write(
        `${formatLine(r, 0, color)}\n${job}    threadline trace ${printable(r.traceId)}${printable(db)}\n`,
      );
    }
    return;
  }
  fail(`unknown command ${JSON.stringify(command)}`);
}

/** Runs the command line and reports what it throws as a failure (exit 2). */
export function main(args: string[]): void {
  // A reader that stops early (`threadline errors | head`) is no failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  run(args).catch((error: unknown) => fail(String(error)));
}
