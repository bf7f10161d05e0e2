/**
 * Property-based test of redaction: for any secret under any key of
 * the default redaction list, spelled as applications spell it, wherever the
 * redaction promises to reach, the secret is in no byte of the OTLP/protobuf
 * or OTLP/JSON request that would be exported.
 */

import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_KEYS, emitBridgedRecord, log, REDACTED, withScope } from '../src/index.js';
import { encodeLogsRequest } from '../src/internal/otlp-protobuf.js';
import { useInMemory } from './helpers.js';

// Default limits: values are long enough to hold the whole URL around a secret.
const t = useInMemory();

const flushed = t.flushed;

/**
 * A key of the default redaction list as applications spell it: any case, and
 * `-`, `_` or `.` anywhere (they are ignored when keys are compared).
 */
const redactedKey = fc
  .tuple(
    fc.constantFrom(...DEFAULT_REDACT_KEYS),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    fc.array(fc.constantFrom('', '', '', '-', '_', '.'), { minLength: 40, maxLength: 40 }),
  )
  .map(([name, upper, separators]) =>
    [...name.replace(/[-_.]/g, '')]
      .map((c, i) => `${i > 0 ? separators[i] : ''}${upper[i] ? c.toUpperCase() : c}`)
      .join(''),
  );

/** Query parameters the redaction knows by name, whatever the key list (signed URLs, OAuth). */
const SIGNED_URL_PARAMS = [
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Goog-Signature',
  'X-Goog-Credential',
  'token',
  'access_token',
  'api_key',
  'apikey',
  'key',
  'password',
  'code',
  'client_secret',
  'refresh_token',
  'id_token',
];

/** URL-safe, so a URL carries it as it is, and long enough never to occur by chance. */
const secret = fc.stringMatching(/^[A-Za-z0-9._~-]{16,40}$/);

/** Every place the redaction promises to reach, holding `s` under `k`. */
function placements(k: string, param: string, s: string, depth: number): Array<[string, unknown]> {
  const nest = (v: unknown): unknown => {
    let out = v;
    for (let i = 0; i < depth; i++) out = i % 2 ? [out] : { level: out };
    return out;
  };
  const url = `https://api.example.com/v1/orders?page=2&${encodeURIComponent(k)}=${s}&sort=asc`;
  const signed = `https://bucket.example.com/o?${param}=${s}#state=1`;
  const fragment = `https://app.example.com/callback#${k}=${s}&state=x`;
  const credentials = `postgres://app:${s}@db.internal:5432/orders`;
  const userinfo = `https://${s}@github.com/org/repo.git`;
  const urls = [url, signed, fragment, credentials, userinfo];
  const error = new Error(`request to ${url} failed`, {
    cause: new Error(`retry of ${signed} failed`, { cause: { [k]: s, more: nest({ [k]: s }) } }),
  });
  return [
    ['top-level key', { [k]: s }],
    ['nested key', { request: nest({ headers: { [k]: s, accept: 'json' } }) }],
    ['Map key', { headers: new Map([[k, s]]) }],
    ['key of a toJSON result', { body: { toJSON: () => ({ [k]: s }) } }],
    ['URLs as values', { urls: nest(urls) }],
    ['URLs in a message', `calls: ${urls.join(' ')}`],
    ['Error with URLs and a cause', { err: error }],
    ['nested Error', { failure: nest({ error }) }],
    ['Error as the attributes', error],
  ];
}

describe('redaction', () => {
  it('never lets a secret under a default redaction key reach a byte of the OTLP/protobuf or OTLP/JSON request', async () => {
    await fc.assert(
      fc.asyncProperty(
        redactedKey,
        fc.constantFrom(...SIGNED_URL_PARAMS),
        secret,
        fc.integer({ min: 0, max: 5 }),
        async (k, param, s, depth) => {
          const cases = placements(k, param, s, depth);
          for (const [, where] of cases) {
            if (typeof where === 'string') log.info(where);
            else log.info('redaction', where as Record<string, unknown>);
          }
          log.child({ [k]: s, link: `https://u:${s}@h.example` }).info('child bindings');
          withScope({ [k]: s }, () => log.info('scope attributes'));
          emitBridgedRecord('bridge', {
            severityNumber: 9,
            body: `GET https://u:${s}@h.example/?${k}=${s}`,
            attributes: { [k]: s },
          });
          const records = await flushed();
          expect(records).toHaveLength(cases.length + 3);

          const needle = Buffer.from(s, 'utf8');
          const proto = Buffer.from(encodeLogsRequest(records));
          const json = Buffer.from(JsonLogsSerializer.serializeRequest(records) as Uint8Array);
          for (const [name, bytes] of [
            ['protobuf', proto],
            ['json', json],
          ] as const) {
            const at = bytes.indexOf(needle);
            expect(
              at,
              `${name}: …${bytes.subarray(Math.max(0, at - 120), at + needle.length).toString()}`,
            ).toBe(-1);
            expect(bytes.includes(Buffer.from('REDACTED'))).toBe(true);
          }
          // Each placement left a trace of the redaction in its own record.
          for (const [i, [name]] of cases.entries()) {
            expect(JSON.stringify([records[i]?.body, records[i]?.attributes]), name).toContain(
              'REDACTED',
            );
          }
          expect(records[cases.length]?.attributes[k]).toBe(REDACTED);
        },
      ),
      { numRuns: 150 },
    );
  });
});
