import { Writable } from 'node:stream';
import { startThreadline, withHopScope } from '@threadline/core';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { ThreadlineTransport, threadlineFormat } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'winston-test',
    endpoint,
    handleSignals: false,
    logStartup: false,
    diagnostics: 'silent',
    env: {},
  }),
);

function bridged(profile?: Parameters<typeof threadlineFormat>[0]) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      threadlineFormat(profile),
      winston.format.json(),
    ),
    transports: [
      new winston.transports.Stream({ stream }),
      new ThreadlineTransport({ profile: profile?.profile }),
    ],
  });
  return { logger, lines };
}

describe('@threadline/winston', () => {
  it.each([
    ['otel', ['trace_id', 'span_id', 'trace_flags']],
    ['ecs', ['trace.id', 'span.id']],
    ['datadog', ['dd.trace_id', 'dd.span_id']],
  ] as const)('writes the %s profile’s exact field names on lines', (profile, names) => {
    const { logger, lines } = bridged({ profile });
    withHopScope({}, () => logger.info('inside'));
    const keys = Object.keys(lines[0] ?? {}).filter(
      (k) => k.includes('trace') || k.includes('span'),
    );
    expect(keys.sort()).toEqual([...names].sort());
  });

  it('adds the trace fields to lines and forwards each line with the same ids, mapped severity and no duplicated id fields', async () => {
    const { logger, lines } = bridged();
    withHopScope({ 'order.id': 'o-2' }, () => {
      logger.info('order loaded', { items: 3 });
      logger.warn('slow');
      logger.debug('details');
    });
    const records = (await exported()).filter((r) => r.scope.name === 'winston');
    // 'details' is DEBUG: written by winston, below Threadline's level (info).
    expect(records.map((r) => [r.body, r.severityText])).toEqual([
      ['order loaded', 'INFO'],
      ['slow', 'WARN'],
    ]);
    expect(records[0]?.traceId).toBe(lines[0]?.trace_id);
    expect(records[0]?.spanId).toBe(lines[0]?.span_id);
    expect(records[0]?.attributes).toMatchObject({ items: 3, 'order.id': 'o-2' });
    for (const k of ['trace_id', 'span_id', 'trace_flags', 'level', 'message']) {
      expect(records[0]?.attributes).not.toHaveProperty([k]);
    }
  });

  it('with the Datadog profile, forwards each line on its trace, its dd fields being that trace’s ids', async () => {
    const { logger, lines } = bridged({ profile: 'datadog' });
    withHopScope({}, () => logger.info('to Datadog', { step: 'ship' }));
    const [rec] = (await exported()).filter((r) => r.scope.name === 'winston');
    // The transport runs in the logging call: the ids are the record's own, not lost.
    expect(lines[0]).toMatchObject({
      'dd.trace_id': BigInt(`0x${rec?.traceId.slice(16)}`).toString(),
      'dd.span_id': BigInt(`0x${rec?.spanId}`).toString(),
    });
    expect(rec?.attributes).toEqual({ step: 'ship' });
  });

  it('turns an error into exception.* with its exact type, and redacts on the way', async () => {
    // The name on the prototype, not enumerable, as built-in errors have it:
    // format.errors() does not copy it onto the line.
    class PaymentError extends Error {}
    Object.defineProperty(PaymentError.prototype, 'name', { value: 'PaymentError' });
    const { logger } = bridged({ profile: 'ecs' });
    withHopScope({}, () => {
      logger.error(new RangeError('quota exceeded'));
      logger.info('login', { password: 'hunter2', 'trace.id': 'should not be an attribute' });
      logger.error(new PaymentError('card declined: insufficient funds'));
      logger.error('charge failed', new RangeError('amount out of range'));
      logger.error(new Error('plain'));
      // A stack field that is not the stack of an error with this message: no type taken from it.
      logger.error('not an error', { stack: 'TypeError: something else' });
    });
    const [failed, login, payment, charge, plain, notError] = (await exported()).filter(
      (r) => r.scope.name === 'winston',
    );
    expect(failed?.severityText).toBe('ERROR');
    expect(failed?.attributes['exception.type']).toBe('RangeError');
    expect(failed?.attributes['exception.message']).toBe('quota exceeded');
    expect(failed?.attributes['exception.stacktrace']).toMatch(/RangeError: quota exceeded/);
    expect(payment?.attributes).toMatchObject({
      'exception.type': 'PaymentError',
      'exception.message': 'card declined: insufficient funds',
    });
    expect(charge?.attributes['exception.type']).toBe('RangeError');
    expect(plain?.attributes['exception.type']).toBe('Error');
    expect(notError?.attributes['exception.type']).toBe('Error');
    for (const rec of [failed, payment, charge, plain]) {
      expect(rec?.attributes).not.toHaveProperty('name');
    }
    expect(login?.attributes.password).toBe('[REDACTED]');
    expect(login?.attributes).not.toHaveProperty(['trace.id']);
    expect(JSON.stringify(login)).not.toContain('hunter2');
  });
});
