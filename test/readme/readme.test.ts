/**
 * Every JavaScript and TypeScript block of every README, run as written: each
 * in a Node process of its own (TypeScript by Node's type stripping), its
 * imports resolved from this package (the workspace's packages and the
 * libraries the READMEs name), exporting to a real OTLP receiver. A block is
 * one program, or `<!-- snippet: continues -->` marks it as the rest of the
 * block before it. A block named with `<!-- snippet: <name> -->` also has its
 * README's claims checked by the scenario of that name below.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type OtlpReceiver, type ReceivedRecord, startOtlpReceiver } from '@threadline/testing';
import { LISTEN_HOOK, type Listening, listening } from '@threadline/testing/listen';
import {
  extensionOf,
  type Program,
  programNamed,
  programsOf,
  snippetsOf,
} from '@threadline/testing/snippets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '../..');
const SCRATCH = path.join(HERE, '.snippets');
/** A program that has not ended by then is a service: it is left running for its scenario, then stopped. */
const SETTLE_MS = 2500;

const FILES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'packages'))
    .map((p) => `packages/${p}/README.md`)
    .sort(),
];

/** One program a block, continuation blocks appended to theirs. */
const ALL = FILES.flatMap((file) => programsOf(snippetsOf(ROOT, file)));

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Where its servers listen, by the port the README asked for. */
  listening: Listening;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the program ended by itself, or was still running after SETTLE_MS. */
  settled: Promise<'ended' | 'running'>;
}

let receiver: OtlpReceiver;
const started: ChildProcess[] = [];
const folders: string[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  rmSync(SCRATCH, { recursive: true, force: true });
  mkdirSync(SCRATCH, { recursive: true });
});
afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await receiver?.close();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

function start(p: Program, env: Record<string, string> = {}): Running {
  const file = path.join(SCRATCH, `${p.id}.${extensionOf(p)}`);
  writeFileSync(file, `// ${p.file}:${p.line}\n${p.code}`);
  const { NODE_PATH: _, OTEL_SERVICE_NAME: __, ...inherited } = process.env;
  // A folder of its own to run in: a README's relative paths (a store, a log file) land there.
  const cwd = mkdtempSync(path.join(tmpdir(), 'threadline-snippet-'));
  folders.push(cwd);
  const child = fork(file, [], {
    cwd,
    execArgv: ['--import', LISTEN_HOOK, '--disable-warning=ExperimentalWarning'],
    env: {
      ...inherited,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      ...env,
    },
    stdio: 'pipe',
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const settled = Promise.race([
    exited.then(() => 'ended' as const),
    new Promise<'running'>((r) => setTimeout(() => r('running'), SETTLE_MS)),
  ]);
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    listening: listening(child, () => stderr),
    exited,
    settled,
  };
}

/** Stops a program still running (SIGTERM: Threadline flushes, then the signal ends it). */
async function stop(r: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  return r.exited;
}

/** Runs a program to its end (or its settling), checks it did not fail, and stops it. */
async function runToEnd(p: Program, env: Record<string, string> = {}): Promise<Running> {
  const r = start(p, env);
  const how = await r.settled;
  const { code, signal } = await stop(r);
  const where = `${p.file}:${p.line}\n--- stderr\n${r.stderr()}\n--- stdout\n${r.stdout()}`;
  if (how === 'ended') expect(code, where).toBe(0);
  else expect(signal ?? code, where).toBe('SIGTERM');
  expect(r.stderr(), where).not.toMatch(/Error|\[threadline\]/);
  return r;
}

/**
 * Runs a program that ends by itself (a script, not a service) and checks
 * it ended well: however slow the machine, it is not stopped early.
 */
async function runScript(p: Program): Promise<Running> {
  const r = start(p);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 30_000);
  const { code } = await r.exited;
  clearTimeout(timer);
  const where = `${p.file}:${p.line}\n--- stderr\n${r.stderr()}\n--- stdout\n${r.stdout()}`;
  expect(code, where).toBe(0);
  expect(r.stderr(), where).not.toMatch(/Error|\[threadline\]/);
  return r;
}

function service(name: string, body: string): ReceivedRecord[] {
  return receiver.records.filter((r) => r.resource['service.name'] === name && r.body === body);
}

async function recordOf(name: string, body: string): Promise<ReceivedRecord> {
  await expect.poll(() => service(name, body).length, { timeout: 10_000 }).toBeGreaterThan(0);
  return service(name, body).at(-1) as ReceivedRecord;
}

async function request(port: number, pathname: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${pathname}`, init);
}

/** Runs a service program while `use` talks to it, then stops it and checks it did not fail. */
async function withService(
  p: Program,
  use: (r: Running) => Promise<void>,
  env: Record<string, string> = {},
): Promise<Running> {
  const r = start(p, env);
  try {
    await use(r);
  } finally {
    const { code, signal } = await stop(r);
    expect(signal ?? code, `${p.file}:${p.line}\n${r.stderr()}`).toBe('SIGTERM');
  }
  expect(r.stderr(), `${p.file}:${p.line}`).not.toMatch(/Error|\[threadline\]/);
  return r;
}

/** What the README around each named block promises, checked. */
const SCENARIOS: Record<string, (p: Program) => Promise<void>> = {
  async quickstart(p) {
    await runScript(p);
    const ready = await recordOf('orders', 'ready');
    expect(ready.attributes).toMatchObject({ port: 3000 });
    const slow = await recordOf('orders', 'slow payment');
    expect(slow.attributes).toMatchObject({ 'tenant.id': 't-42', 'payment.duration_ms': 812 });
    // Outside a request, a job or a cron run: no trace ids, as the README says.
    expect(slow.traceId).toBe('');
  },

  async 'express-hello'(p) {
    await withService(p, async (r) => {
      const res = await request(await r.listening.portOf(3000), '/orders/42');
      expect(await res.json()).toEqual({ id: '42' });
    });
    const line = await recordOf('orders', 'loading order');
    const done = await recordOf('orders', 'request completed');
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(done.traceId).toBe(line.traceId);
    expect(done.attributes).toMatchObject({
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
    });
  },

  async koa(p) {
    await withService(p, async (r) => {
      const res = await request(await r.listening.portOf(3001), '/reserve/sku-1');
      expect(await res.json()).toEqual({ reserved: true });
    });
    const line = await recordOf('inventory', 'reserving stock');
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect((await recordOf('inventory', 'request completed')).attributes['http.route']).toBe(
      '/reserve/:sku',
    );
  },

  async hono(p) {
    await withService(p, async (r) => {
      const res = await request(await r.listening.portOf(3002), '/products/42');
      expect(await res.json()).toEqual({ id: '42' });
      expect((await request(await r.listening.portOf(3002), '/healthz')).status).toBe(200);
    });
    const line = await recordOf('catalog', 'loading product');
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    const done = service('catalog', 'request completed');
    // `/healthz` is ignored: one completed line.
    expect(done.map((r) => r.attributes['http.route'])).toEqual(['/products/:id']);
    expect(done[0]?.traceId).toBe(line.traceId);
  },

  async 'hono-request'(p) {
    const r = await runScript(p);
    expect(r.stdout()).toBe("4bf92f3577b34da6a3ce929d0e0e4736 { id: '7' }\n");
    const line = await recordOf('catalog', 'loading product');
    expect(line.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const done = await recordOf('catalog', 'request completed');
    expect(done.traceId).toBe(line.traceId);
    expect(done.attributes['http.route']).toBe('/products/:id');
  },

  async fastify(p) {
    await withService(p, async (r) => {
      const port = await r.listening.portOf(3002);
      expect(await (await request(port, '/products/42')).json()).toEqual({ id: '42' });
      expect(await (await request(port, '/healthz')).text()).toBe('ok');
    });
    const line = await recordOf('catalog', 'loading product');
    const done = service('catalog', 'request completed');
    expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/products/42',
      'threadline.request.id': expect.any(String),
    });
    // `/healthz` is ignored: one completed line, the product's.
    expect(done.map((r) => [r.traceId, r.attributes['http.route']])).toEqual([
      [line.traceId, '/products/:id'],
    ]);
  },

  async 'fastify-pino'(p) {
    const r = await withService(p, async (r) => {
      const res = await request(await r.listening.portOf(3003), '/products/42');
      expect(await res.json()).toEqual({ id: '42' });
    });
    const printed = r
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.reqId !== undefined); // Fastify's `Server listening at …` has none
    expect(printed.map((l) => l.msg)).toEqual(['loading product', 'request completed']);
    const [loading, completed] = printed;
    expect(loading).toMatchObject({ level: 30, reqId: 'req-1', productId: '42' });
    expect(completed).toMatchObject({
      reqId: 'req-1',
      'http.route': '/products/:id',
      'http.response.status_code': 200,
      trace_id: loading.trace_id,
      span_id: loading.span_id,
    });
    // Each printed line exported once, on the ids it printed.
    await recordOf('catalog', 'request completed');
    const records = receiver.records.filter(
      (x) => x.resource['service.name'] === 'catalog' && x.attributes.reqId !== undefined,
    );
    expect(records.map((x) => [x.body, x.traceId, x.spanId])).toEqual([
      ['loading product', loading.trace_id, loading.span_id],
      ['request completed', loading.trace_id, loading.span_id],
    ]);
  },

  /** The Express example calls the Koa one: one trace across both services. */
  async express(p) {
    await withService(programNamed(ALL, 'koa'), async (inventory) => {
      const url = `http://127.0.0.1:${await inventory.listening.portOf(3001)}`;
      await withService(
        p,
        async (orders) => {
          const res = await request(await orders.listening.portOf(3000), '/orders/42', {
            method: 'POST',
          });
          expect(await res.json()).toEqual({ reserved: true });
        },
        { INVENTORY_URL: url },
      );
    });
    const checkout = await recordOf('orders', 'checkout started');
    const reserving = await recordOf('inventory', 'reserving stock');
    expect(reserving.traceId).toBe(checkout.traceId);
    expect(reserving.attributes['threadline.parent_span_id']).toBe(checkout.spanId);
  },

  async bullmq(p) {
    const { Queue } = await import('bullmq');
    try {
      await withService(p, async (r) => {
        const res = await request(await r.listening.portOf(3000), '/signup', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'ann@example.com' }),
        });
        expect(res.status).toBe(202);
        await recordOf('orders', 'sending welcome email');
      });
      const job = await recordOf('orders', 'sending welcome email');
      const signup = service('orders', 'request completed').find(
        (r) => r.attributes['http.route'] === '/signup',
      );
      expect(job.traceId).toBe(signup?.traceId);
      expect(job.attributes).toMatchObject({
        'messaging.destination.name': 'emails',
        'threadline.job.attempt': 1,
      });
    } finally {
      for (const name of ['emails', 'video']) {
        const q = new Queue(name, { connection: { host: '127.0.0.1', port: 6379 } });
        await q.obliterate({ force: true });
        await q.close();
      }
    }
  },

  async cron(p) {
    await runToEnd(p);
    const started = await recordOf('reports', 'cron run started');
    const completed = await recordOf('reports', 'cron run completed');
    const building = await recordOf('reports', 'building report');
    // One run: a trace of its own, with its run id on every line.
    expect(started.traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const r of [completed, building]) {
      expect(r.traceId).toBe(started.traceId);
      expect(r.attributes['threadline.cron.run_id']).toBe(
        started.attributes['threadline.cron.run_id'],
      );
    }
    expect(started.attributes['threadline.job.name']).toBe('nightly-report');
  },

  async logger(p) {
    await runScript(p);
    expect((await recordOf('orders', 'order placed')).attributes).toMatchObject({
      orderId: 'o-1',
      items: 3,
    });
    await expect.poll(() => service('orders', 'payment failed').length).toBe(2);
    const [plain, withOthers] = service('orders', 'payment failed');
    for (const r of [plain, withOthers]) {
      expect(r?.attributes).toMatchObject({
        'exception.type': 'Error',
        'exception.message': 'card declined',
      });
      expect(r?.attributes['exception.stacktrace']).toContain('gateway timeout');
    }
    expect(withOthers?.attributes.orderId).toBe('o-1');
    expect((await recordOf('orders', 'slow query')).scope.name).toBe('orders.db');
    expect((await recordOf('orders', 'invoice sent')).attributes.component).toBe('billing');
  },

  async scopes(p) {
    const r = await runScript(p);
    expect((await recordOf('orders', 'cart loaded')).attributes).toMatchObject({
      'tenant.id': 't-42',
      'user.id': 'u-7',
    });
    expect(r.stdout()).toBe("{ 'tenant.id': 't-42', 'user.id': 'u-7' }\nundefined\n");
  },

  async propagation(p) {
    const r = await runScript(p);
    const line = await recordOf('gateway', 'handling');
    expect(line.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(line.attributes['threadline.parent_span_id']).toBe('00f067aa0ba902b7');
    expect(line.spanId).not.toBe('00f067aa0ba902b7');
    const call = /traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-([0-9a-f]{16})-01'/.exec(
      r.stdout(),
    )?.[1];
    expect(call).toBeDefined();
    expect(call).not.toBe(line.spanId);
    expect(r.stdout()).toContain(`tracestate: 'threadline=${line.spanId}.${call}'`);
    expect(r.stdout()).toContain("'content-type': 'application/json'");
  },

  async 'http-correlator'(p) {
    await withService(p, async (r) => {
      const res = await request(await r.listening.portOf(3000), '/hello');
      expect(await res.text()).toBe('ok');
    });
    const hello = await recordOf('hello', 'hello');
    const done = await recordOf('hello', 'request completed');
    expect(done.traceId).toBe(hello.traceId);
    expect(done.attributes['http.route']).toBe('/hello');
    expect(hello.attributes['threadline.request.id']).toBeTypeOf('string');
  },

  async redaction(p) {
    await runScript(p);
    expect((await recordOf('orders', 'customer checked')).attributes).toEqual({
      ssn: '[REDACTED]',
      cardLast4: '[REDACTED]',
      secret_name: 'stripe-live',
    });
  },

  async pino(p) {
    const r = await runScript(p);
    const line = JSON.parse(r.stdout().trim());
    expect(line).toMatchObject({ level: 30, orderId: 7, msg: 'loading order' });
    expect(line).not.toHaveProperty('trace_id'); // outside a request, as the README says
    expect((await recordOf('orders', 'loading order')).attributes).toMatchObject({ orderId: 7 });
  },

  async 'pino-transport'(p) {
    const r = await runScript(p);
    expect(JSON.parse(r.stdout().trim())).toMatchObject({ orderId: 7, msg: 'loading order' });
    expect((await recordOf('orders', 'loading order')).attributes).toMatchObject({ orderId: 7 });
  },

  async winston(p) {
    const r = await runScript(p);
    expect(JSON.parse(r.stdout().trim())).toMatchObject({
      level: 'info',
      message: 'loading order',
      orderId: 7,
    });
    expect((await recordOf('orders', 'loading order')).attributes).toMatchObject({ orderId: 7 });
  },

  async dev(p) {
    const r = await runScript(p);
    expect(r.stdout()).toBe('hello\n');
  },
};

describe('README blocks, run as written', () => {
  it('finds the blocks', () => {
    expect(ALL.length).toBeGreaterThan(10);
  });

  for (const p of ALL.filter((x) => x.from !== undefined)) {
    it(`${p.file}:${p.line} is an excerpt of ${p.from}`, () => {
      // Compared without whitespace: the README may join lines the formatter splits.
      const file = readFileSync(path.join(ROOT, p.from as string), 'utf8').replace(/\s+/g, '');
      let at = 0;
      for (const line of p.code.split('\n')) {
        const piece = line.replace(/\s+/g, '');
        if (piece === '') continue;
        const found = file.indexOf(piece, at);
        expect(
          found,
          `${p.file}:${p.line}: ${JSON.stringify(line)} not in ${p.from} (in order)`,
        ).toBeGreaterThanOrEqual(0);
        at = found + piece.length;
      }
    });
  }

  for (const p of ALL.filter((x) => x.from === undefined)) {
    it(`${p.file}:${p.line}${p.name ? ` (${p.name})` : ''}`, async () => {
      const scenario = p.name ? SCENARIOS[p.name] : undefined;
      if (p.name && !scenario) throw new Error(`no scenario named ${p.name}`);
      receiver.reset();
      if (scenario) await scenario(p);
      else await runToEnd(p);
    }, 60_000);
  }
});
