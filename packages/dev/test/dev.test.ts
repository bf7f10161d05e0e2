import { type ChildProcess, execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTimeline, RecordStore, startDevReceiver } from '../src/index.js';
import { nodeVersionProblem } from '../src/node-version.js';
import { post } from './http.js';

const dir = mkdtempSync(join(tmpdir(), 'threadline-dev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRACE = '0af7651916cd43dd8448eb211c80319c';

/** Sends records the way an application using the official OpenTelemetry SDK does. */
async function sendWithOfficialExporter(url: string, protocol: 'json' | 'proto', gzip = false) {
  const settings = { url, ...(gzip ? { compression: 'gzip' as never } : {}) };
  const exporter = protocol === 'json' ? new JsonExporter(settings) : new ProtoExporter(settings);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': `sdk-${protocol}`,
      'service.version': '1.2.3',
    }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('probe');
  const context = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE,
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: false,
  });
  logger.emit({
    severityNumber: 9,
    severityText: 'INFO',
    body: `via ${protocol}${gzip ? ' gzip' : ''}`,
    attributes: { 'http.route': '/orders/:id', bytes: new Uint8Array([1, 2]) },
    context,
  });
  await provider.forceFlush();
  await provider.shutdown();
}

describe('threadline dev, the receiver', () => {
  it('stores what the official OTLP exporters send (JSON, protobuf, gzip) and reads a trace back', async () => {
    const store = new RecordStore(join(dir, 'exporters.sqlite'));
    const receiver = await startDevReceiver({ store, port: 0 });
    try {
      await sendWithOfficialExporter(receiver.url, 'json');
      await sendWithOfficialExporter(receiver.url, 'proto');
      await sendWithOfficialExporter(receiver.url, 'proto', true);
      const records = store.trace(TRACE);
      expect(records.map((r) => r.body)).toEqual(['via json', 'via proto', 'via proto gzip']);
      for (const r of records) {
        expect(r.spanId).toBe('b7ad6b7169203331');
        expect(r.serviceVersion).toBe('1.2.3');
        expect(r.attributes['http.route']).toBe('/orders/:id');
        expect(r.attributes.bytes).toBe(Buffer.from([1, 2]).toString('base64'));
      }
      expect(records.map((r) => r.service)).toEqual(['sdk-json', 'sdk-proto', 'sdk-proto']);
    } finally {
      await receiver.close();
      store.close();
    }
  });

  it('answers bad input with the OTLP status and keeps running, losing nothing already stored', async () => {
    const store = new RecordStore(join(dir, 'bad.sqlite'));
    const receiver = await startDevReceiver({ store, port: 0, maxBodyBytes: 1024 * 1024 });
    try {
      await sendWithOfficialExporter(receiver.url, 'proto');
      const pb = { 'content-type': 'application/x-protobuf' };
      expect(await post(receiver.url, Buffer.from('garbage, not protobuf'), pb)).toBe(400);
      // A truncated message: a length prefix promising more bytes than follow.
      expect(await post(receiver.url, Buffer.from([0x0a, 0x7f, 0x0a]), pb)).toBe(400);
      expect(
        await post(receiver.url, Buffer.from('{not json'), { 'content-type': 'application/json' }),
      ).toBe(400);
      expect(await post(receiver.url, Buffer.from('x'), { 'content-type': 'text/plain' })).toBe(
        415,
      );
      expect(await post(receiver.url, Buffer.alloc(2 * 1024 * 1024), pb)).toBe(413);
      // A gzip bomb: small on the wire, past the limit once inflated.
      const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
      expect(await post(receiver.url, bomb, { ...pb, 'content-encoding': 'gzip' })).toBe(413);
      await sendWithOfficialExporter(receiver.url, 'json');
      expect(store.trace(TRACE).map((r) => r.body)).toEqual(['via proto', 'via json']);
    } finally {
      await receiver.close();
      store.close();
    }
  });

  it('refuses a 100 MB body with 413 at the default limit, and keeps running', async () => {
    const store = new RecordStore(':memory:');
    const receiver = await startDevReceiver({ store, port: 0 });
    try {
      const huge = Buffer.alloc(100 * 1024 * 1024);
      expect(await post(receiver.url, huge, { 'content-type': 'application/x-protobuf' })).toBe(
        413,
      );
      await sendWithOfficialExporter(receiver.url, 'proto');
      expect(store.count()).toBe(1);
    } finally {
      await receiver.close();
      store.close();
    }
  });

  it('answers 503 (retryable) when the store cannot be written, and keeps what it has', async () => {
    const path = join(dir, 'readonly.sqlite');
    const writable = new RecordStore(path);
    const first = await startDevReceiver({ store: writable, port: 0 });
    await sendWithOfficialExporter(first.url, 'proto');
    await first.close();
    writable.close();

    const reports: string[] = [];
    const store = new RecordStore(path, { readOnly: true });
    const receiver = await startDevReceiver({ store, port: 0, report: (l) => reports.push(l) });
    try {
      const { encodeProto } = await protoBody();
      expect(
        await post(receiver.url, encodeProto, { 'content-type': 'application/x-protobuf' }),
      ).toBe(503);
      expect(reports.join('\n')).toMatch(/could not store 1 records/);
      expect(store.trace(TRACE).map((r) => r.body)).toEqual(['via proto']);
    } finally {
      await receiver.close();
      store.close();
    }
  });
});

/** One protobuf export body, as the official proto exporter would send it. */
async function protoBody(): Promise<{ encodeProto: Buffer }> {
  const { ProtobufLogsSerializer } = await import('@opentelemetry/otlp-transformer');
  const record = {
    hrTime: [1_700_000_000, 0],
    hrTimeObserved: [1_700_000_000, 0],
    spanContext: { traceId: TRACE, spanId: 'b7ad6b7169203331', traceFlags: 1 },
    severityNumber: 9,
    severityText: 'INFO',
    body: 'hand made',
    attributes: {},
    droppedAttributesCount: 0,
    instrumentationScope: { name: 'probe' },
    resource: resourceFromAttributes({ 'service.name': 'probe' }),
  };
  return {
    encodeProto: Buffer.from(ProtobufLogsSerializer.serializeRequest([record as never]) ?? []),
  };
}

describe('the threadline command', () => {
  const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
  /** `threadline errors --each` on a store, one failure a line. */
  const errorsEach = (db: string, ...more: string[]) =>
    promisify(execFile)(process.execPath, [cli, 'errors', '--each', ...more, '--db', db]);

  it('runs `threadline dev`, then prints a trace as a timeline with hops indented', async () => {
    const db = join(dir, 'cli.sqlite');
    const dev: ChildProcess = fork(cli, ['dev', '--port', '0', '--db', db], { stdio: 'pipe' });
    const [ready] = (await once(dev, 'message')) as [{ url: string }];
    await sendWithOfficialExporter(ready.url, 'proto');
    dev.kill('SIGTERM');
    await once(dev, 'exit');
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      'trace',
      TRACE,
      '--db',
      db,
    ]);
    expect(stdout).toMatch(new RegExp(`^trace ${TRACE}: 1 record, 1 service\n`));
    expect(stdout).toMatch(
      /sdk-proto@1\.2\.3 \[b7ad6b71\] INFO {2}via proto {2}route=\/orders\/:id/,
    );
  });

  it('`threadline errors` says what became of a failed job attempt: retried and completed, to be retried, failed for good', async () => {
    const db = join(dir, 'job-errors.sqlite');
    const store = new RecordStore(db);
    let n = 0;
    const job = (
      traceId: string,
      jobId: string,
      body: string,
      attempt: number,
      extra: Record<string, unknown> = {},
    ) => ({
      resource: { 'service.name': 'worker' },
      scope: { name: 'threadline.bullmq' },
      timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(++n) * 1_000_000n),
      observedTimeUnixNano: '0',
      severityNumber: body === 'job failed' ? 17 : 9,
      severityText: body === 'job failed' ? 'ERROR' : 'INFO',
      body,
      attributes: {
        'messaging.destination.name': 'emails',
        'messaging.message.id': jobId,
        'threadline.job.attempt': attempt,
        'threadline.job.max_attempts': 3,
        ...extra,
      },
      traceId,
      spanId: 'b'.repeat(16),
      flags: 1,
      eventName: '',
      droppedAttributesCount: 0,
    });
    store.add([
      // Job 1 fails once, then completes on its second attempt.
      job('1'.repeat(32), '1', 'job failed', 1, { 'threadline.job.will_retry': true }),
      job('1'.repeat(32), '1', 'job completed', 2),
      // Job 2 fails on every attempt.
      job('2'.repeat(32), '2', 'job failed', 1, { 'threadline.job.will_retry': true }),
      job('2'.repeat(32), '2', 'job failed', 2, { 'threadline.job.will_retry': true }),
      job('2'.repeat(32), '2', 'job failed', 3, { 'threadline.job.will_retry': false }),
      // Job 3 failed once and waits for its next attempt.
      job('3'.repeat(32), '3', 'job failed', 1, { 'threadline.job.will_retry': true }),
      // A job of the same id in another queue does not answer for job 3.
      job('4'.repeat(32), '3', 'job completed', 2, { 'messaging.destination.name': 'sms' }),
    ]);
    store.close();
    const { stdout } = await errorsEach(db);
    const jobLines = stdout.split('\n').filter((l) => l.startsWith('    job: '));
    expect(jobLines).toEqual([
      '    job: to be retried (attempt 1 of 3 failed)',
      '    job: failed for good on attempt 3 of 3',
      '    job: retried, completed on attempt 2 of 3',
    ]);
    const json = (await errorsEach(db, '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.map((r) => r.job)).toEqual([
      { state: 'retrying', attempt: 1, maxAttempts: 3 },
      { state: 'failed', attempt: 3, maxAttempts: 3 },
      { state: 'completed', attempt: 2, maxAttempts: 3 },
    ]);
  });

  it('lists recent failures one per trace with `threadline errors --each`, and follows new records with `threadline tail`', async () => {
    const db = join(dir, 'errors.sqlite');
    const store = new RecordStore(db);
    const rec = (
      n: number,
      traceId: string,
      severityNumber: number,
      body: string,
      service = 'orders',
    ) => ({
      resource: { 'service.name': service },
      scope: { name: 's' },
      timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n),
      observedTimeUnixNano: '0',
      severityNumber,
      severityText: severityNumber >= 17 ? 'ERROR' : 'INFO',
      body,
      attributes: {},
      traceId,
      spanId: 'a'.repeat(16),
      flags: 1,
      eventName: '',
      droppedAttributesCount: 0,
    });
    store.add([
      rec(1, '1'.repeat(32), 9, 'fine'),
      rec(2, '2'.repeat(32), 17, 'payment declined'),
      rec(3, '2'.repeat(32), 17, 'request completed'),
      rec(4, '3'.repeat(32), 17, 'cron run failed', 'reports'),
    ]);
    const { stdout } = await errorsEach(db);
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/reports \[aaaaaaaa\] ERROR cron run failed/),
      // The command that shows the story reads the same store.
      `    threadline trace ${'3'.repeat(32)} --db ${db}`,
      expect.stringMatching(/orders \[aaaaaaaa\] ERROR payment declined/),
      `    threadline trace ${'2'.repeat(32)} --db ${db}`,
    ]);

    const tail = fork(cli, ['tail', '--level', 'error', '--service', 'orders', '--db', db], {
      stdio: 'pipe',
    });
    let out = '';
    tail.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // The CLI's own start-up comes first: past poll's default second on a loaded CI machine.
    await expect.poll(() => out, { timeout: 15_000 }).toMatch(/request completed/);
    store.add([
      rec(5, '4'.repeat(32), 21, 'disk full'),
      rec(6, '4'.repeat(32), 9, 'ignored: info'),
    ]);
    await expect.poll(() => out, { timeout: 3000 }).toMatch(/disk full {2}trace=4{32}/);
    // Stored out of time order (as exports of two services can be): printed in time order.
    store.add([rec(9, '5'.repeat(32), 17, 'later'), rec(8, '5'.repeat(32), 17, 'earlier')]);
    await expect.poll(() => out, { timeout: 3000 }).toMatch(/later/);
    expect(out.indexOf('earlier')).toBeGreaterThan(-1);
    expect(out.indexOf('earlier')).toBeLessThan(out.indexOf('later'));
    tail.kill('SIGINT');
    expect(out).not.toMatch(/fine|ignored|cron run failed/);
    store.close();
  });

  it('says how to start the page and point apps at it, answers --help for every command, and --json', async () => {
    const run = promisify(execFile);
    const db = join(dir, 'cli-more.sqlite');
    const dev: ChildProcess = fork(cli, ['dev', '--port', '0', '--db', db], { stdio: 'pipe' });
    let out = '';
    dev.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const [ready] = (await once(dev, 'message')) as [{ url: string }];
    const origin = ready.url.replace('/v1/logs', '');
    await sendWithOfficialExporter(ready.url, 'proto');
    await expect.poll(() => out).toContain(`in your apps: OTEL_EXPORTER_OTLP_ENDPOINT=${origin}`);
    expect(out).toContain(`the page:     ${origin}/`);
    dev.kill('SIGTERM');
    await once(dev, 'exit');

    for (const command of ['dev', 'trace', 'tail', 'errors']) {
      // tail --help must print and end, not start following.
      const { stdout } = await run(process.execPath, [cli, command, '--help'], { timeout: 10_000 });
      expect(stdout).toMatch(new RegExp(`^threadline ${command} `));
    }
    expect((await run(process.execPath, [cli, '--help'])).stdout).toMatch(/^usage:/);

    // Options may come before the trace id.
    const json = (await run(process.execPath, [cli, 'trace', '--db', db, '--json', TRACE])).stdout;
    const [record] = json
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(record).toMatchObject({ traceId: TRACE, body: 'via proto', depth: 0 });
    expect((await run(process.execPath, [cli, 'errors', '--json', '--db', db])).stdout).toBe('');
    await expect(
      run(process.execPath, [cli, 'trace', 'f'.repeat(32), '--db', db]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no records of trace f{32} in \//),
    });
  }, 30_000);

  it('says where it looked when there is no store', async () => {
    const run = promisify(execFile);
    await expect(run(process.execPath, [cli, 'errors'], { cwd: dir })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /no store at \/.*\.threadline\/dev\.sqlite: run `threadline dev` in this folder first, or name the store with --db PATH/,
      ),
    });
  });

  it('fails with usage on a bad command line', async () => {
    const run = promisify(execFile);
    await expect(run(process.execPath, [cli, 'trace', 'not-an-id'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/trace needs a trace id/),
    });
    await expect(run(process.execPath, [cli, 'explode'])).rejects.toMatchObject({ code: 2 });
    // A typo in an option, an argument too many, help on no command: said, not ignored.
    await expect(run(process.execPath, [cli, 'trace', TRACE, '--jsn'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/trace has no option --jsn/),
    });
    await expect(run(process.execPath, [cli, 'trace', TRACE, TRACE])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/trace takes no argument/),
    });
    await expect(run(process.execPath, [cli, 'errors', '--frob'])).rejects.toMatchObject({
      code: 2,
    });
    await expect(run(process.execPath, [cli, 'help', 'bogus'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command "bogus"/),
    });
  });
});

describe('the Node version check', () => {
  it('refuses a Node without node:sqlite, saying which is needed', () => {
    expect(nodeVersionProblem('20.20.2')).toBe(
      "this is Node 20.20.2; threadline needs Node 22.15.0 or newer (its store is Node's built-in node:sqlite)",
    );
    expect(nodeVersionProblem('22.14.0')).toMatch(/needs Node 22\.15\.0/);
    for (const ok of ['22.15.0', '22.20.1', '23.0.0', '24.21.0', '30.1.0']) {
      expect(nodeVersionProblem(ok)).toBeUndefined();
    }
  });
});

describe('formatTimeline', () => {
  it('indents each hop under its parent, and a linked trace under the hop that started it', () => {
    const base = {
      severityNumber: 9,
      severityText: 'INFO',
      attributes: {},
      resource: {},
      scope: 's',
      serviceVersion: '',
      linkTraceId: '',
      parentSpanId: '',
    };
    const lines = formatTimeline([
      {
        ...base,
        id: 1,
        timeUnixNano: '1000000000',
        body: 'request',
        traceId: TRACE,
        spanId: 'a'.repeat(16),
        service: 'orders',
      },
      {
        ...base,
        id: 2,
        timeUnixNano: '2000000000',
        body: 'reserve',
        traceId: TRACE,
        spanId: 'b'.repeat(16),
        parentSpanId: 'a'.repeat(16),
        service: 'inventory',
      },
      {
        ...base,
        id: 3,
        timeUnixNano: '3000000000',
        body: 'job',
        traceId: 'f'.repeat(32),
        spanId: 'c'.repeat(16),
        linkTraceId: TRACE,
        service: 'worker',
      },
    ]);
    expect(lines[0]).toBe(`trace ${TRACE} (+1 linked): 3 records, 3 services`);
    expect(lines[1]).toMatch(/^\S+ orders \[aaaaaaaa\]/);
    expect(lines[2]).toMatch(/^\S+ {3}inventory \[bbbbbbbb\]/);
    expect(lines[3]).toMatch(/^\S+ {3}worker \[cccccccc\]/);
  });
});
