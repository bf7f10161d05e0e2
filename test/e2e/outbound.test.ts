/**
 * Outbound calls across two services (Express 5 or 4 calling Koa with fetch,
 * undici and http.request), each run without any tracing SDK, with
 * @opentelemetry/sdk-node + auto-instrumentations-node at their defaults,
 * and with the SDK running without a tracer provider.
 */
import { createRequire } from 'node:module';
import { type OtlpReceiver, type ReceivedRecord, startOtlpReceiver } from '@threadline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, type SpanInfo, startService } from './services.js';

const require = createRequire(import.meta.url);

interface Seen {
  traceparent: string[];
  tracestate: string[];
}

const SPAN_KIND = { SERVER: 1, CLIENT: 2 };

const MODES = [
  ['without a tracing SDK', 'none'],
  ['with sdk-node and auto-instrumentations-node at their defaults', 'sdk'],
  ['with sdk-node running without a tracer provider', 'sdk-no-spans'],
] as const;

describe.each(
  (['5', '4'] as const).flatMap((express) =>
    MODES.map(
      ([name, mode]) => [`Express ${express} calling Koa, ${name}`, mode, express] as const,
    ),
  ),
)('three calls from one request: %s', (_name, mode, expressMajor) => {
  const withSdk = mode === 'sdk';
  let receiver: OtlpReceiver;
  let a: Service;
  let b: Service;
  const spans: SpanInfo[] = [];
  let seen: Seen[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const common = {
      ENDPOINT: receiver.url,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      // The SDK's own log export is off; Threadline's stays on.
      THREADLINE_EXPORTER: 'otlp',
    };
    const preload =
      mode === 'none' ? [] : ['--require', require.resolve('./fixtures/auto-instrumentations.cjs')];
    const env = { ...common, ...(mode === 'sdk-no-spans' ? { SDK_SPANS: 'none' } : {}) };
    b = await startService('outbound-b.mjs', env, preload);
    a = await startService(
      'outbound-a.mjs',
      { ...env, B_URL: b.url, EXPRESS: expressMajor },
      preload,
    );
    for (const s of [a, b]) {
      s.child.on('message', (m: { spans?: SpanInfo[] }) => {
        if (m.spans) spans.push(...m.spans);
      });
    }
    const reply = await fetch(`${a.url}/fanout`);
    expect(reply.status).toBe(200);
    seen = (await reply.json()) as Seen[];
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await receiver?.close();
  });

  const records = async (service: string, body: string): Promise<ReceivedRecord[]> => {
    await expect
      .poll(
        () =>
          receiver.records.filter((r) => r.resource['service.name'] === service && r.body === body)
            .length,
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(
        body === 'b handled' || (service === 'outbound-b' && body === 'request completed') ? 3 : 1,
      );
    return receiver.records.filter(
      (r) => r.resource['service.name'] === service && r.body === body,
    );
  };

  it('each outbound request carries exactly one traceparent, each with a parent id of its own', () => {
    expect(seen.map((s) => s.traceparent.length)).toEqual([1, 1, 1]);
    const parents = seen.map((s) => (s.traceparent[0] as string).slice(36, 52));
    expect(new Set(parents).size).toBe(3);
  });

  it('one trace across both services, and B’s hops placed under A’s', {
    timeout: 30_000,
  }, async () => {
    const [calling] = await records('outbound-a', 'a calling');
    const handled = await records('outbound-b', 'b handled');
    for (const r of handled) expect(r.traceId).toBe(calling?.traceId);
    for (const s of seen) expect((s.traceparent[0] as string).slice(3, 35)).toBe(calling?.traceId);
    if (!withSdk) {
      // No spans (or only all-zero ones): each call's parent id is new, and
      // tracestate names A's hop, so B records A's hop as its parent.
      for (const r of handled)
        expect(r.attributes['threadline.parent_span_id']).toBe(calling?.spanId);
      seen.forEach((s, i) => {
        const parent = (s.traceparent[0] as string).slice(36, 52);
        if (mode === 'sdk-no-spans' && expressMajor === '4' && i === 2) {
          // http.request: instrumentation-http writes the active span's ids
          // over the call's (Express 4's instrumentation leaves the hop's ids
          // on its no-op spans). The parent id is then the hop itself, and B
          // is still placed under it.
          expect(parent).toBe(calling?.spanId);
          expect(s.tracestate[0]).toMatch(new RegExp(`^threadline=${calling?.spanId}\\.`));
        } else {
          expect(s.tracestate).toEqual([`threadline=${calling?.spanId}.${parent}`]);
        }
      });
    } else {
      // The SDK's spans: each call is a CLIENT span of A, the parent of a SERVER span of B.
      await expect
        .poll(() => spans.filter((s) => s.kind === SPAN_KIND.SERVER).length)
        .toBeGreaterThanOrEqual(4);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      for (const s of seen) {
        const client = byId.get((s.traceparent[0] as string).slice(36, 52));
        expect(client?.kind).toBe(SPAN_KIND.CLIENT);
        expect(client?.traceId).toBe(calling?.traceId);
      }
      for (const r of handled) {
        expect(byId.has(r.spanId)).toBe(true);
        expect(r.attributes['threadline.parent_span_id']).toBeUndefined();
      }
      // Request lines on each service's SERVER span; A's handler line on a span of the SDK's.
      const completed = [
        ...(await records('outbound-a', 'request completed')),
        ...(await records('outbound-b', 'request completed')),
      ];
      expect(completed).toHaveLength(4);
      for (const r of completed) expect(byId.get(r.spanId)?.kind).toBe(SPAN_KIND.SERVER);
      expect(byId.has(calling?.spanId as string)).toBe(true);
    }
  });
});
