/**
 * Property-based tests of the inbound request id: whatever arrives
 * in `x-request-id`, the request id on the scope, on log lines and on the
 * echoed response header is the incoming one when it is safe, a fresh UUID
 * otherwise, and never carries a control character or grows without bound.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { context } from '@opentelemetry/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ATTR_REQUEST_ID,
  createHttpCorrelator,
  log,
  MAX_REQUEST_ID_LENGTH,
  tryGetScopeAttributes,
} from '../src/index.js';
import { createRedaction } from '../src/internal/redaction.js';
import { useInMemory } from './helpers.js';
import {
  CONTROL_CHARS,
  headerValue,
  hostilePiece,
  hostileString,
  LINE_BREAKS,
  mutated,
} from './hostile.js';

const SAFE_ID = /^[A-Za-z0-9._~:@+=/-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const t = useInMemory();

// The default redaction, as the pipeline of these tests has it.
const redaction = createRedaction();

/**
 * A request id the correlator must keep: one value of 1–128 safe characters
 * that the redaction leaves as they are (else the records would carry another id).
 */
function isSafe(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= MAX_REQUEST_ID_LENGTH &&
    SAFE_ID.test(value) &&
    redaction.redactString(value) === value
  );
}

const safeId = fc.stringMatching(/^[A-Za-z0-9._~:@+=/-]{1,140}$/);
const requestIdInput = headerValue(
  fc.oneof(
    { weight: 2, arbitrary: hostileString },
    { weight: 2, arbitrary: safeId },
    { weight: 2, arbitrary: mutated(safeId) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(safeId, fc.integer({ min: 126, max: 130 }))
        .map(([id, n]) => id.repeat(Math.ceil(n / id.length)).slice(0, n)),
    },
    { weight: 1, arbitrary: fc.string({ unit: hostilePiece, minLength: 1, maxLength: 10 }) },
  ),
);

describe('the incoming request id', () => {
  const correlator = createHttpCorrelator({
    logCompleted: false,
    responseHeaders: { requestId: true },
  });

  it('is replaced by a UUID when the redaction would change it, so that the records carry the id echoed', () => {
    const idOf = (incoming: string) => {
      const req = new http.IncomingMessage(new Socket());
      req.method = 'GET';
      req.url = '/orders/7';
      req.headers = { 'x-request-id': incoming };
      const scope = correlator.begin(req, new http.ServerResponse(req));
      const attribute = context.with(
        scope.context,
        () => tryGetScopeAttributes()?.[ATTR_REQUEST_ID],
      );
      expect(attribute).toBe(scope.requestId);
      return scope.requestId;
    };
    for (const kept of ['req-1', 'order:42', 'YWJj==', 'a@b']) expect(idOf(kept)).toBe(kept);
    for (const changed of ['A://@A://@A', 'https://u:p@h', 'sig=abc', 'eyJhbGciOiJIUzI1.x']) {
      expect(idOf(changed)).toMatch(UUID);
    }
  });

  it('is kept when safe, replaced by a UUID otherwise, and is bounded and free of control characters everywhere it appears', async () => {
    await fc.assert(
      fc.asyncProperty(requestIdInput, async (incoming) => {
        const req = new http.IncomingMessage(new Socket());
        req.method = 'GET';
        req.url = '/orders/7';
        req.headers = { 'x-request-id': incoming };
        const res = new http.ServerResponse(req);

        const scope = correlator.begin(req, res);
        const id = scope.requestId;
        if (isSafe(incoming)) expect(id).toBe(incoming);
        else expect(id).toMatch(UUID);
        expect(id.length).toBeGreaterThan(0);
        expect(id.length).toBeLessThanOrEqual(MAX_REQUEST_ID_LENGTH);
        expect(id).not.toMatch(CONTROL_CHARS);
        expect(id).not.toMatch(LINE_BREAKS);

        // The echoed header (Node itself rejects CR/LF there, so reaching it at all proves it clean).
        expect(res.getHeader('x-request-id')).toBe(id);
        context.with(scope.context, () => {
          expect(tryGetScopeAttributes()?.[ATTR_REQUEST_ID]).toBe(id);
          log.info('handled');
        });
        const [record] = await t.records();
        t.exporter.reset();
        expect(record?.attributes[ATTR_REQUEST_ID]).toBe(id);
      }),
      { numRuns: 200 },
    );
  });

  it('arrives unchanged over a real connection when safe, and as a fresh UUID when not', async () => {
    const server = http.createServer((req, res) => {
      const scope = correlator.begin(req, res);
      res.end(scope.requestId);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    // What an HTTP client can put in a header at all: visible ASCII, spaces and tabs, obs-text.
    const sendable = fc.string({
      unit: fc.oneof(
        fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        fc.constantFrom('\t', '\u00e9', '\u00ff'),
      ),
      minLength: 1,
      maxLength: 200,
    });
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(safeId, sendable), async (incoming) => {
          const { status, body, header } = await new Promise<{
            status: number | undefined;
            body: string;
            header: string | string[] | undefined;
          }>((resolve, reject) => {
            http
              .get(
                { host: '127.0.0.1', port, path: '/', headers: { 'x-request-id': incoming } },
                (res) => {
                  let body = '';
                  res.setEncoding('latin1');
                  res.on('data', (c: string) => {
                    body += c;
                  });
                  res.on('end', () =>
                    resolve({ status: res.statusCode, body, header: res.headers['x-request-id'] }),
                  );
                },
              )
              .on('error', reject);
          });
          expect(status).toBe(200);
          expect(header).toBe(body);
          // Node trims surrounding whitespace from header values before the correlator sees them.
          const received = incoming.replace(/^[ \t]+|[ \t]+$/g, '');
          if (isSafe(received) && received !== '') expect(body).toBe(received);
          else expect(body).toMatch(UUID);
        }),
        { numRuns: 100 },
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
