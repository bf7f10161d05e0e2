/**
 * Redaction of keys and of secrets inside strings (src/internal/redaction.ts),
 * as a user sees it on records, and the work it does on hostile input.
 */
import { logs } from '@opentelemetry/api';
import { type OtlpReceiver, startOtlpReceiver } from '@threadline/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  emitBridgedRecord,
  getLogger,
  log,
  REDACTED,
  startThreadline,
  type ThreadlineHandle,
  withScope,
} from '../src/index.js';
import { resolveConfig } from '../src/internal/config.js';
import { createRedaction, type RedactionConfig } from '../src/internal/redaction.js';
import { DEFAULT_LIMITS, Serializer } from '../src/internal/serialize.js';
import { startInMemory } from './helpers.js';

let t: ReturnType<typeof startInMemory> | undefined;
afterEach(async () => {
  await t?.handle.shutdown();
  t = undefined;
});

function start(options: Parameters<typeof startInMemory>[0] = {}) {
  t = startInMemory(options);
  return t;
}

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const BASIC = Buffer.from('bob:hunter2-basic').toString('base64');

describe('secret keys', () => {
  // Each of these kept its value before: only exact keys matched.
  const LEAKED_KEYS = [
    'http.request.header.authorization',
    'http.request.header.cookie',
    'http.response.header.set-cookie',
    'http.request.header.x-api-key',
    'db.password',
    'user.api_key',
    'aws.secret_access_key',
    'stripe.secretKey',
    'secretKey',
    'secret_key',
    'db.connection_string',
    'x-csrf-token',
    'session_id',
    'passphrase',
    'GITHUB_TOKEN',
    'OPENAI_API_KEY',
    'webhook_secret',
    'signature',
    'connect.sid',
    'db.pwd',
    'userPassword',
    'x-xsrf-token',
  ];

  it('redacts last dotted segments, semantic-convention header attributes and secret words inside compound keys', async () => {
    const r = start();
    const attributes = Object.fromEntries(LEAKED_KEYS.map((k, i) => [k, `value-${i}`]));
    log.info('keys', attributes);
    log.info('nested', { config: { ...attributes }, headers: new Map(Object.entries(attributes)) });
    const [top, nested] = await r.records();
    for (const k of LEAKED_KEYS) expect(top?.attributes[k], k).toBe(REDACTED);
    const dump = JSON.stringify([top?.attributes, nested?.attributes]);
    for (let i = 0; i < LEAKED_KEYS.length; i++) expect(dump).not.toContain(`value-${i}"`);
  });

  it('keeps counts of language-model tokens and the other allow-listed keys', async () => {
    const r = start();
    const kept = {
      token_count: 812,
      tokens_used: 77,
      max_tokens: 1024,
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.token.type': 'input',
      prompt_tokens: 5,
      completion_tokens: 6,
      total_tokens: 11,
      token_type: 'Bearer',
      tokenizer: 'cl100k_base',
    };
    log.info('usage', kept);
    const [rec] = await r.records();
    expect(rec?.attributes).toEqual(kept);
  });

  it('takes more allowed keys from redactAllowKeys, and redactKeys and redactPatterns win over the allow-list', async () => {
    const r = start({
      redactAllowKeys: ['secret_name'],
      redactKeys: ['token_count'],
      redactPatterns: [/^gen_ai\.usage\./],
    });
    log.info('k8s', {
      'k8s.secret_name': 'db-credentials',
      token_count: 3,
      'gen_ai.usage.input_tokens': 4,
      max_tokens: 5,
    });
    const [rec] = await r.records();
    expect(rec?.attributes).toEqual({
      'k8s.secret_name': 'db-credentials',
      token_count: REDACTED,
      'gen_ai.usage.input_tokens': REDACTED,
      max_tokens: 5,
    });
  });

  it('refuses a redactAllowKeys that is not an array of non-empty strings, naming the option', () => {
    expect(() => resolveConfig({ redactAllowKeys: [''] })).toThrow(/redactAllowKeys/);
    expect(() => resolveConfig({ redactAllowKeys: 'token' as never })).toThrow(/redactAllowKeys/);
  });
});

describe('secrets inside strings', () => {
  it('redacts Bearer and Basic credentials and JWTs in messages, values, arrays, Sets and header arrays', async () => {
    const r = start();
    log.info(`GET /orders with Bearer tok-bearer-1 and basic ${BASIC} with ${JWT}`);
    log.info('outbound', {
      detail: `sent bearer tok-bearer-2 and ${JWT}`,
      list: [`Bearer tok-bearer-3`],
      set: new Set([`Basic ${BASIC}`]),
      'http.request.header.x-forwarded-authorization': ['Bearer tok-bearer-4'],
      'http.request.header.authorization': ['Bearer tok-bearer-5'],
    });
    const recs = await r.records();
    const dump = JSON.stringify(recs.map((x) => [x.body, x.attributes]));
    for (const secret of ['tok-bearer', BASIC, 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c']) {
      expect(dump).not.toContain(secret);
    }
    expect(recs[0]?.body).toBe('GET /orders with Bearer REDACTED and basic REDACTED with REDACTED');
    expect(recs[1]?.attributes.list).toEqual(['Bearer REDACTED']);
  });

  it('redacts password=… pairs in messages and in Error messages with their causes', async () => {
    const r = start();
    log.info('login user=bob password=pw-1 ok');
    log.info('config {"user":"bob","password":"pw-2"} and secret: pw-3');
    const cause = new Error('connect failed: user=bob password=pw-4');
    log.error('db', {
      err: new Error('query failed token=pw-5', { cause: new Error('retry', { cause }) }),
    });
    const recs = await r.records();
    const dump = JSON.stringify(recs.map((x) => [x.body, x.attributes]));
    for (const s of ['pw-1', 'pw-2', 'pw-3', 'pw-4', 'pw-5']) expect(dump).not.toContain(s);
    expect(recs[0]?.body).toBe('login user=bob password=REDACTED ok');
    expect(recs[1]?.body).toBe('config {"user":"bob","password":"REDACTED"} and secret: REDACTED');
    expect(recs[2]?.attributes['exception.message']).toBe('query failed token=REDACTED');
  });

  it('redacts a url.query without its "?" and the whole password of a URL whose password holds "@"', async () => {
    const r = start();
    log.info('request', {
      'url.query': 'token=tok-q1&a=b',
      'url.full': 'https://u:p@ssX-1@h.example/path?x=1',
      signed: 'X-Amz-Signature=sig-q2&X-Amz-Date=20240101',
    });
    const [rec] = await r.records();
    expect(rec?.attributes).toEqual({
      'url.query': 'token=REDACTED&a=b',
      'url.full': 'https://REDACTED:REDACTED@h.example/path?x=1',
      signed: 'X-Amz-Signature=REDACTED&X-Amz-Date=20240101',
    });
  });

  it('leaves ordinary text alone: a basic setup, a time, a key that is not secret', async () => {
    const r = start();
    const lines = [
      'Basic setup done at 12:30',
      'cache key=user:42 evicted',
      'error: connection refused',
      'https://example.com/a?page=2&sort=asc',
    ];
    for (const line of lines) log.info(line);
    const recs = await r.records();
    expect(recs.map((x) => x.body)).toEqual(lines);
  });

  it('redacts on every path: scopes, child bindings, bridges and the global LoggerProvider', async () => {
    const r = start();
    withScope({ note: 'Bearer tok-path-1' }, () => log.info('scoped'));
    log.child({ note: 'password=tok-path-2' }).info('child');
    emitBridgedRecord('pino', { severityNumber: 9, body: 'Bearer tok-path-3', attributes: {} });
    logs
      .getLogger('foreign')
      .emit({ body: `jwt ${JWT}`, attributes: { note: 'token=tok-path-4' } });
    const recs = await r.records();
    expect(recs).toHaveLength(4);
    const dump = JSON.stringify(recs.map((x) => [x.body, x.attributes]));
    expect(dump).not.toContain('tok-path');
    expect(dump).not.toContain('SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV');
  });
});

/** A redaction that remembers the longest string it was given. */
function measuring(): RedactionConfig & { longest: number } {
  const inner = createRedaction();
  const spy = {
    longest: 0,
    isSecretKey: inner.isSecretKey,
    mayHoldSecret: inner.mayHoldSecret,
    redactString(value: string): string {
      spy.longest = Math.max(spy.longest, value.length);
      return inner.redactString(value);
    },
  };
  return spy;
}

describe('cost of hostile input', () => {
  const limit = DEFAULT_LIMITS.attributeValueLengthLimit;

  it('cuts a 50 MB string to the limit and a margin before redacting it, and still redacts a secret across the cut', () => {
    const redaction = measuring();
    const serializer = new Serializer(redaction, DEFAULT_LIMITS);
    const huge = `${'&a=b'.repeat(limit / 4 - 3)}&token=tok-cut-${'x'.repeat(50 * 1024 * 1024)}`;
    const n = serializer.attributes({ q: huge });
    expect(redaction.longest).toBeLessThanOrEqual(limit + 1024);
    const q = n.attributes.q as string;
    expect(q.length).toBeLessThanOrEqual(limit + 1);
    expect(q).not.toContain('tok-cut');
    expect(q.endsWith('…')).toBe(true);
  });

  it('cuts the causes of an Error as they are joined, before redacting them', () => {
    const redaction = measuring();
    const serializer = new Serializer(redaction, DEFAULT_LIMITS);
    let err = new Error('x'.repeat(10 * 1024 * 1024));
    for (let i = 0; i < 7; i++) err = new Error(`level ${i}`, { cause: err });
    serializer.attributes({ err });
    expect(redaction.longest).toBeLessThanOrEqual(limit + 1025);
  });

  it('does not read the stack of an Error (or a cause) whose message passes 1 MiB, and keeps its type and cut message', () => {
    const serializer = new Serializer(createRedaction(), DEFAULT_LIMITS);
    let stackReads = 0;
    const withCountedStack = (message: string, cause?: unknown): Error => {
      const error = new TypeError(message, cause === undefined ? undefined : { cause });
      const stack = error.stack;
      Object.defineProperty(error, 'stack', {
        get: () => {
          stackReads++;
          return stack;
        },
      });
      return error;
    };
    const huge = 'm'.repeat(2 * 1024 * 1024);
    const n = serializer.attributes({ err: withCountedStack(huge) });
    expect(stackReads).toBe(0);
    expect(n.attributes['exception.type']).toBe('TypeError');
    expect(n.attributes['exception.stacktrace']).toMatch(/^TypeError: m{100}/);
    // A cause with a huge message is not read either; an ordinary error's stack is.
    serializer.attributes({ err: withCountedStack('outer', withCountedStack(huge)) });
    expect(stackReads).toBe(1);
  });

  it('writes typed arrays other than Uint8Array, and String objects, without reading their elements', () => {
    const serializer = new Serializer(createRedaction(), DEFAULT_LIMITS);
    const floats = new Float64Array(4);
    const elements = new Proxy(floats, {
      ownKeys: () => {
        throw new Error('elements were enumerated');
      },
    });
    const n = serializer.attributes({
      floats,
      view: new DataView(new ArrayBuffer(16)),
      words: new String('abc'),
    });
    expect(n.attributes).toEqual({
      floats: '[Float64Array(4)]',
      view: '[DataView(16)]',
      words: 'abc',
    });
    // A Proxy of a typed array is not a view: it is read as an object, and fails safely.
    expect(serializer.attributes({ elements }).attributes.elements).toBe('[Unserializable]');
  });

  it('cuts a key longer than the limit', () => {
    const serializer = new Serializer(createRedaction(), DEFAULT_LIMITS);
    const n = serializer.attributes({ [`${'k'.repeat(limit)}password`]: 'v' });
    const [key] = Object.keys(n.attributes);
    expect(key?.length).toBe(limit + 1);
  });
});

describe('well-formed strings over OTLP/JSON', () => {
  let receiver: OtlpReceiver;
  let handle: ThreadlineHandle | undefined;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
    receiver.reset();
  });

  const lone = '😀😀😀'.slice(0, 5);

  it('delivers a batch of 102 records one of which holds lone surrogates in its body, keys, values, scope, logger name and resource', async () => {
    handle = startThreadline({
      endpoint: receiver.url,
      protocol: 'http/json',
      logStartup: false,
      handleSignals: false,
      diagnostics: 'silent',
      resourceAttributes: { 'deployment.note': lone },
      env: {},
    });
    for (let i = 0; i < 50; i++) log.info(`before ${i}`);
    withScope({ [`scope${lone}`]: lone }, () =>
      getLogger(`name${lone}`).info(`body ${lone}`, { [`key${lone}`]: [lone], v: lone }),
    );
    logs.getLogger(`foreign${lone}`).emit({ body: lone, severityText: lone });
    for (let i = 0; i < 50; i++) log.info(`after ${i}`);
    await handle.forceFlush(5000);
    const records = await receiver.waitForRecords(102, 5000);
    expect(handle.stats().dropped.rejected).toBe(0);
    expect(receiver.attempts).toBe(receiver.requests.length);
    const rec = records.find((x) => typeof x.body === 'string' && x.body.startsWith('body'));
    expect(rec?.body).toBe('body 😀😀\ufffd');
    expect(rec?.attributes).toMatchObject({
      'key😀😀\ufffd': ['😀😀\ufffd'],
      v: '😀😀\ufffd',
      'scope😀😀\ufffd': '😀😀\ufffd',
    });
    expect(rec?.resource['deployment.note']).toBe('😀😀\ufffd');
    expect(rec?.scope.name).toBe('name😀😀\ufffd');
    const foreign = records.find((x) => x.scope.name.startsWith('foreign'));
    expect([foreign?.scope.name, foreign?.body, foreign?.severityText]).toEqual([
      'foreign😀😀\ufffd',
      '😀😀\ufffd',
      '😀😀\ufffd',
    ]);
  });
});
