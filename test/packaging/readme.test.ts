// The first example of each package's README (and pino's transport
// snippet), read from the installed package and run by plain Node in the app
// (core's, fenced as TypeScript, as a .mts file), exporting to
// `threadline dev` started from the installed @threadline/dev (its README's
// way: the `threadline` command, with `--port 0`, storing in the app's
// .threadline/dev.sqlite). Assertions read that store through the installed
// package's RecordStore. Where an example cannot run as written, the edit
// says why (see src/readme.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RecordStore as Store, StoredRecord } from '@threadline/dev';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run, userEnv } from './src/app.js';
import { type Edit, edited, readmeExamples } from './src/readme.js';

const app = inject('app');
const { RecordStore } = createRequire(join(app.dir, 'package.json'))(
  '@threadline/dev',
) as typeof import('@threadline/dev');

interface Example {
  /** Its file's name, and the `test.example` resource attribute of its records. */
  name: string;
  child: ChildProcess;
  /** What it printed so far, stdout and stderr. */
  output(): string;
  stdout(): string;
  exited: Promise<number | null>;
  /** SIGTERM (Threadline flushes, then lets the process end), and wait for it to end. */
  stop(): Promise<void>;
}

const running: ChildProcess[] = [];
let receiver: ChildProcess;
let endpoint: string;
let store: Store;

/** Keeps what a process prints, as it comes. */
function watch(child: ChildProcess) {
  let stdout = '';
  let all = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    all += chunk;
  });
  return { stdout: () => stdout, output: () => all };
}

beforeAll(async () => {
  receiver = spawn(
    process.execPath,
    [join(app.dir, 'node_modules', '.bin', 'threadline'), 'dev', '--port', '0'],
    { cwd: app.dir, env: userEnv() },
  );
  running.push(receiver);
  const { stdout, output } = watch(receiver);
  const deadline = Date.now() + 15_000;
  let ready: RegExpExecArray | null = null;
  while (!ready) {
    ready = /receiving OTLP\/HTTP logs at (http:\/\/\S+)\/v1\/logs, storing in (\S+)\n/.exec(
      stdout(),
    );
    if (receiver.exitCode !== null || Date.now() > deadline) {
      throw new Error(`threadline dev did not start:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  endpoint = ready[1] as string;
  expect(ready[2]).toBe(join(app.dir, '.threadline', 'dev.sqlite'));
  store = new RecordStore(ready[2] as string, { readOnly: true });
});

afterAll(async () => {
  store?.close();
  await Promise.all(
    running.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }),
  );
});

/** The README's `index`th example of `packageName`, edited. */
function example(packageName: string, index: number, edits: Edit[] = []): string {
  const code = readmeExamples(app.dir, packageName)[index];
  if (code === undefined) throw new Error(`${packageName}'s README has no example ${index + 1}`);
  return edited(code, edits, `${packageName}'s README (example ${index + 1})`);
}

/** Runs an example as `examples/<name>.<ext>`, exporting to the receiver, its records marked with its name. */
function start(name: string, code: string, env: Record<string, string> = {}, ext = 'mjs'): Example {
  const dir = join(app.dir, 'examples');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.${ext}`);
  writeFileSync(file, code);
  const child = spawn(process.execPath, [file], {
    cwd: app.dir,
    env: userEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_RESOURCE_ATTRIBUTES: `test.example=${name}`,
      ...env,
    }),
  });
  running.push(child);
  const { stdout, output } = watch(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    name,
    child,
    stdout,
    output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls the store until `done` holds for the records `select` picks, or fails after 20 s. */
async function recordsWhere(
  select: (record: StoredRecord) => boolean,
  done: (records: StoredRecord[]) => boolean,
  context: () => string,
): Promise<StoredRecord[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const records = store.recent({ limit: 10_000 }).filter(select);
    if (done(records)) return records;
    if (Date.now() > deadline) {
      throw new Error(
        `the records never arrived; found:\n${records.map((r) => JSON.stringify(r)).join('\n')}\n${context()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ofExample = (name: string) => (record: StoredRecord) =>
  record.resource['test.example'] === name;
const bodies = (records: StoredRecord[]) => records.map((record) => record.body);
const named = (records: StoredRecord[], body: string) => {
  const found = records.find((record) => record.body === body);
  if (!found)
    throw new Error(`no record ${JSON.stringify(body)} among ${JSON.stringify(bodies(records))}`);
  return found;
};

/** Waits for an example that ends by itself to end well, then for its records of these bodies. */
async function exported(example: Example, wanted: string[]): Promise<StoredRecord[]> {
  expect(await example.exited, example.output()).toBe(0);
  const records = await recordsWhere(
    ofExample(example.name),
    (found) => wanted.every((body) => bodies(found).includes(body)),
    example.output,
  );
  return wanted.map((body) => named(records, body));
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until the example answers HTTP on `port` (at /healthz, which the examples' middleware ignores). */
async function listening(port: number, example: Example): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/healthz`);
      return;
    } catch {
      if (example.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the example never listened on ${port}:\n${example.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
};

const LISTEN: Edit = {
  find: 'app.listen(3000);',
  insert: 'app.listen(Number(process.env.PORT));',
  why: 'port 3000 may be taken; the test gives a free one',
};

describe("each package's README example, run from the installed packages", () => {
  it('@threadline/core: `ready` and, in a scope, `slow payment` reach threadline dev', async () => {
    const core = start('core', example('@threadline/core', 0), {}, 'mts');
    const [ready, slow] = await exported(core, ['ready', 'slow payment']);
    expect(ready).toMatchObject({
      service: 'orders',
      severityText: 'INFO',
      attributes: { port: 3000 },
    });
    expect(slow).toMatchObject({
      severityText: 'WARN',
      attributes: { 'tenant.id': 't-42', 'payment.duration_ms': 812 },
    });
  });

  it('@threadline/express and @threadline/koa: a request to orders reaches inventory on one trace, which `threadline trace` shows', async () => {
    const [ordersPort, inventoryPort] = [await freePort(), await freePort()];
    const inventory = start('koa', example('@threadline/koa', 0, [LISTEN]), {
      PORT: String(inventoryPort),
    });
    const orders = start(
      'express',
      example('@threadline/express', 0, [
        LISTEN,
        {
          find: "'http://inventory:3000/reserve/sku-1'",
          insert: "process.env.INVENTORY_URL + '/reserve/sku-1'",
          why: 'no host is named inventory here (as written: TypeError: fetch failed, ENOTFOUND inventory, and a 500); the Koa example is that service',
        },
      ]),
      { PORT: String(ordersPort), INVENTORY_URL: `http://127.0.0.1:${inventoryPort}` },
    );
    await Promise.all([listening(inventoryPort, inventory), listening(ordersPort, orders)]);

    const { traceId, traceparent } = newTraceparent();
    const response = await fetch(`http://127.0.0.1:${ordersPort}/orders/42`, {
      method: 'POST',
      headers: { traceparent },
    });
    expect(response.status, orders.output()).toBe(200);
    expect(await response.json()).toEqual({ reserved: true });
    await Promise.all([orders.stop(), inventory.stop()]);

    const records = await recordsWhere(
      (record) => record.traceId === traceId,
      (found) => found.length >= 4,
      () => `${orders.output()}\n${inventory.output()}`,
    );
    const checkout = named(records, 'checkout started');
    expect(checkout).toMatchObject({
      service: 'orders',
      attributes: { 'http.request.method': 'POST', 'url.path': '/orders/42' },
    });
    expect(records.filter((r) => r.body === 'request completed').map((r) => r.attributes)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ 'http.route': '/orders/:id', 'http.response.status_code': 200 }),
        expect.objectContaining({
          'http.route': '/reserve/:sku',
          'http.response.status_code': 200,
        }),
      ]),
    );
    expect(named(records, 'reserving stock')).toMatchObject({
      service: 'inventory',
      parentSpanId: checkout.spanId,
    });

    const { stdout } = await run('npx', ['threadline', 'trace', traceId], {
      cwd: app.dir,
      timeout: 30_000,
    });
    expect(stdout).toContain(`trace ${traceId}: 4 records, 2 services`);
  });

  // The logger bridges (pino's transport runs in a worker thread that starts
  // a pipeline of its own): the example's line on stdout, and as a record.
  it.each([
    {
      entry: '@threadline/pino',
      readme: '@threadline/pino',
      index: 0,
      name: 'pino',
      edits: [],
      printed: { level: 30, orderId: 7, msg: 'loading order' },
    },
    {
      entry: '@threadline/pino/transport',
      readme: '@threadline/pino',
      index: 1,
      name: 'pino-transport',
      edits: [
        {
          find: 'top',
          insert:
            "import pino from 'pino';\nimport { threadlineStreamWrite } from '@threadline/pino';",
          why: 'the snippet uses the imports of the example above it',
        },
        {
          find: 'end',
          insert: "logger.info({ orderId: 7 }, 'loading order');",
          why: 'the snippet makes the logger; the test writes a line with it',
        },
      ],
      printed: { level: 30, orderId: 7, msg: 'loading order' },
    },
    {
      entry: '@threadline/winston',
      readme: '@threadline/winston',
      index: 0,
      name: 'winston',
      edits: [
        {
          find: 'end',
          insert: "logger.info('loading order', { orderId: 7 });",
          why: 'the example makes the logger and writes nothing with it',
        },
      ],
      printed: { level: 'info', message: 'loading order', orderId: 7 },
    },
  ])(
    '$entry: the line goes to stdout and, as a record, to threadline dev',
    async ({ readme, index, name, edits, printed }) => {
      const logger = start(name, example(readme, index, edits));
      const [line] = await exported(logger, ['loading order']);
      expect(JSON.parse(logger.stdout())).toMatchObject(printed);
      expect(line).toMatchObject({
        service: 'orders',
        severityText: 'INFO',
        attributes: { orderId: 7 },
      });
    },
  );

  it('@threadline/cron: one run of `nightly-report` is a trace of its own, started and completed', async () => {
    const cron = start(
      'cron',
      example('@threadline/cron', 0, [
        {
          find: 'top',
          insert: 'const syncPrices = async () => {};',
          why: 'the example leaves `syncPrices` to the reader (as written: ReferenceError: syncPrices is not defined)',
        },
        {
          find: 'end',
          insert: 'await nightly();',
          why: 'the schedules fire at 03:00 (and every minute); the test runs one run now',
        },
      ]),
    );
    const records = await recordsWhere(
      (record) =>
        ofExample('cron')(record) && record.attributes['threadline.job.name'] === 'nightly-report',
      (found) => bodies(found).includes('cron run completed'),
      cron.output,
    );
    await cron.stop();
    records.sort((a, b) => Number(BigInt(a.timeUnixNano) - BigInt(b.timeUnixNano)));
    expect(bodies(records)).toEqual(['cron run started', 'building report', 'cron run completed']);
    const [first] = records;
    expect(first?.traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const record of records) {
      expect(record).toMatchObject({
        service: 'reports',
        traceId: first?.traceId,
        attributes: {
          'threadline.cron.run_id': first?.attributes['threadline.cron.run_id'],
          'threadline.cron.schedule': '0 3 * * *',
        },
      });
    }
  });

  it('@threadline/bullmq: a job added in a request runs on the request’s trace (Redis at 127.0.0.1:6379)', async () => {
    const port = await freePort();
    const bullmq = start(
      'bullmq',
      example('@threadline/bullmq', 0, [
        {
          find: 'top',
          insert:
            "import { correlate } from '@threadline/express';\nimport express from 'express';",
          why: 'the example’s `app` is an Express app it does not show (as written: ReferenceError: app is not defined)',
        },
        {
          find: "startThreadline({ serviceName: 'orders' });",
          insert:
            "startThreadline({ serviceName: 'orders' });\nconst app = express();\napp.use(correlate());\napp.use(express.json());\napp.listen(Number(process.env.PORT));",
          why: 'the Express app, made as the Express README makes it',
        },
      ]),
      { PORT: String(port) },
    );
    await listening(port, bullmq);
    const { traceId, traceparent } = newTraceparent();
    const response = await fetch(`http://127.0.0.1:${port}/signup`, {
      method: 'POST',
      headers: { traceparent, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com' }),
    });
    expect(response.status, bullmq.output()).toBe(202);
    const records = await recordsWhere(
      (record) => record.traceId === traceId,
      (found) => bodies(found).includes('job completed'),
      bullmq.output,
    );
    await bullmq.stop();
    expect(named(records, 'sending welcome email')).toMatchObject({
      service: 'orders',
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'emails',
        'threadline.job.name': 'welcome',
        'threadline.job.attempt': 1,
      },
    });
    expect(bodies(records)).toEqual(
      expect.arrayContaining(['request completed', 'job started', 'job completed']),
    );
  });
});
