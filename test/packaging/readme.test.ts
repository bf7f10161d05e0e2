// The examples of the READMEs as published, read from the installed
// packages (the blocks marked `<!-- snippet: <name> -->` and those marked
// `continues` after them, read as test/readme reads them), and run as
// written by plain Node in the app, each in a folder of its own (core's,
// fenced as TypeScript, as a .mts file), exporting to `threadline dev`
// started from the installed @threadline/dev (its README's way: the
// `threadline` command, with `--port 0`, storing in the app's
// .threadline/dev.sqlite). Assertions read that store through the installed
// package's RecordStore.
//
// The examples listen on the ports their READMEs name (3000, 3001, 4318);
// the hook test/readme uses too moves each server to a free port and tells
// the test which, so that they run side by side, and beside other tests,
// without an edit. test/readme runs every block of the workspace's READMEs;
// this runs each package's first example (and pino's transport one) from the
// packages npm installed. Both run the bullmq example, whose queues in the
// machine's Redis have fixed names: turbo runs this test after test/readme.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RecordStore as Store, StoredRecord } from '@threadline/dev';
import { LISTEN_HOOK, type Listening, listening } from '@threadline/testing/listen';
import {
  extensionOf,
  type Program,
  programNamed,
  programsOf,
  snippetsIn,
} from '@threadline/testing/snippets';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run, userEnv } from './src/app.js';

const app = inject('app');
const fromApp = createRequire(join(app.dir, 'package.json'));
const { RecordStore } = fromApp('@threadline/dev') as typeof import('@threadline/dev');

interface Example {
  /** Its folder's and file's name, and the `test.example` resource attribute of its records. */
  name: string;
  child: ChildProcess;
  /** What it printed so far, stdout and stderr. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Where its servers listen, by the port its README asked for. */
  listening: Listening;
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
  let stderr = '';
  let all = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    all += chunk;
  });
  return { stdout: () => stdout, stderr: () => stderr, output: () => all };
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

/** The program of the block of `packageName`'s installed README marked `<!-- snippet: <name> -->`. */
function readme(packageName: string, name: string): Program {
  const file = join(app.dir, 'node_modules', packageName, 'README.md');
  const snippets = snippetsIn(readFileSync(file, 'utf8'), `${packageName}/README.md`);
  return programNamed(programsOf(snippets), name);
}

/**
 * Runs a program as `examples/<name>/<name>.<ext>`, in that folder (where a
 * relative path it names lands), exporting to the receiver, its records
 * marked with its name, its servers on free ports.
 */
function start(name: string, program: Program, env: Record<string, string> = {}): Example {
  const dir = join(app.dir, 'examples', name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.${extensionOf(program)}`);
  writeFileSync(file, program.code);
  const child = fork(file, [], {
    cwd: dir,
    execArgv: ['--import', LISTEN_HOOK],
    env: userEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_RESOURCE_ATTRIBUTES: `test.example=${name}`,
      ...env,
    }),
    stdio: 'pipe',
  });
  running.push(child);
  const { stdout, stderr, output } = watch(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    name,
    child,
    stdout,
    stderr,
    output,
    listening: listening(child, output),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Nothing went wrong that the example printed (an error, a Threadline diagnostic). */
function quiet(example: Example): void {
  expect(example.stderr(), example.output()).not.toMatch(/Error|\[threadline\]/);
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
  quiet(example);
  const records = await recordsWhere(
    ofExample(example.name),
    (found) => wanted.every((body) => bodies(found).includes(body)),
    example.output,
  );
  return wanted.map((body) => named(records, body));
}

const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
};

describe("each package's README example, run from the installed packages", () => {
  it('@threadline/core: `ready` and, in a scope, `slow payment` reach threadline dev', async () => {
    const core = start('core', readme('@threadline/core', 'quickstart'));
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
    const inventory = start('koa', readme('@threadline/koa', 'koa'));
    const inventoryPort = await inventory.listening.portOf(3001);
    // The Express example calls the Koa one at INVENTORY_URL (its README's
    // default, localhost:3001, is where the Koa example asked to listen).
    const orders = start('express', readme('@threadline/express', 'express'), {
      INVENTORY_URL: `http://127.0.0.1:${inventoryPort}`,
    });
    const ordersPort = await orders.listening.portOf(3000);

    const { traceId, traceparent } = newTraceparent();
    const response = await fetch(`http://127.0.0.1:${ordersPort}/orders/42`, {
      method: 'POST',
      headers: { traceparent },
    });
    expect(response.status, orders.output()).toBe(200);
    expect(await response.json()).toEqual({ reserved: true });
    await Promise.all([orders.stop(), inventory.stop()]);
    quiet(orders);
    quiet(inventory);

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

  it('@threadline/hono: a request continues its caller’s trace, and completes with its route', async () => {
    const catalog = start('hono', readme('@threadline/hono', 'hono'));
    const port = await catalog.listening.portOf(3002);
    const { traceId, traceparent } = newTraceparent();
    const response = await fetch(`http://127.0.0.1:${port}/products/42`, {
      headers: { traceparent },
    });
    expect(response.status, catalog.output()).toBe(200);
    expect(await response.json()).toEqual({ id: '42' });
    await catalog.stop();
    quiet(catalog);
    const records = await recordsWhere(
      (record) => record.traceId === traceId,
      (found) => found.length >= 2,
      catalog.output,
    );
    expect(named(records, 'loading product')).toMatchObject({
      service: 'catalog',
      attributes: { 'http.request.method': 'GET', 'url.path': '/products/42' },
    });
    expect(named(records, 'request completed').attributes).toMatchObject({
      'http.route': '/products/:id',
      'http.response.status_code': 200,
    });
  });

  it('@threadline/fastify: a request is on its trace, and request.log prints and exports its lines once through @threadline/pino', async () => {
    const catalog = start('fastify', readme('@threadline/fastify', 'fastify'));
    const withPino = start('fastify-pino', readme('@threadline/fastify', 'fastify-pino'));
    const first = newTraceparent();
    const second = newTraceparent();
    const answers = await Promise.all([
      fetch(`http://127.0.0.1:${await catalog.listening.portOf(3002)}/products/42`, {
        headers: { traceparent: first.traceparent },
      }),
      fetch(`http://127.0.0.1:${await withPino.listening.portOf(3003)}/products/42`, {
        headers: { traceparent: second.traceparent },
      }),
    ]);
    for (const answer of answers) expect(await answer.json()).toEqual({ id: '42' });
    await Promise.all([catalog.stop(), withPino.stop()]);
    quiet(catalog);
    quiet(withPino);

    const plain = await recordsWhere(
      (record) => record.traceId === first.traceId,
      (found) => found.length >= 2,
      catalog.output,
    );
    expect(named(plain, 'loading product').attributes).toMatchObject({
      'url.path': '/products/42',
    });
    expect(named(plain, 'request completed').attributes['http.route']).toBe('/products/:id');

    const bridged = await recordsWhere(
      (record) => record.traceId === second.traceId,
      (found) => found.length >= 2,
      withPino.output,
    );
    expect(bodies(bridged).sort()).toEqual(['loading product', 'request completed']);
    const printed = withPino
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((line) => line.reqId !== undefined);
    expect(printed.map((line) => [line.msg, line.trace_id])).toEqual([
      ['loading product', second.traceId],
      ['request completed', second.traceId],
    ]);
    expect(named(bridged, 'request completed').attributes).toMatchObject({
      reqId: printed[1]?.reqId,
      'http.route': '/products/:id',
    });
  });

  // The logger bridges (pino's transport runs in a worker thread that starts
  // a pipeline of its own): the example's line on stdout, and as a record.
  it.each([
    {
      entry: '@threadline/pino',
      readme: '@threadline/pino',
      name: 'pino',
      printed: { level: 30, orderId: 7, msg: 'loading order' },
    },
    {
      entry: '@threadline/pino/transport',
      readme: '@threadline/pino',
      name: 'pino-transport',
      printed: { level: 30, orderId: 7, msg: 'loading order' },
    },
    {
      entry: '@threadline/winston',
      readme: '@threadline/winston',
      name: 'winston',
      printed: { level: 'info', message: 'loading order', orderId: 7 },
    },
  ])('$entry: the line goes to stdout and, as a record, to threadline dev', async (bridge) => {
    const logger = start(bridge.name, readme(bridge.readme, bridge.name));
    const [line] = await exported(logger, ['loading order']);
    expect(JSON.parse(logger.stdout())).toMatchObject(bridge.printed);
    expect(line).toMatchObject({
      service: 'orders',
      severityText: 'INFO',
      attributes: { orderId: 7 },
    });
  });

  it('@threadline/cron: one run of `nightly-report` is a trace of its own, started and completed', async () => {
    const example = readme('@threadline/cron', 'cron');
    const cron = start('cron', example);
    const records = await recordsWhere(
      (record) =>
        ofExample('cron')(record) && record.attributes['threadline.job.name'] === 'nightly-report',
      (found) => bodies(found).includes('cron run completed'),
      cron.output,
    );
    await cron.stop();
    quiet(cron);
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
    const { Queue } = fromApp('bullmq') as {
      Queue: new (
        name: string,
        options: { connection: { host: string; port: number } },
      ) => { obliterate(options: { force: boolean }): Promise<void>; close(): Promise<void> };
    };
    // The example and its flow (`continues`): queues `emails` and `video`.
    const bullmq = start('bullmq', readme('@threadline/bullmq', 'bullmq'));
    try {
      const port = await bullmq.listening.portOf(3000);
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
      quiet(bullmq);
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
    } finally {
      await bullmq.stop();
      // What the example leaves in Redis: the flow's jobs, which no worker takes.
      for (const name of ['emails', 'video']) {
        const queue = new Queue(name, { connection: { host: '127.0.0.1', port: 6379 } });
        await queue.obliterate({ force: true });
        await queue.close();
      }
    }
  });

  it('@threadline/dev: the example stores `hello` and reads it back', async () => {
    const dev = start('dev', readme('@threadline/dev', 'dev'));
    expect(await dev.exited, dev.output()).toBe(0);
    quiet(dev);
    expect(dev.stdout()).toBe('hello\n');
  });
});
