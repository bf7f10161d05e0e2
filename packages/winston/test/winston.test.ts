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

  it('turns an error into exception.*, and redacts on the way', async () => {
    const { logger } = bridged({ profile: 'ecs' });
    withHopScope({}, () => {
      logger.error(new RangeError('quota exceeded'));
      logger.info('login', { password: 'hunter2', 'trace.id': 'should not be an attribute' });
    });
    const [failed, login] = (await exported()).filter((r) => r.scope.name === 'winston');
    expect(failed?.severityText).toBe('ERROR');
    expect(failed?.attributes['exception.message']).toBe('quota exceeded');
    expect(failed?.attributes['exception.stacktrace']).toMatch(/RangeError: quota exceeded/);
    expect(login?.attributes.password).toBe('[REDACTED]');
    expect(login?.attributes).not.toHaveProperty(['trace.id']);
    expect(JSON.stringify(login)).not.toContain('hunter2');
  });
});
