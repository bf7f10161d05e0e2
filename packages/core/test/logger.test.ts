import { context, logs, type SpanContext, trace } from '@opentelemetry/api';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { decodeExportLogsRequest, startOtlpReceiver } from '@threadline/testing';
import { QUIET } from '@threadline/testing/pipeline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addScopeAttributes, getLogger, log, startThreadline, withScope } from '../src/index.js';
import { encodeLogsRequest } from '../src/internal/otlp-protobuf.js';
import { getScope } from '../src/internal/scope.js';
import { globalState } from '../src/internal/state.js';
import { startInMemory } from './helpers.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

function start(options = {}) {
  const t = startInMemory(options);
  stop = () => t.handle.shutdown();
  return t;
}

describe('logger', () => {
  it('writes message, severity and attributes', async () => {
    const t = start();
    log.info('order placed', { orderId: 'o-1', items: 3, paid: true });
    const [r] = await t.records();
    expect(r?.body).toBe('order placed');
    expect(r?.severityNumber).toBe(9);
    expect(r?.severityText).toBe('INFO');
    expect(r?.attributes).toEqual({ orderId: 'o-1', items: 3, paid: true });
    expect(r?.resource.attributes['service.name']).toBeTypeOf('string');
  });

  it('writes the ids of valid span contexts only, also when ids repeat', async () => {
    const t = start();
    // A fresh module: the first record's span context is checked against nothing before it.
    vi.resetModules();
    const { ThreadlineLogger } = await import('../src/internal/logger.js');
    const logger = new ThreadlineLogger('ids');
    const valid = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    };
    const changing: SpanContext = { ...valid };
    const under = (sc: SpanContext, body: string) =>
      context.with(trace.setSpanContext(context.active(), sc), () => logger.info(body));
    under({ traceId: '', spanId: '', traceFlags: 1 }, 'empty ids first');
    under(valid, 'valid');
    under({ ...valid }, 'the same ids');
    under({ ...valid, spanId: '0000000000000000' }, 'zero span id');
    under(changing, 'valid again');
    changing.traceId = 'z'.repeat(32);
    under(changing, 'the same object, changed');
    under({ ...valid, traceId: '', spanId: '' }, 'empty ids after');
    const recs = await t.records();
    expect(recs.map((r) => [r.body, r.spanContext?.spanId])).toEqual([
      ['empty ids first', undefined],
      ['valid', valid.spanId],
      ['the same ids', valid.spanId],
      ['zero span id', undefined],
      ['valid again', valid.spanId],
      ['the same object, changed', undefined],
      ['empty ids after', undefined],
    ]);
  });

  it('maps every level to its OpenTelemetry severity number', async () => {
    const t = start({ level: 'trace' });
    const l = getLogger('levels');
    l.trace('t');
    l.debug('d');
    l.info('i');
    l.warn('w');
    l.error('e');
    l.fatal('f');
    const recs = await t.records();
    expect(recs.map((r) => [r.body, r.severityNumber, r.severityText])).toEqual([
      ['t', 1, 'TRACE'],
      ['d', 5, 'DEBUG'],
      ['i', 9, 'INFO'],
      ['w', 13, 'WARN'],
      ['e', 17, 'ERROR'],
      ['f', 21, 'FATAL'],
    ]);
    expect(recs[0]?.instrumentationScope.name).toBe('levels');
  });

  it('drops levels below the threshold without building a record', async () => {
    const t = start({ level: 'warn' });
    const attrs = {
      get expensive(): string {
        throw new Error('attributes of a disabled level must not be read');
      },
    };
    log.debug('hidden', attrs);
    log.info('hidden', attrs);
    log.warn('shown');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('error')).toBe(true);
    const recs = await t.records();
    expect(recs.map((r) => r.body)).toEqual(['shown']);
  });

  it('turns an Error into exception.* with its cause chain', async () => {
    const t = start();
    const root = new Error('socket closed');
    const err = new TypeError('payment failed', { cause: root });
    log.error('checkout failed', err);
    log.error('with key', { err: new RangeError('bad'), orderId: 'o-2' });
    const [a, b] = await t.records();
    expect(a?.attributes['exception.type']).toBe('TypeError');
    expect(a?.attributes['exception.message']).toBe('payment failed');
    const stack = String(a?.attributes['exception.stacktrace']);
    expect(stack).toContain('TypeError: payment failed');
    expect(stack).toContain('Caused by: Error: socket closed');
    expect(b?.attributes['exception.type']).toBe('RangeError');
    expect(b?.attributes.orderId).toBe('o-2');
    expect(b?.attributes.err).toBeUndefined();
  });

  it('logs whatever a catch caught under strict types: an Error, a thrown string or number, an object', async () => {
    const t = start();
    const caught: unknown[] = [];
    for (const thrown of [
      new RangeError('out of range'),
      'boom password=hunter2',
      42,
      { code: 'E_CARD' },
    ]) {
      try {
        throw thrown;
      } catch (err) {
        // `err` is `unknown` under `strict`: this line is what must compile and work.
        log.error('payment failed', err);
        caught.push(err);
      }
    }
    const [error, text, number, object] = await t.records();
    expect(caught).toHaveLength(4);
    expect(error?.attributes['exception.type']).toBe('RangeError');
    expect(text?.attributes).toEqual({ 'exception.message': 'boom password=REDACTED' });
    expect(number?.attributes).toEqual({ 'exception.message': '42' });
    expect(object?.attributes).toEqual({ code: 'E_CARD' });
  });

  it('serialises hostile values safely and never throws', async () => {
    const t = start();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    const hostile = {
      get boom(): string {
        throw new Error('getter exploded');
      },
    };
    const throwingJson = {
      toJSON: () => {
        throw new Error('toJSON exploded');
      },
    };
    const huge = 'x'.repeat(100_000);
    expect(() =>
      log.info('values', {
        circular,
        big: 12345678901234567890n,
        date: new Date(Date.UTC(2026, 10, 28, 3, 0, 0)),
        badDate: new Date(Number.NaN),
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        sym: Symbol('s'),
        fn: function handler() {},
        deep,
        hostile,
        throwingJson,
        huge,
        nothing: undefined,
        nul: null,
        map: new Map([['k', 1]]),
        set: new Set([1, 2]),
        bytes: new Uint8Array([1, 2, 3]),
      }),
    ).not.toThrow();
    const [r] = await t.records();
    const a = r?.attributes as Record<string, unknown>;
    expect(a.circular).toEqual({ name: 'loop', self: '[Circular]' });
    expect(a.big).toBe('12345678901234567890');
    expect(a.date).toBe('2026-11-28T03:00:00.000Z');
    expect(a.badDate).toBe('Invalid Date');
    expect(a.nan).toBe('NaN');
    expect(a.inf).toBe('Infinity');
    expect(a.sym).toBe('Symbol(s)');
    expect(a.fn).toBe('[Function handler]');
    expect(JSON.stringify(a.deep)).toContain('[Object]');
    expect(a.hostile).toEqual({ boom: '[Unreadable]' });
    expect(a.throwingJson).toBe('[Unserializable]');
    expect((a.huge as string).length).toBe(16_385);
    expect('nothing' in a).toBe(false);
    expect(a.nul).toBeNull();
    expect(a.map).toEqual({ k: 1 });
    expect(a.set).toEqual([1, 2]);
    expect(a.bytes).toEqual(new Uint8Array([1, 2, 3]));
  });

  // Regressions found by the property tests (logger.property.test.ts).

  it('keeps a graph of shared references bounded: 10 arrays of 8 references to the next', async () => {
    const t = start();
    // Under 1 KB of input; walked as a tree it is 8^8 values (150 MB, 1.7 s before the budget).
    let v: unknown = 'leaf';
    for (let i = 0; i < 10; i++) v = Array(8).fill(v);
    const started = performance.now();
    log.info('shared', { v });
    expect(performance.now() - started).toBeLessThan(1000);
    const [r] = await t.records();
    expect(encodeLogsRequest([r as ReadableLogRecord]).length).toBeLessThan(4 * 1024 * 1024);
    expect(JSON.stringify(r?.attributes)).toContain('[…]');
  });

  it('keeps the record when a Proxy throws from its getPrototypeOf trap or is revoked', async () => {
    const t = start();
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    log.info('as a value', { hostile, revoked, ok: 1 });
    log.info('as the attributes', hostile);
    const recs = await t.records();
    expect(recs.map((r) => r.attributes)).toEqual([
      { hostile: '[Unserializable]', revoked: '[Unserializable]', ok: 1 },
      {},
    ]);
  });

  it('keeps a "__proto__" key (as JSON.parse makes) as a key, not as the prototype', async () => {
    const t = start();
    const body = JSON.parse('{"__proto__": {"injected": 1}, "c": 3}');
    log.info('body', body);
    withScope(body, () => log.child(body).info('in a scope', { own: 1 }));
    withScope({}, () => {
      addScopeAttributes(body);
      log.info('added to a scope');
    });
    const recs = await t.records();
    for (const r of recs) {
      expect(Object.getPrototypeOf(r.attributes)).toBe(Object.prototype);
      expect(Object.keys(r.attributes)).toContain('__proto__');
      expect(Object.getOwnPropertyDescriptor(r.attributes, '__proto__')?.value).toEqual({
        injected: 1,
      });
    }
    const decoded = decodeExportLogsRequest(Buffer.from(encodeLogsRequest(recs)), 'protobuf');
    for (const d of decoded) {
      expect(Object.keys(d.attributes)).toContain('__proto__');
      expect(Object.keys(d.attributes)).not.toContain('injected');
    }
  });

  it('exports scope attributes named like Object.prototype members over OTLP/protobuf', async () => {
    // Through the OTLP/protobuf exporter: the only one whose records keep the
    // scope's attributes apart from the call's (an in-memory exporter gets them merged).
    const receiver = await startOtlpReceiver();
    const handle = startThreadline({
      endpoint: receiver.url,
      ...QUIET,
    });
    stop = async () => {
      await handle.shutdown();
      await receiver.close();
    };
    withScope({ constructor: 'c', toString: 't', own: 'scope' }, () =>
      log.child({ valueOf: 'v' }).info('m', { own: 1 }),
    );
    await handle.forceFlush(5000);
    const [d] = await receiver.waitForRecords(1);
    expect(d?.attributes).toEqual({ constructor: 'c', toString: 't', own: 1, valueOf: 'v' });
  });

  it('never cuts a value in the middle of a surrogate pair', async () => {
    const t = start({ attributeValueLengthLimit: 10 });
    log.info('emoji', { v: `${'a'.repeat(9)}\u{1f600}b` });
    const [r] = await t.records();
    expect(r?.attributes.v).toBe(`${'a'.repeat(9)}…`);
    // A strict OTLP/JSON decoder (protojson, as in `threadline dev`) takes the batch.
    const json = Buffer.from(
      JsonLogsSerializer.serializeRequest([r as ReadableLogRecord]) as Uint8Array,
    );
    expect(decodeExportLogsRequest(json, 'json')[0]?.attributes.v).toBe(`${'a'.repeat(9)}…`);
  });

  it('writes an array used as a Map key as "[Array]", not as its joined elements', async () => {
    const t = start();
    // Counted, not timed (a 10-million-element key once took seconds to join; a
    // time budget failed on a loaded CI machine without any join).
    const key = [1, 2, 3];
    let stringified = 0;
    key.toString = () => `${++stringified}`;
    key.join = () => `${++stringified}`;
    log.info('map', { m: new Map([[key, 1]]) });
    expect(stringified).toBe(0);
    const [r] = await t.records();
    expect(r?.attributes.m).toEqual({ '[Array]': 1 });
  });

  it('caps the number of attributes and counts the rest as dropped', async () => {
    const t = start({ attributeCountLimit: 5 });
    const many: Record<string, number> = {};
    for (let i = 0; i < 20; i++) many[`k${i}`] = i;
    log.info('many', many);
    const [r] = await t.records();
    expect(Object.keys(r?.attributes ?? {})).toHaveLength(5);
    expect(r?.droppedAttributesCount).toBe(15);
  });

  it('child loggers add their attributes; call attributes win', async () => {
    const t = start();
    const child = log.child({ component: 'billing', region: 'eu' });
    child.child({ region: 'us' }).info('charged', { amount: 10 });
    const [r] = await t.records();
    expect(r?.attributes).toEqual({ component: 'billing', region: 'us', amount: 10 });
  });

  it('redacts secret keys at any depth and credentials in URLs and messages', async () => {
    const t = start({ redactKeys: ['ssn'] });
    log.info('calling https://bob:hunter2@api.example.com/x?X-Amz-Signature=abc123&page=2', {
      headers: { Authorization: 'Bearer s3cr3t', 'x-api-key': 'k-123', accept: 'json' },
      user: { password: 'pw', profile: { SSN: '123-45-6789', name: 'Ann' } },
      url: 'postgres://app:dbpass@db:5432/app',
      apiKey: 'abc',
    });
    const [r] = await t.records();
    const dump = JSON.stringify([r?.body, r?.attributes]);
    for (const secret of [
      's3cr3t',
      'k-123',
      'hunter2',
      'abc123',
      'dbpass',
      '123-45-6789',
      '"pw"',
      '"abc"',
    ]) {
      expect(dump).not.toContain(secret);
    }
    expect(r?.body).toBe(
      'calling https://REDACTED:REDACTED@api.example.com/x?X-Amz-Signature=REDACTED&page=2',
    );
    expect(dump).toContain('Ann');
    expect(dump).toContain('json');
  });

  it('redacts OAuth parameters in queries and fragments, the configured keys in URLs, and non-Error causes', async () => {
    const t = start({ redactKeys: ['ssn'] });
    log.info(
      'redirect https://app.example/cb#access_token=tok-1&state=s1 and https://idp.example/token?code=code-2&client_secret=cs-3&refresh_token=rt-4&id_token=it-5&ssn=ssn-6&page=2',
    );
    const err = new Error('query failed', {
      cause: { sql: 'select 1', password: 'pw-7', auth: { token: 'tok-8' } },
    });
    log.error('db', { err });
    const recs = await t.records();
    const dump = JSON.stringify(recs.map((r) => [r.body, r.attributes]));
    for (const secret of ['tok-1', 'code-2', 'cs-3', 'rt-4', 'it-5', 'ssn-6', 'pw-7', 'tok-8']) {
      expect(dump).not.toContain(secret);
    }
    expect(recs[0]?.body).toBe(
      'redirect https://app.example/cb#access_token=REDACTED&state=s1 and https://idp.example/token?code=REDACTED&client_secret=REDACTED&refresh_token=REDACTED&id_token=REDACTED&ssn=REDACTED&page=2',
    );
    const stack = recs[1]?.attributes['exception.stacktrace'] as string;
    expect(stack).toContain('Caused by: {"sql":"select 1","password":"[REDACTED]"');
  });

  it('redacts records that other code emits through the global LoggerProvider too', async () => {
    const t = start();
    logs.getLogger('legacy').emit({
      severityNumber: 13,
      body: 'GET https://u:hunter2@api.example.com/?sig=abc123',
      attributes: { password: 'pw-1', nested: { apiKey: 'k-1' }, ok: 'visible' },
    });
    const recs = await t.records();
    const r = recs.find((x) => x.instrumentationScope.name === 'legacy');
    const dump = JSON.stringify([r?.body, r?.attributes]);
    for (const secret of ['hunter2', 'abc123', 'pw-1', 'k-1']) expect(dump).not.toContain(secret);
    expect(r?.attributes.ok).toBe('visible');
    expect(r?.body).toBe('GET https://REDACTED:REDACTED@api.example.com/?sig=REDACTED');
  });

  it('keeps records written before start (up to the limit) and sends them at start', async () => {
    const s = globalState();
    // As in a fresh process: nothing started yet (earlier tests shut theirs down).
    s.pending = [];
    s.droppedBeforeStart = 0;
    s.stopped = false;
    await withScope({ phase: 'boot' }, async () => {
      log.info('before start');
    });
    const t = start();
    log.info('after start');
    const recs = await t.records();
    expect(recs.map((r) => r.body)).toEqual(['before start', 'after start']);
    expect(recs[0]?.attributes.phase).toBe('boot');
    expect(recs[0]?.resource.attributes['service.name']).toBeDefined();
  });

  it('applies the configured level and redaction to what was written before start', async () => {
    const s = globalState();
    s.pending = [];
    s.droppedBeforeStart = 0;
    s.stopped = false;
    s.minSeverity = 9;
    const early = log.child({ ssn: 'ssn-1', component: 'boot' });
    early.info('early', { ssn: 'ssn-2', pin: 'pin-3' });
    log.info('filtered out by the configured level');
    let later: (() => void) | undefined;
    const done = withScope({ pin: 'pin-4' }, async () => {
      early.warn('before start, in a scope');
      await new Promise<void>((r) => {
        later = r;
      });
      log.warn('after start, in the same scope');
    });
    const t = start({ redactKeys: ['ssn', 'pin'], level: 'warn' });
    early.warn('after start, from the early child');
    later?.();
    await done;
    const recs = await t.records();
    expect(recs.map((r) => r.body)).toEqual([
      'before start, in a scope',
      'after start, from the early child',
      'after start, in the same scope',
    ]);
    const dump = JSON.stringify(recs.map((r) => r.attributes));
    for (const secret of ['ssn-1', 'ssn-2', 'pin-3', 'pin-4']) expect(dump).not.toContain(secret);
    expect(recs[1]?.attributes).toEqual({ ssn: '[REDACTED]', component: 'boot' });
    expect(recs[2]?.attributes).toEqual({ pin: '[REDACTED]' });
  });

  it('replaces keys in a scope without growing it, and caps new keys at the attribute limit', async () => {
    const t = start({ attributeCountLimit: 4 });
    await withScope({ a: 1 }, async () => {
      for (let i = 0; i < 1000; i++) addScopeAttributes({ progress: 'x'.repeat(100) });
      // The size estimate counts `progress` once, not 1000 times.
      expect(getScope()?.bytes).toBeLessThan(200);
      log.info('one');
      addScopeAttributes({ b: 2, c: 3, d: 4, e: 5 });
      log.info('two');
    });
    const recs = await t.records();
    expect(recs[1]?.attributes).toEqual({ a: 1, progress: 'x'.repeat(100), b: 2, c: 3 });
  });

  it('is a silent no-op after shutdown', async () => {
    const t = start();
    log.info('kept');
    expect((await t.records()).map((r) => r.body)).toEqual(['kept']);
    await t.handle.shutdown();
    expect(() => log.error('after shutdown')).not.toThrow();
    expect(t.handle.stats().accepted).toBe(1);
    expect(globalState().pending).toHaveLength(0);
    await expect(t.handle.shutdown()).resolves.toBeUndefined();
  });
});
