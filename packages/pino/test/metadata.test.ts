import { startThreadline, withHopScope } from '@threadline/core';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  appendMembers,
  lineForwarder,
  threadlineDestination,
  threadlineMixin,
  threadlineOptions,
  threadlineStreamWrite,
} from '../src/bridge.js';
import { type MetadataLine, metadataReader, type PinoMetadata } from '../src/metadata.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'pino-metadata-test',
    endpoint,
    ...QUIET,
  }),
);

const PINO_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'v']);
const TRACE_FIELDS = new Set(['trace_id', 'span_id', 'trace_flags']);

/** What the reader makes of each line a logger writes (undefined: left to the line), and the lines. */
function reading(
  pinoOptions: pino.LoggerOptions,
  log: (logger: pino.Logger) => void,
  messageKey = 'msg',
  fieldOptions: pino.LoggerOptions = { mixin: threadlineMixin() },
) {
  const read = metadataReader(PINO_FIELDS, TRACE_FIELDS, messageKey);
  const out: Array<{ read: MetadataLine | undefined; line: Record<string, unknown> }> = [];
  const destination: PinoMetadata & { write(line: string): void } = {
    [Symbol.for('pino.metadata')]: true,
    write(line: string) {
      out.push({ read: read(destination, line), line: JSON.parse(line) });
    },
  };
  log(pino({ ...fieldOptions, ...pinoOptions }, destination));
  return out;
}

describe('the destination’s fast path (pino’s metadata instead of parsing the line)', () => {
  it('reads the call’s fields, the message, the level and pino’s time, without the trace fields', () => {
    const [one] = reading({}, (logger) =>
      withHopScope({}, () => logger.warn({ i: 1, user: 'u-1', paid: true }, 'request %s', 'x')),
    );
    expect(one?.line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(one?.read).toEqual({
      level: 40,
      message: 'request x',
      attributes: { i: 1, user: 'u-1', paid: true },
      timeMillis: one?.line.time,
    });
  });

  it('reads pino’s time in each of its forms', () => {
    const iso = reading({ timestamp: pino.stdTimeFunctions.isoTime }, (l) => l.info('m'));
    expect(iso[0]?.read?.timeMillis).toBe(Date.parse(String(iso[0]?.line.time)));
    const none = reading({ timestamp: false }, (l) => l.info('m'));
    expect(none[0]?.read?.timeMillis).toBeUndefined();
    expect(none[0]?.line).not.toHaveProperty('time');
  });

  it('puts bindings first and lets the call’s fields win, in the order parsing the line gives', () => {
    const [one] = reading({}, (logger) =>
      logger.child({ a: 1, shared: 'binding' }).child({ b: 2 }).info({ shared: 'call', c: 3 }),
    );
    const { level, time, pid, hostname, ...parsed } = one?.line ?? {};
    expect(Object.entries(one?.read?.attributes ?? {})).toEqual(Object.entries(parsed));
    expect(one?.read?.attributes).toEqual({ a: 1, shared: 'call', b: 2, c: 3 });
    expect(one?.read?.message).toBe('');
  });

  it('writes what pino writes for values JSON has no place for', () => {
    const [one] = reading({}, (logger) =>
      logger.info({ nan: Number.NaN, inf: -Infinity, gone: undefined, fn: () => 1, n: null }, 'm'),
    );
    expect(one?.read?.attributes).toEqual({ nan: null, inf: null, n: null });
    expect(one?.read?.attributes).toEqual(
      Object.fromEntries(
        Object.entries(one?.line ?? {}).filter(([k]) => ['nan', 'inf', 'n'].includes(k)),
      ),
    );
  });

  it('takes the message from the call’s fields when the call has none, and the call’s message over them', () => {
    const out = reading({}, (logger) => {
      logger.info({ msg: 'from fields', k: 1 });
      logger.info({ msg: 'from fields' }, 'from the call');
    });
    expect(out.map((o) => [o.read?.message, o.line.msg])).toEqual([
      ['from fields', 'from fields'],
      ['from the call', 'from the call'],
    ]);
    expect(out[0]?.read?.attributes).toEqual({ k: 1 });
  });

  it('keeps a redact path that does not touch the call’s fields on the fast path', () => {
    const [one] = reading({ redact: ['card.number'] }, (logger) => logger.info({ user: 'u' }, 'm'));
    expect(one?.read?.attributes).toEqual({ user: 'u' });
  });

  it.each<[string, pino.LoggerOptions, (logger: pino.Logger) => void, string?]>([
    ['an error', {}, (l) => l.error(new Error('boom'))],
    ['an err field', {}, (l) => l.info({ err: new Error('boom') }, 'm')],
    ['a nested object', {}, (l) => l.info({ user: { id: 1 } }, 'm')],
    ['a Date', {}, (l) => l.info({ at: new Date(0) }, 'm')],
    ['a bigint', {}, (l) => l.info({ n: 1n }, 'm')],
    ['a redact path on a field', { redact: ['password'] }, (l) => l.info({ password: 'x' }, 'm')],
    ['a wildcard redact path', { redact: ['*.password'] }, (l) => l.info({ user: 'u' }, 'm')],
    ['a serializer on a field', { serializers: { user: (u) => u } }, (l) => l.info({ user: 'u' })],
    ['a serializer on the message', { serializers: { msg: (m) => m } }, (l) => l.info('m')],
    ['formatters.log', { formatters: { log: (o) => o } }, (l) => l.info({ user: 'u' }, 'm')],
    ['nestedKey', { nestedKey: 'payload' }, (l) => l.info({ user: 'u' }, 'm')],
    ['hooks.streamWrite', { hooks: { streamWrite: (s) => s } }, (l) => l.info('m')],
    ['another messageKey', { messageKey: 'message' }, (l) => l.info('m')],
    ['a field named like pino’s own', {}, (l) => l.info({ level: 'custom' }, 'm')],
    ['an error among the bindings', {}, (l) => l.child({ err: new Error('b') }).info('m')],
    ['a binding named like the message', {}, (l) => l.child({ msg: 'b' }).info({ k: 1 })],
    ['a message that is not a string', {}, (l) => l.info({ msg: 42 })],
    [
      'a level formatter writing another field',
      { formatters: { level: (label) => ({ severity: label.toUpperCase() }) } },
      (l) => l.warn({ orderId: 7 }, 'low stock'),
    ],
    [
      'a level formatter writing the level, then another field',
      { formatters: { level: (label, n) => ({ level: n, severity: label.toUpperCase() }) } },
      (l) => l.warn({ orderId: 7 }, 'low stock'),
    ],
    [
      'a level formatter writing the level as an object',
      { formatters: { level: (_label, n) => ({ level: { n } }) } },
      (l) => l.warn({ orderId: 7 }, 'low stock'),
    ],
    [
      'a timestamp under another name of the same length',
      { timestamp: () => `,"tyme":${Date.now()}` },
      (l) => l.info('m'),
    ],
    [
      'a timestamp under another name',
      { timestamp: () => `,"@timestamp":"${new Date(0).toISOString()}"` },
      (l) => l.info('m'),
    ],
    [
      'a timestamp writing more fields',
      { timestamp: () => ',"time":5,"seq":1' },
      (l) => l.info('m'),
    ],
  ])('leaves the line to parsing with %s', (_name, options, log) => {
    const out = reading(options, log);
    expect(out).toHaveLength(1);
    expect(out[0]?.read).toBeUndefined();
  });

  it('checks each logger’s configuration when its lines come between another’s', () => {
    const read = metadataReader(PINO_FIELDS, TRACE_FIELDS, 'msg');
    const out: string[] = [];
    const destination: PinoMetadata & { write(line: string): void } = {
      [Symbol.for('pino.metadata')]: true,
      write(line: string) {
        out.push(read(destination, line) === undefined ? 'line' : 'fast');
      },
    };
    const plain = pino({ mixin: threadlineMixin() }, destination);
    const serialized = pino(
      { mixin: threadlineMixin(), serializers: { user: (u) => `<${u}>` } },
      destination,
    );
    // A child made with serializers has values of its own; a child of a child made without
    // options has its parent's (a root's child gets formatters of its own from pino).
    const childWithOwn = plain.child({ c: 1 }, { serializers: { user: (u) => u } });
    const child = plain.child({ c: 2 });
    const grandchild = child.child({ c: 3 });
    for (let i = 0; i < 2; i++) {
      for (const logger of [plain, plain, serialized, childWithOwn, child, grandchild])
        logger.info({ user: 'u' }, 'm');
    }
    expect(out).toEqual(Array(2).fill(['fast', 'fast', 'line', 'line', 'fast', 'fast']).flat());
  });

  it.each([true, false])(
    'checks the level formatter’s form at each level (timestamp: %s)',
    (timestamp) => {
      const out = reading(
        {
          timestamp,
          formatters: {
            level: (_label, n) => (n >= 50 ? { level: n, alert: true } : { level: n }),
          },
        },
        (l) => {
          l.info('fine');
          l.error('alert');
          l.info('fine again');
        },
      );
      expect(out.map((o) => [o.line.msg, o.read?.message])).toEqual([
        ['fine', 'fine'],
        ['alert', undefined],
        ['fine again', 'fine again'],
      ]);
      expect(out[1]?.line.alert).toBe(true);
    },
  );

  it.each([
    ['threadlineMixin()', () => ({ mixin: threadlineMixin({ scopeAttributes: ['tenant'] }) })],
    ['threadlineOptions()', () => threadlineOptions({ scopeAttributes: ['tenant'] })],
  ])('exports the same records as parsing each line would, with %s', async (_way, fieldOptions) => {
    // The same calls through the destination (fast path when it can) and
    // through a stream in between that does not pass pino's metadata on.
    const fast = threadlineDestination();
    const parsing = threadlineDestination();
    const viaWrapper = { write: (line: string) => parsing.write(line) };
    const declined = new TypeError('declined'); // one stack for both
    const calls = (logger: pino.Logger) => {
      const child = logger.child({ component: 'billing', shared: 'b' });
      child.info({ i: 1, user: 'u-1', paid: true, shared: 'c' }, 'charged %d', 12);
      child.warn({ nan: Number.NaN, gone: undefined, n: null, url: 'https://u:p@x.io/?token=t' });
      child.error({ err: declined, amount: 3 }, 'failed');
      logger.info({ nested: { password: 'hunter2', ok: 1 } }, 'nested');
      logger.info({ msg: 'only in the fields', apiKey: 'k-1' });
      // A field and a binding named like a scope attribute the line is given.
      logger.info({ tenant: 'from the call' }, 'tenant field');
      logger.child({ tenant: 'from a binding' }).info('tenant binding');
    };
    withHopScope({ 'order.id': 'o-1', tenant: 'from the scope' }, () => {
      calls(pino(fieldOptions(), pino.multistream([{ stream: fast }])));
      calls(pino(fieldOptions(), viaWrapper));
    });
    const records = (await exported()).filter((r) => r.scope.name === 'pino');
    expect(records).toHaveLength(14);
    const shape = (r: (typeof records)[number]) => ({
      body: r.body,
      severityNumber: r.severityNumber,
      severityText: r.severityText,
      traceId: r.traceId,
      spanId: r.spanId,
      attributes: Object.entries(r.attributes),
      timeMs: Number(BigInt(r.timeUnixNano) / 1_000_000n),
    });
    const viaFast = records.slice(0, 7).map(shape);
    const viaParsing = records.slice(7).map(shape);
    for (let i = 0; i < 7; i++) {
      const { timeMs: a, ...f } = viaFast[i] ?? { timeMs: 0 };
      const { timeMs: b, ...p } = viaParsing[i] ?? { timeMs: 0 };
      expect(f).toEqual(p);
      expect(Math.abs(a - b)).toBeLessThan(1000);
    }
    expect(viaFast[0]?.attributes).toContainEqual(['shared', 'c']);
    expect(JSON.stringify(records)).not.toMatch(/hunter2|k-1|u:p@|token=t/);
  });

  it('leaves everything to the line under a message key JSON would escape', () => {
    const read = metadataReader(PINO_FIELDS, TRACE_FIELDS, 'm"k');
    expect(
      read({ lastObj: {}, lastLevel: 30, lastTime: '1', lastLogger: {} }, '{}'),
    ).toBeUndefined();
  });

  it('reads a field defined by a getter once, as pino does', async () => {
    const { logger, lines } = (() => {
      const got: Array<Record<string, unknown>> = [];
      const l = pino(
        { mixin: threadlineMixin() },
        pino.multistream([
          { stream: { write: (line: string) => got.push(JSON.parse(line)) } },
          { stream: threadlineDestination() },
        ]),
      );
      return { logger: l, lines: got };
    })();
    let reads = 0;
    logger.info(
      {
        get seq() {
          reads++;
          return reads;
        },
      },
      'counted',
    );
    const [rec] = (await exported()).filter((r) => r.scope.name === 'pino');
    expect(lines[0]?.seq).toBe(1);
    expect(rec?.attributes.seq).toBe(1);
    expect(reads).toBe(1);
  });

  it('does not read metadata a multistream copied from an earlier call onto a later write', async () => {
    const shared = pino.multistream([{ stream: threadlineDestination() }]);
    const a = pino({ mixin: threadlineMixin() }, shared);
    // b reaches the multistream through a stream that does not pass pino's metadata on.
    const b = pino({ mixin: threadlineMixin() }, { write: (line: string) => shared.write(line) });
    a.info({ who: 'a' }, 'from a');
    b.error({ who: 'b' }, 'from b');
    shared.write(`${JSON.stringify({ level: 40, time: Date.now(), msg: 'direct', who: 'c' })}\n`);
    const records = (await exported()).filter((r) => r.scope.name === 'pino');
    expect(records.map((r) => [r.body, r.severityText, r.attributes.who])).toEqual([
      ['from a', 'INFO', 'a'],
      ['from b', 'ERROR', 'b'],
      ['direct', 'WARN', 'c'],
    ]);
  });

  it('never gives a write the previous line’s metadata', async () => {
    const destination = threadlineDestination();
    pino({}, destination).info({ from: 'pino' }, 'through pino');
    destination.write(`${JSON.stringify({ level: 50, time: Date.now(), msg: 'direct', x: 1 })}\n`);
    const records = (await exported()).filter((r) => r.scope.name === 'pino');
    expect(records.map((r) => [r.body, r.severityText, r.attributes])).toEqual([
      ['through pino', 'INFO', { from: 'pino' }],
      ['direct', 'ERROR', { x: 1 }],
    ]);
  });
});

describe('threadlineOptions(): the fields appended to each line by pino’s hooks.streamWrite', () => {
  it('writes the fields last on the line, and keeps the destination’s fast path', () => {
    const [one] = reading(
      {},
      (logger) => withHopScope({}, () => logger.warn({ i: 1 }, 'm')),
      'msg',
      threadlineOptions(),
    );
    expect(Object.keys(one?.line ?? {}).slice(-4)).toEqual([
      'msg',
      'trace_id',
      'span_id',
      'trace_flags',
    ]);
    expect(one?.line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(one?.line.trace_flags).toBe('01');
    expect(one?.read).toEqual({
      level: 40,
      message: 'm',
      attributes: { i: 1 },
      timeMillis: one?.line.time,
    });
  });

  it('writes nothing outside a trace, and the scope’s ids when asked, escaped as JSON', () => {
    const out = reading(
      {},
      (logger) => {
        logger.info('outside');
        withHopScope({ 'tenant "id"': 't\n9' }, () => logger.info('inside'));
      },
      'msg',
      threadlineOptions({ profile: 'ecs', scopeAttributes: ['tenant "id"'] }),
    );
    expect(Object.keys(out[0]?.line ?? {})).not.toContain('trace.id');
    expect(out[1]?.line).toMatchObject({
      'trace.id': expect.stringMatching(/^[0-9a-f]{32}$/),
      'span.id': expect.stringMatching(/^[0-9a-f]{16}$/),
      'tenant "id"': 't\n9',
    });
    expect(out[1]?.line).not.toHaveProperty('trace_flags');
  });

  it('leaves the line to parsing after a streamWrite hook of yours, run first', () => {
    const [one] = reading(
      {},
      (logger) => withHopScope({}, () => logger.info({ k: 1 }, 'secret')),
      'msg',
      threadlineOptions({ streamWrite: (s) => s.replace('secret', 'public') }),
    );
    expect(one?.line.msg).toBe('public');
    expect(one?.line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(one?.read).toBeUndefined();
  });

  it('leaves the line to parsing when its trace fields are not the destination’s', () => {
    // Another profile than the destination's: parsing keeps its fields as attributes.
    const [one] = reading(
      {},
      (logger) => withHopScope({}, () => logger.info('m')),
      'msg',
      threadlineOptions({ profile: 'ecs' }),
    );
    expect(one?.line['trace.id']).toMatch(/^[0-9a-f]{32}$/);
    expect(one?.read).toBeUndefined();
  });

  it('checks each time text that is not the last plain one', () => {
    let n = 0;
    const out = reading(
      { timestamp: () => (n++ % 2 === 0 ? ',"time":5' : ',"time":5,"seq":1') },
      (logger) => {
        for (let i = 0; i < 4; i++) logger.info('m');
      },
    );
    // pino calls the time function once more when it makes the logger: which lines get `seq`
    // is read from them.
    expect(out.map((o) => o.line.seq === undefined)).toEqual(
      out.map((_o, i) => (i % 2 === 0) === (out[0]?.line.seq === undefined)),
    );
    expect(out.map((o) => o.read !== undefined)).toEqual(out.map((o) => o.line.seq === undefined));
  });

  it('threadlineStreamWrite() alone appends the same fields', () => {
    const [one] = reading(
      {},
      (logger) => withHopScope({}, () => logger.info({ i: 1 }, 'm')),
      'msg',
      { hooks: { streamWrite: threadlineStreamWrite() } },
    );
    expect(Object.keys(one?.line ?? {}).slice(-3)).toEqual(['trace_id', 'span_id', 'trace_flags']);
  });

  it('refuses a streamWrite that is not a function', () => {
    expect(() => threadlineOptions({ streamWrite: 'x' as never })).toThrow(
      /option "streamWrite" must be a function/,
    );
  });

  it('writes a field of the call’s own with a trace field’s name twice, the trace context’s last', () => {
    const lines: string[] = [];
    const logger = pino(threadlineOptions(), {
      write: (l: string) => {
        lines.push(l);
      },
    });
    withHopScope({}, () => logger.info({ trace_id: 'mine' }, 'm'));
    const line = lines[0] ?? '';
    expect(line.match(/"trace_id"/g)).toHaveLength(2);
    expect(line.indexOf('"trace_id":"mine"')).toBeLessThan(line.lastIndexOf('"trace_id"'));
    expect(JSON.parse(line).trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    ['{"a":1}\n', '{"a":1,"t":"x"}\n'],
    ['{"a":1}\r\n', '{"a":1,"t":"x"}\r\n'],
    ['{}\n', '{"t":"x"}\n'],
    ['{"a":1}', '{"a":1}'],
    ['not json\n', 'not json\n'],
    ['\n', '\n'],
    ['', ''],
  ])('appends members to %j as %j', (line, expected) => {
    expect(appendMembers(line, ',"t":"x"')).toBe(expected);
    expect(appendMembers(line, '')).toBe(line);
  });
});

describe('levels written as labels (formatters.level)', () => {
  const labels = { formatters: { level: (label: string) => ({ level: label }) } };

  it('keep their severity through the destination, on either path', async () => {
    const logger = pino(
      { ...labels, mixin: threadlineMixin() },
      pino.multistream([{ stream: threadlineDestination() }]),
    );
    logger.error('fast path');
    logger.error({ err: new Error('x') }, 'parsed');
    logger.warn({ level: 'shadowed' }, 'a field named level');
    const records = (await exported()).filter((r) => r.scope.name === 'pino');
    expect(records.map((r) => [r.body, r.severityText])).toEqual([
      ['fast path', 'ERROR'],
      ['parsed', 'ERROR'],
      ['a field named level', 'WARN'],
    ]);
  });

  it('keep their severity in a worker-thread transport, which only has the line', async () => {
    const forward = lineForwarder({}, true);
    for (const level of [
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
      'custom',
      'constructor',
    ])
      forward(JSON.stringify({ level, msg: level }));
    const records = (await exported()).filter((r) => r.scope.name === 'pino');
    expect(records.map((r) => [r.body, r.severityText])).toEqual([
      ['info', 'INFO'],
      ['warn', 'WARN'],
      ['error', 'ERROR'],
      ['fatal', 'FATAL'],
      ['custom', 'INFO'],
      ['constructor', 'INFO'],
    ]);
  });
});
