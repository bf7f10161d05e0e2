/**
 * The module-system suite a logger bridge must pass: the same small service,
 * written as ESM (`fixtures/app.mjs`), as CommonJS (`fixtures/app.cjs`) and
 * bundled by esbuild from the ESM one, each run as its own process. Each
 * fixture logs `hello from <logger>` (with `answer: 42`) and a Threadline
 * line inside one hop, to stdout as JSON lines and to `process.env.ENDPOINT`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { type ReceivedRecord, startOtlpReceiver } from './receiver.js';

const run = promisify(execFile);

/** Registers the suite for the bridge whose fixtures are in `fixtures` (a folder URL ending in `/`). */
export function describeModuleSystems(loggerName: string, fixtures: URL): void {
  const fixture = (f: string) => fileURLToPath(new URL(f, fixtures));
  const dir = mkdtempSync(join(tmpdir(), `threadline-${loggerName}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function bundled(): Promise<string> {
    const outfile = join(dir, 'bundle.mjs');
    await build({
      entryPoints: [fixture('app.mjs')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      // CommonJS dependencies call require(): give the ESM bundle one.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    return outfile;
  }

  describe.each([
    ['ESM', () => Promise.resolve(fixture('app.mjs'))],
    ['CommonJS', () => Promise.resolve(fixture('app.cjs'))],
    ['an esbuild bundle', bundled],
  ])(`${loggerName} with the bridge, from %s`, (_kind, script) => {
    it('writes the ids on stdout that the exported records carry, with no duplicated id fields', async () => {
      const receiver = await startOtlpReceiver();
      try {
        const { stdout } = await run(process.execPath, [await script()], {
          env: { ...process.env, ENDPOINT: receiver.url, OTEL_SERVICE_NAME: '' },
        });
        const line = JSON.parse(stdout.trim().split('\n')[0] ?? '{}');
        expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
        const records = await receiver.waitForRecords(2);
        const bridged = records.find((r) => r.body === `hello from ${loggerName}`);
        const own = records.find((r) => r.body === 'and from Threadline');
        expect(bridged?.traceId).toBe(line.trace_id);
        expect(bridged?.spanId).toBe(line.span_id);
        expect(own?.traceId).toBe(line.trace_id);
        expect(bridged?.attributes).toMatchObject({
          answer: 42,
          'module.system': expect.any(String),
        });
        expect(bridged?.attributes).not.toHaveProperty('trace_id');
      } finally {
        await receiver.close();
      }
    }, 30_000);
  });
}

/** A stdout stand-in for a bridge's tests: the JSON lines written to `stream`, parsed, in `lines`. */
export function jsonLines(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, stream };
}

/**
 * What the frameworks suite needs: a logger of the bridge writing to a stdout
 * stand-in, the key its lines put the message under, and a `require` of the
 * bridge's test (`createRequire(import.meta.url)`): the frameworks and
 * Threadline's adapters are loaded through it, from the bridge's own
 * dependencies (this package depends on none of them).
 */
export interface FrameworksSuiteOptions {
  /** A fresh logger; `log(message, fields)` writes one INFO line; `lines` are its stdout lines, parsed. */
  bridged(): {
    log(message: string, fields?: Record<string, unknown>): void;
    lines: Array<Record<string, unknown>>;
  };
  /** The stdout field holding the message (`msg` for pino, `message` for winston). */
  messageKey: string;
  /** The records the pipeline exported so far. */
  exported(): Promise<ReceivedRecord[]>;
  require: NodeJS.Require;
}

/**
 * The frameworks a bridge is used inside, for pino and winston alike: a line
 * written in an Express request is on that request's trace with its
 * attributes, and a line written in a BullMQ job is on the trace of the
 * request that added the job, with the job on the record.
 */
export function describeInFrameworks(o: FrameworksSuiteOptions): void {
  const line = (lines: Array<Record<string, unknown>>, message: string) =>
    lines.find((l) => l[o.messageKey] === message);
  // biome-ignore lint/suspicious/noExplicitAny: modules loaded by name, typed by their use below
  const load = (name: string): any => o.require(name);
  const express = load('express');
  const supertest = load('supertest');
  const { Queue, Worker } = load('bullmq');
  const { correlate } = load('@threadline/express');
  const { correlateProcessor, threadlineTelemetry } = load('@threadline/bullmq');
  const { getTraceIds, withHopScope } = load('@threadline/core');

  it('puts lines written inside an Express request on that request’s trace, with its attributes', async () => {
    const { log, lines } = o.bridged();
    const app = express();
    app.use(correlate({ responseHeaders: { traceIdHeader: 'x-trace-id', requestId: true } }));
    app.get(
      '/orders/:id',
      (req: { params: Record<string, string> }, res: { send(b: string): void }) => {
        log('loading order', { orderId: req.params.id });
        res.send('ok');
      },
    );
    const res = await supertest(app).get('/orders/7');
    expect(res.headers['x-trace-id']).toMatch(/^[0-9a-f]{32}$/);
    const written = line(lines, 'loading order');
    expect(written?.trace_id).toBe(res.headers['x-trace-id']);
    expect(written?.['threadline.request.id']).toBe(res.headers['x-request-id']);
    const rec = (await o.exported()).find((r) => r.body === 'loading order');
    expect(rec?.traceId).toBe(res.headers['x-trace-id']);
    expect(rec?.spanId).toBe(written?.span_id);
    expect(rec?.attributes).toMatchObject({
      'url.path': '/orders/7',
      'http.request.method': 'GET',
      orderId: '7',
    });
  });

  it('puts lines written inside a BullMQ job on the trace of the request that added it, with the job on the record', async () => {
    const { log, lines } = o.bridged();
    const prefix = `tl-bridge-${process.pid}-${Date.now()}`;
    const connection = { host: '127.0.0.1', port: 6379 };
    const queue = new Queue('emails', { connection, prefix, telemetry: threadlineTelemetry() });
    let origin = '';
    try {
      const done = new Promise<void>((resolve) => {
        const worker = new Worker(
          'emails',
          correlateProcessor(async () => {
            log('sending from the job');
            setImmediate(() => void worker.close().then(() => resolve()));
          }),
          { connection, prefix },
        );
      });
      await withHopScope({}, async () => {
        origin = getTraceIds().traceId;
        await queue.add('welcome', {});
      });
      await done;
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    expect(origin).toMatch(/^[0-9a-f]{32}$/);
    const written = line(lines, 'sending from the job');
    expect(written?.trace_id).toBe(origin);
    expect(written?.['messaging.message.id']).toEqual(expect.any(String));
    const rec = (await o.exported()).find((r) => r.body === 'sending from the job');
    expect(rec?.traceId).toBe(origin);
    expect(rec?.spanId).toBe(written?.span_id);
    expect(rec?.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'emails',
      'threadline.job.name': 'welcome',
    });
  }, 20_000);
}
