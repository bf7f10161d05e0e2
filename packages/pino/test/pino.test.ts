import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker as WorkerThread } from 'node:worker_threads';
import { getTraceIds, startThreadline, withHopScope } from '@threadline/core';
import { startOtlpReceiver } from '@threadline/testing';
import { describeInFrameworks, jsonLines } from '@threadline/testing/bridge-suite';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  threadlineDestination,
  threadlineMixin,
  threadlineOptions,
  threadlineStreamWrite,
} from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'pino-test',
    endpoint,
    ...QUIET,
  }),
);

type FieldOptions = Parameters<typeof threadlineMixin>[0];

/** The two ways of writing the trace fields onto lines, as pino options. */
const WAYS: Record<string, (options?: FieldOptions) => pino.LoggerOptions> = {
  'threadlineOptions()': (options) => threadlineOptions(options),
  'threadlineMixin()': (options) => ({ mixin: threadlineMixin(options) }),
  // Without the mixin, the destination parses every line.
  'threadlineStreamWrite()': (options) => ({
    hooks: { streamWrite: threadlineStreamWrite(options) },
  }),
};

describe.each(Object.keys(WAYS))('@threadline/pino, fields written by %s', (way) => {
  const fieldOptions = WAYS[way] as (options?: FieldOptions) => pino.LoggerOptions;

  function bridged(options: FieldOptions = {}, pinoOptions: pino.LoggerOptions = {}) {
    const out = jsonLines();
    const logger = pino(
      { ...fieldOptions(options), ...pinoOptions },
      pino.multistream([{ stream: out.stream }, { stream: threadlineDestination(options) }]),
    );
    return { logger, lines: out.lines };
  }

  it.each([
    ['otel', ['trace_id', 'span_id', 'trace_flags']],
    ['ecs', ['trace.id', 'span.id']],
    ['datadog', ['dd.trace_id', 'dd.span_id']],
  ] as const)('writes the %s profile’s exact field names on stdout lines', (profile, names) => {
    const { logger, lines } = bridged({ profile });
    logger.info('outside any trace');
    withHopScope({}, () => logger.info('inside'));
    const [outside, inside] = lines;
    for (const n of names) expect(outside).not.toHaveProperty([n]);
    expect(
      Object.keys(inside ?? {})
        .filter((k) => names.includes(k as never))
        .sort(),
    ).toEqual([...names].sort());
    if (profile === 'datadog') {
      expect(inside?.['dd.trace_id']).toMatch(/^\d+$/);
      expect(inside?.['dd.span_id']).toMatch(/^\d+$/);
    }
  });

  it('writes custom field names, and the scope’s ids when asked', () => {
    const { logger, lines } = bridged({
      profile: { traceId: 'traceId', spanId: 'spanId' },
      scopeAttributes: ['tenant.id'],
    });
    withHopScope({ 'tenant.id': 't-9' }, () => logger.info('x'));
    expect(lines[0]).toMatchObject({
      traceId: expect.any(String),
      spanId: expect.any(String),
      'tenant.id': 't-9',
    });
  });

  it('forwards each line as a record with the same ids, mapped severity, err as exception.*, bindings, and no duplicated id fields', async () => {
    const { logger, lines } = bridged();
    const child = logger.child({ component: 'billing' });
    withHopScope({ 'order.id': 'o-1' }, () => {
      child.info({ amount: 12 }, 'charged');
      child.error({ err: new TypeError('card declined') }, 'charge failed');
      child.debug('below pino’s level: not written at all');
    });
    const records = (await exported()).filter((r) => r.scope.name === 'pino');
    expect(records.map((r) => [r.body, r.severityText])).toEqual([
      ['charged', 'INFO'],
      ['charge failed', 'ERROR'],
    ]);
    const [charged, failed] = records;
    expect(charged?.traceId).toBe(lines[0]?.trace_id);
    expect(charged?.spanId).toBe(lines[0]?.span_id);
    expect(charged?.attributes).toMatchObject({
      component: 'billing',
      amount: 12,
      'order.id': 'o-1',
    });
    for (const k of [
      'trace_id',
      'span_id',
      'trace_flags',
      'pid',
      'hostname',
      'level',
      'time',
      'msg',
    ]) {
      expect(charged?.attributes).not.toHaveProperty([k]);
    }
    expect(failed?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'card declined',
    });
    expect(failed?.attributes['exception.stacktrace']).toMatch(/TypeError: card declined/);
    expect(failed?.attributes).not.toHaveProperty('err');
    // The time pino wrote, to the millisecond.
    expect(Number(BigInt(charged?.timeUnixNano ?? '0') / 1_000_000n)).toBe(lines[0]?.time);
  });

  it('keeps pino’s redact working, with Threadline’s redaction on top', async () => {
    const { logger, lines } = bridged({}, { redact: ['card.number'] });
    logger.info(
      { card: { number: '4111-1111' }, password: 'hunter2', url: 'https://u:p4ss@x.io/a' },
      'paid',
    );
    expect(JSON.stringify(lines)).not.toContain('4111-1111');
    const [rec] = (await exported()).filter((r) => r.scope.name === 'pino');
    const dump = JSON.stringify(rec);
    for (const secret of ['4111-1111', 'hunter2', 'p4ss']) expect(dump).not.toContain(secret);
    expect(rec?.attributes.card).toEqual({ number: '[Redacted]' });
    expect(rec?.attributes.password).toBe('[REDACTED]');
  });

  it('keeps the ids when pino runs the transport in a worker thread (they are taken in the logging thread)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const transport = pino.transport({
        target: fileURLToPath(new URL('../dist/transport.mjs', import.meta.url)),
        options: {
          threadline: {
            endpoint: receiver.url,
            serviceName: 'pino-worker',
            diagnostics: 'silent',
            env: {},
          },
        },
      });
      const logger = pino(fieldOptions(), transport);
      let ids = { traceId: '', spanId: '' };
      withHopScope({}, () => {
        ids = getTraceIds();
        logger.warn({ step: 'ship' }, 'from the worker thread');
      });
      await new Promise<void>((resolve) => {
        transport.once('close', () => resolve());
        logger.flush();
        transport.end();
      });
      const [rec] = await receiver.waitForRecords(1);
      expect(rec?.body).toBe('from the worker thread');
      expect(rec?.traceId).toBe(ids.traceId);
      expect(rec?.spanId).toBe(ids.spanId);
      expect(rec?.severityText).toBe('WARN');
      expect(rec?.resource['service.name']).toBe('pino-worker');
      expect(rec?.attributes).toEqual({ step: 'ship' });
    } finally {
      await receiver.close();
    }
  }, 20_000);

  it('keeps the Datadog profile’s ids as attributes of the records a worker-thread transport exports (they cannot be read back into a span context)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const transport = pino.transport({
        target: fileURLToPath(new URL('../dist/transport.mjs', import.meta.url)),
        options: {
          profile: 'datadog',
          threadline: {
            endpoint: receiver.url,
            serviceName: 'pino-worker',
            diagnostics: 'silent',
            env: {},
          },
        },
      });
      const out = jsonLines();
      const logger = pino(
        fieldOptions({ profile: 'datadog' }),
        pino.multistream([{ stream: out.stream }, { stream: transport }]),
      );
      let ids = { traceId: '', spanId: '' };
      withHopScope({}, () => {
        ids = getTraceIds();
        logger.info({ step: 'ship' }, 'datadog from the worker thread');
        logger.info('datadog, a second line');
      });
      logger.info('datadog, outside any trace');
      await new Promise<void>((resolve) => {
        transport.once('close', () => resolve());
        logger.flush();
        transport.end();
      });
      const records = await receiver.waitForRecords(3);
      const rec = records.find((r) => r.body === 'datadog from the worker thread');
      // What Datadog correlates on: the low 64 bits of the trace id and the span id, in decimal.
      const dd = {
        'dd.trace_id': BigInt(`0x${ids.traceId.slice(16)}`).toString(),
        'dd.span_id': BigInt(`0x${ids.spanId}`).toString(),
      };
      expect(out.lines[0]).toMatchObject(dd);
      expect(rec?.attributes).toEqual({ step: 'ship', ...dd });
      expect(records.find((r) => r.body === 'datadog, a second line')?.attributes).toEqual(dd);
      expect(records.find((r) => r.body === 'datadog, outside any trace')?.attributes).toEqual({});
    } finally {
      await receiver.close();
    }
  }, 20_000);

  it.each([
    ['the only target (several lines a write)', false],
    ['one of `targets`, beside a file (a line a write)', true],
  ])(
    'as %s, the transport delivers every line once, whole, and on its trace',
    async (_name, withFile) => {
      const receiver = await startOtlpReceiver();
      const dir = mkdtempSync(join(tmpdir(), 'tl-pino-'));
      const file = join(dir, 'out.log');
      try {
        const ours = {
          target: fileURLToPath(new URL('../dist/transport.mjs', import.meta.url)),
          options: {
            threadline: {
              endpoint: receiver.url,
              serviceName: 'pino-worker',
              diagnostics: 'silent' as const,
              env: {},
            },
          },
        };
        const transport = pino.transport<Record<string, unknown>>(
          withFile
            ? {
                targets: [
                  { target: 'pino/file', options: { destination: file, mkdir: true } },
                  ours,
                ],
              }
            : ours,
        );
        const logger = pino(fieldOptions(), transport);
        const N = 3000;
        const traceIds = new Set<string>();
        // Lines long enough, and multi-byte, that pino's writes cross its buffer in the middle of characters.
        const text = `naïve café 🚀 ${'x'.repeat(200)}`;
        for (let i = 0; i < N; i++) {
          withHopScope({}, () => {
            if (i % 1000 === 0) traceIds.add(getTraceIds().traceId);
            logger.info({ i }, text);
          });
        }
        await new Promise<void>((resolve) => {
          transport.once('close', () => resolve());
          transport.end();
        });
        const records = await receiver.waitForRecords(N);
        expect(records).toHaveLength(N);
        expect(new Set(records.map((r) => r.attributes.i)).size).toBe(N);
        expect(records.every((r) => r.body === text)).toBe(true);
        const seen = new Set(records.map((r) => r.traceId));
        for (const id of traceIds) expect(seen.has(id)).toBe(true);
        expect(seen.size).toBe(N); // a hop scope (and so a trace) per line
        if (withFile) expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(N);
      } finally {
        await receiver.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    30_000,
  );

  it('delivers what the transport took when its stream is destroyed rather than ended', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const worker = new WorkerThread(
        new URL('./fixtures/transport-destroyed.mjs', import.meta.url),
        {
          workerData: { endpoint: receiver.url },
        },
      );
      const [message] = await once(worker, 'message');
      expect(message).toBe('closed');
      // Ended at once: only what was sent before 'close' can arrive.
      await worker.terminate();
      const records = await receiver.waitForRecords(2, 2000);
      expect(records.map((r) => r.body)).toEqual(['one', 'two']);
    } finally {
      await receiver.close();
    }
  }, 20_000);

  describeInFrameworks({
    bridged() {
      const { logger, lines } = bridged({ scopeAttributes: true });
      return { log: (message, fields) => logger.info(fields ?? {}, message), lines };
    },
    messageKey: 'msg',
    exported,
    require: createRequire(import.meta.url),
  });
});
