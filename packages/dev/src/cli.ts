#!/usr/bin/env node
/**
 * The `threadline` command:
 *
 *   threadline dev   [--port 4318] [--db .threadline/dev.sqlite]   receive and store OTLP logs
 *   threadline trace <trace-id> [--db …]                          one trace as a timeline
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { startDevReceiver } from './server.js';
import { RecordStore } from './store.js';
import { formatLine, formatTimeline, printable } from './timeline.js';

const USAGE = `usage:
  threadline dev [--port 4318] [--host 127.0.0.1] [--allow-host NAME]… [--db .threadline/dev.sqlite]
  threadline trace <trace-id> [--db …]
  threadline tail [--service NAME] [--level warn] [--grep TEXT] [--db …]
  threadline errors [--limit 20] [--db …]`;

const LEVELS: Record<string, number> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

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

function fail(message: string): never {
  process.stderr.write(`threadline: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function openStore(path: string, readOnly = false): RecordStore {
  try {
    if (path !== ':memory:' && !readOnly) mkdirSync(dirname(path), { recursive: true });
    return new RecordStore(path, { readOnly });
  } catch (error) {
    fail(`cannot open the store ${path}: ${(error as Error).message}`);
  }
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === 'dev') {
    const port = Number(option(rest, 'port', '4318'));
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0–65535');
    const store = openStore(option(rest, 'db', DEFAULT_DB));
    const receiver = await startDevReceiver({
      store,
      port,
      host: option(rest, 'host', '127.0.0.1'),
      allowedHosts: options(rest, 'allow-host'),
    }).catch((error: Error) => fail(`cannot listen: ${error.message}`));
    process.stdout.write(
      `threadline dev: receiving OTLP/HTTP logs at ${receiver.url}, storing in ${store.path}\n`,
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
  if (command === 'trace') {
    const traceId = rest[0];
    if (!traceId || !/^[0-9a-f]{32}$/.test(traceId))
      fail('trace needs a trace id (32 lowercase hex digits)');
    const store = openStore(option(rest, 'db', DEFAULT_DB), true);
    const lines = formatTimeline(store.trace(traceId), process.stdout.isTTY === true);
    store.close();
    process.stdout.write(`${lines.join('\n')}\n`);
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
    // Start from the last few records, then follow.
    let last = Math.max(0, (store.recent({ limit: 1 })[0]?.id ?? 0) - 20);
    const poll = () => {
      for (const r of store.recent({ afterId: last, service, minSeverity, limit: 1000 })) {
        last = r.id;
        const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? '');
        if (grep && !body.includes(grep) && !JSON.stringify(r.attributes).includes(grep)) continue;
        process.stdout.write(`${formatLine(r, 0, color)}  trace=${printable(r.traceId)}\n`);
      }
    };
    poll();
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
    const store = openStore(option(rest, 'db', DEFAULT_DB), true);
    const failures = store.errors(limit);
    store.close();
    if (failures.length === 0) process.stdout.write('no errors stored\n');
    for (const r of failures) {
      process.stdout.write(
        `${formatLine(r, 0, process.stdout.isTTY === true)}\n    threadline trace ${printable(r.traceId)}\n`,
      );
    }
    return;
  }
  fail(command ? `unknown command ${JSON.stringify(command)}` : 'a command is needed');
}

main(process.argv.slice(2)).catch((error: unknown) => fail(String(error)));
