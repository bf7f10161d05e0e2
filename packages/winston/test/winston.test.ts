import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { getTraceIds, startThreadline, withHopScope } from '@threadline/core';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { ThreadlineTransport, threadlineFormat, threadlineMeta } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'winston-test',
    endpoint,
    ...QUIET,
  }),
);

/** A stream that keeps what is written to it: each chunk as text, and parsed as JSON when asked. */
function collect<T = Record<string, unknown>>(parse: (text: string) => T = JSON.parse) {
  const lines: T[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(parse(String(chunk)));
      done();
    },
  });
  return { stream, lines };
}

function bridged(profile?: Parameters<typeof threadlineFormat>[0]) {
  const { stream, lines } = collect();
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

  describe('beside a transport that completes later', () => {
    // Like winston's Http transport: each line completes on a later turn, so
    // a burst fills winston's stream buffers and the rest of it is queued.
    class SlowTransport extends TransportStream {
      override log(_info: unknown, callback: () => void): void {
        setImmediate(callback);
      }
    }

    const BURST = 60;

    function slowBridged(defaultMeta?: object, transportFormat?: winston.Logform.Format) {
      const { stream, lines } = collect();
      const logger = winston.createLogger({
        defaultMeta,
        format: winston.format.combine(
          winston.format.errors({ stack: true }),
          threadlineFormat(),
          winston.format.json(),
        ),
        transports: [
          new SlowTransport(),
          new winston.transports.Stream({ stream }),
          new ThreadlineTransport(transportFormat ? { format: transportFormat } : {}),
        ],
      });
      return { logger, lines };
    }

    /** Writes a burst of lines at once, each in its own scope; gives each line's own trace id once all are out. */
    async function burst(log: (i: number) => void, lines: unknown[]) {
      const own = new Map<string, string>();
      for (let i = 0; i < BURST; i++) {
        withHopScope({}, () => {
          own.set(`line ${i}`, getTraceIds().traceId);
          log(i);
        });
      }
      while (lines.length < BURST) await new Promise((resolve) => setTimeout(resolve, 5));
      return own;
    }

    /** [body, own trace id, trace id on stdout, record's trace id] for each line whose ids are not its own. */
    async function misattributed(own: Map<string, string>, lines: Array<Record<string, unknown>>) {
      const records = (await exported()).filter((r) => r.scope.name === 'winston');
      expect(lines).toHaveLength(BURST);
      expect(records).toHaveLength(BURST);
      // `logger.error(msg, err)` appends the error's message to the line's.
      const line0 = (message: unknown) => String(message).replace(/ out of range$/, '');
      const wrong: Array<[string, string, unknown, unknown]> = [];
      for (const [body, traceId] of own) {
        const line = lines.find((l) => line0(l.message) === body);
        const rec = records.find((r) => line0(r.body) === body);
        if (line?.trace_id !== traceId || rec?.traceId !== traceId) {
          wrong.push([body, traceId, line?.trace_id, rec?.traceId]);
        }
      }
      return wrong;
    }

    it('without threadlineMeta(), gives the queued lines of a burst another line’s trace ids (the documented limit)', async () => {
      const { logger, lines } = slowBridged({ service: 'orders' });
      const own = await burst((i) => logger.info(`line ${i}`), lines);
      const wrong = await misattributed(own, lines);
      expect(wrong.length).toBeGreaterThan(0);
      // Not missing ids: another line's, on stdout or on the record (winston
      // formats a queued line and forwards it at different moments).
      const ids = new Set(own.values());
      for (const [, traceId, onStdout, onRecord] of wrong) {
        for (const id of [onStdout, onRecord]) {
          if (id !== traceId) expect(ids.has(String(id))).toBe(true);
        }
      }
    });

    it('with threadlineMeta(), keeps each line of a burst on its own trace, on stdout and on its record, in every logging form', async () => {
      const { logger, lines } = slowBridged(threadlineMeta({ service: 'orders' }));
      const forms = [
        (i: number) => logger.info(`line ${i}`),
        (i: number) => logger.info(`line ${i}`, { step: i }),
        (i: number) => logger.log({ level: 'info', message: `line ${i}` }),
        (i: number) => logger.log('warn', `line ${i}`),
        (i: number) => logger.log('warn', `line ${i}`, { step: i }),
        (i: number) => logger.error(new Error(`line ${i}`)),
        (i: number) => logger.error(`line ${i}`, new RangeError('out of range')),
      ];
      const own = await burst((i) => forms[i % forms.length]?.(i), lines);
      expect(await misattributed(own, lines)).toEqual([]);
      // The user's own fields stay; the captured context reaches neither stdout nor the record.
      const records = (await exported()).filter((r) => r.scope.name === 'winston');
      for (const line of lines) {
        expect(Object.keys(line).sort()).toEqual(
          expect.arrayContaining([
            'level',
            'message',
            'service',
            'span_id',
            'trace_flags',
            'trace_id',
          ]),
        );
        expect(JSON.stringify(line)).not.toMatch(/lineContext|_currentContext/);
      }
      for (const rec of records) {
        expect(rec.attributes.service).toBe('orders');
        expect(JSON.stringify(rec.attributes)).not.toMatch(/lineContext|_currentContext/);
      }
    });

    it('with threadlineMeta(), keeps each line of a child logger on its own trace, with the child’s fields', async () => {
      const { logger, lines } = slowBridged(threadlineMeta({ service: 'orders' }));
      const child = logger.child({ component: 'checkout' });
      const own = await burst((i) => child.info(`line ${i}`), lines);
      expect(await misattributed(own, lines)).toEqual([]);
      expect(lines[BURST - 1]).toMatchObject({ service: 'orders', component: 'checkout' });
    });

    it('with threadlineMeta(), prints no captured context with prettyPrint', () => {
      const { stream, lines: out } = collect((text) => text);
      const logger = winston.createLogger({
        defaultMeta: threadlineMeta({ service: 'orders' }),
        format: winston.format.combine(threadlineFormat(), winston.format.prettyPrint()),
        transports: [new winston.transports.Stream({ stream })],
      });
      withHopScope({}, () => logger.info('pretty'));
      expect(out.join('')).toContain("service: 'orders'");
      expect(out.join('')).not.toMatch(/Symbol|Context/);
    });

    it('with threadlineMeta(), keeps each record on its own trace when ThreadlineTransport has a format of its own', async () => {
      // winston-transport runs a transport's format on a copy of the line, without the captured context.
      const { logger, lines } = slowBridged(
        threadlineMeta(),
        winston.format((info) => Object.assign(info, { via: 'own format' }))(),
      );
      const own = await burst((i) => logger.info(`line ${i}`), lines);
      expect(await misattributed(own, lines)).toEqual([]);
      const records = (await exported()).filter((r) => r.scope.name === 'winston');
      expect(records.every((r) => r.attributes.via === 'own format')).toBe(true);
    });

    it('threadlineMeta() keeps getters of the meta given to it, and the captured context prints short on the caller’s own error', () => {
      let n = 0;
      const { stream, lines: out } = collect();
      const logger = winston.createLogger({
        defaultMeta: threadlineMeta({
          get requestNo() {
            n += 1;
            return n;
          },
        }),
        format: winston.format.combine(threadlineFormat(), winston.format.json()),
        transports: [new winston.transports.Stream({ stream })],
      });
      const error = new Error('kept by the caller');
      withHopScope({}, () => {
        logger.info('first');
        logger.info('second');
        logger.error(error); // winston puts defaultMeta on the caller's own object here
      });
      expect(out.slice(0, 2).map((l) => l.requestNo)).toEqual([1, 2]);
      expect(inspect(error)).not.toMatch(/_currentContext|BaseContext/);
    });

    it('with threadlineMeta() given to a child logger only, keeps that child’s lines on their own trace', async () => {
      const { logger, lines } = slowBridged();
      const child = logger.child(threadlineMeta({ component: 'checkout' }));
      const own = await burst((i) => child.info(`line ${i}`), lines);
      expect(await misattributed(own, lines)).toEqual([]);
    });
  });
});
