/**
 * Property-based test of redaction over the wire: secrets under generated
 * key spellings and nestings, and inside generated strings, logged through
 * every entry point (log calls, scope attributes, child bindings, the bridge
 * API, the global OTel LoggerProvider), never reach a byte a real OTLP
 * receiver is sent, over OTLP/protobuf or OTLP/JSON; allow-listed keys
 * arrive with their values.
 */
import { logs } from '@opentelemetry/api';
import { type OtlpReceiver, startOtlpReceiver } from '@threadline/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_REDACT_KEYS,
  emitBridgedRecord,
  log,
  startThreadline,
  type ThreadlineHandle,
  withScope,
} from '../src/index.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

/** `name` with any case and `-`, `_` or `.` between words, as applications spell keys. */
function spelled(words: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.constantFrom('', '-', '_', '.'), {
        minLength: words.length,
        maxLength: words.length,
      }),
      fc.constantFrom('lower', 'upper', 'camel'),
    )
    .map(([separators, style]) =>
      words
        .map((w, i) => {
          const word =
            style === 'upper'
              ? w.toUpperCase()
              : style === 'camel' && i > 0
                ? w.charAt(0).toUpperCase() + w.slice(1)
                : w;
          return `${i > 0 ? (style === 'camel' ? '' : (separators[i] ?? '')) : ''}${word}`;
        })
        .join(''),
    );
}

/** Keys the redaction promises to catch: default keys, compound keys, dotted and header forms. */
const secretKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...DEFAULT_REDACT_KEYS),
  fc
    .tuple(
      fc.constantFrom('', 'db', 'user', 'stripe', 'aws', 'github', 'openai', 'webhook', 'x'),
      fc.constantFrom(
        ['password'],
        ['secret'],
        ['token'],
        ['api', 'key'],
        ['private', 'key'],
        ['secret', 'access', 'key'],
        ['session', 'id'],
        ['passphrase'],
        ['credentials'],
        ['connection', 'string'],
        ['csrf', 'token'],
        ['signature'],
      ),
      fc.constantFrom([], ['value'], ['hash']),
    )
    .chain(([prefix, words, suffix]) =>
      spelled([...(prefix ? [prefix] : []), ...words, ...suffix]),
    ),
  fc
    .tuple(
      fc.constantFrom('http.request.header.', 'http.response.header.', 'db.', 'app.config.'),
      fc.constantFrom('authorization', 'cookie', 'set-cookie', 'x-api-key', 'password'),
    )
    .map(([ns, name]) => `${ns}${name}`),
);

/** Letters and digits only: carried as they are by a URL, base64 and both encodings. */
const secret = fc.stringMatching(/^[A-Za-z0-9]{20,32}$/);

/** Text around a secret, as messages and values hold it; returns the text and the bytes that must not leave. */
const secretText = fc
  .tuple(
    secretKey,
    secret,
    secret,
    fc.constantFrom(
      'bearer',
      'basic',
      'jwt',
      'pair',
      'colon',
      'json',
      'query',
      'userinfo',
      'header',
    ),
  )
  .map(([key, s, s2, form]): { text: string; needles: string[] } => {
    switch (form) {
      case 'bearer':
        return { text: `calling upstream with Bearer ${s}`, needles: [s] };
      case 'basic': {
        const b64 = Buffer.from(`bob:${s}`).toString('base64');
        return { text: `Authorization header was basic ${b64} today`, needles: [b64, s] };
      }
      case 'jwt': {
        const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
        const payload = Buffer.from(`{"sub":"${s2}"}`).toString('base64url');
        return { text: `token ${header}.${payload}.${s} expired`, needles: [s, payload] };
      }
      case 'pair':
        return { text: `login user=bob ${key}=${s} ok`, needles: [s] };
      case 'colon':
        return { text: `config ${key}: ${s}, retries: 3`, needles: [s] };
      case 'json':
        return { text: `body {"user":"bob","${key}":"${s}"}`, needles: [s] };
      case 'query':
        return { text: `${key}=${s}&page=2`, needles: [s] };
      case 'userinfo':
        return { text: `cloning https://bob:${s}@${s2}@git.example.com/repo`, needles: [s, s2] };
      default:
        return { text: `Cookie: theme=dark; sid=${s}`, needles: [s] };
    }
  });

/** `value` under `depth` levels of maps, arrays and Sets. */
function nest(value: unknown, kinds: readonly number[]): unknown {
  let out = value;
  for (const kind of kinds) out = kind === 0 ? { level: out } : kind === 1 ? [out] : new Set([out]);
  return out;
}

const ALLOWED = {
  token_count: 812,
  tokens_used: 77,
  max_tokens: 1024,
  'gen_ai.usage.input_tokens': 12,
  token_type: 'Bearer',
};

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  describe(`redaction over OTLP ${protocol}`, () => {
    let handle: ThreadlineHandle;
    beforeAll(() => {
      handle = startThreadline({
        endpoint: receiver.url,
        protocol,
        logStartup: false,
        handleSignals: false,
        diagnostics: 'silent',
        env: {},
      });
    });
    afterAll(async () => {
      await handle.shutdown();
      receiver.reset();
    });

    it('sends no byte of a secret from any entry point, and keeps allow-listed keys', async () => {
      await fc.assert(
        fc.asyncProperty(
          secretKey,
          secret,
          secretText,
          fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 4 }),
          async (key, s, { text, needles }, kinds) => {
            receiver.reset();
            const attributes = {
              [key]: nest(s, kinds),
              detail: nest(text, kinds),
              err: new Error(`failed: ${text}`, {
                cause: new Error(text, { cause: { [key]: s } }),
              }),
              ...ALLOWED,
            };
            log.info(text, attributes);
            withScope({ [key]: s, note: text }, () => log.info('in scope'));
            log.child({ [key]: s, note: text }).info('child');
            emitBridgedRecord('bridge', { severityNumber: 9, body: text, attributes });
            logs
              .getLogger('foreign')
              .emit({ body: text, attributes: { [key]: s, note: text, ...ALLOWED } });
            await handle.forceFlush(5000);
            const records = await receiver.waitForRecords(5, 5000);
            expect(records).toHaveLength(5);
            for (const req of receiver.requests) {
              for (const needle of [s, ...needles]) {
                const at = req.body.indexOf(needle);
                expect(
                  at,
                  `${needle} in …${req.body.subarray(Math.max(0, at - 80), at + needle.length)}`,
                ).toBe(-1);
              }
            }
            const first = records.find(
              (r) => r.scope.name === 'threadline' && r.body !== 'in scope',
            );
            expect(first?.attributes).toMatchObject(ALLOWED);
            expect(records.find((r) => r.scope.name === 'foreign')?.attributes).toMatchObject(
              ALLOWED,
            );
          },
        ),
        { numRuns: 25 },
      );
    }, 60_000);
  });
}
