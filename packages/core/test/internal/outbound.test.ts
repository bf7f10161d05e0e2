import dc from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectTraceContext, withHopScope } from '../../src/index.js';
import { startInMemory } from '../helpers.js';

const SDK_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01';

/**
 * What instrumentation-undici does on each request: its own trace headers,
 * added after the application's. `client`: a client span of its own (a real
 * tracer); `repeat`: the active span's ids again (the API's no-op tracer).
 */
let instrumentation: 'client' | 'repeat' = 'client';
function likeInstrumentationUndici({
  request,
}: {
  request: { addHeader(k: string, v: string): void };
}) {
  if (instrumentation === 'client') {
    request.addHeader('traceparent', SDK_TRACEPARENT);
    request.addHeader('tracestate', 'sdk=1');
    return;
  }
  const sc = trace.getSpanContext(context.active());
  if (sc) request.addHeader('traceparent', `00-${sc.traceId}-${sc.spanId}-01`);
}

let server: http.Server;
let url = '';
const received: string[][] = [];
const t = startInMemory();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received.push(req.rawHeaders);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // The SDK starts first, as it must for its instrumentations.
  dc.subscribe('undici:request:create', likeInstrumentationUndici as never);
});
afterAll(async () => {
  dc.unsubscribe('undici:request:create', likeInstrumentationUndici as never);
  server.close();
  await t.handle.shutdown();
});

const values = (raw: string[], name: string) =>
  raw.filter((_v, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === name);

describe('beside a tracing SDK that instruments undici', () => {
  it('an outbound fetch or undici request carries one traceparent and one tracestate: the SDK’s', async () => {
    received.length = 0;
    await withHopScope({}, async () => {
      await fetch(url, { headers: injectTraceContext({ accept: 'text/plain' }) });
      await (await undiciRequest(url, { headers: injectTraceContext({}) })).body.text();
      await fetch(url, { headers: injectTraceContext(new Headers()) });
    });
    expect(received).toHaveLength(3);
    for (const raw of received) {
      expect(values(raw, 'traceparent')).toEqual([SDK_TRACEPARENT]);
      expect(values(raw, 'tracestate')).toEqual(['sdk=1']);
    }
    expect(values(received[0] as string[], 'accept')).toEqual(['text/plain']);
  });

  it('keeps the call’s own parent id when the SDK’s header only repeats the hop (no-op tracer)', async () => {
    received.length = 0;
    instrumentation = 'repeat';
    let hop = '';
    try {
      await withHopScope({}, async () => {
        hop = trace.getSpanContext(context.active())?.spanId as string;
        await fetch(url, { headers: injectTraceContext({}) });
        await fetch(url, { headers: injectTraceContext({}) });
      });
    } finally {
      instrumentation = 'client';
    }
    const calls = received.map((raw) => {
      const [tp] = values(raw, 'traceparent');
      expect(values(raw, 'traceparent')).toHaveLength(1);
      const call = (tp as string).slice(36, 52);
      expect(values(raw, 'tracestate')).toEqual([`threadline=${hop}.${call}`]);
      return call;
    });
    expect(new Set([...calls, hop]).size).toBe(3);
  });

  it('leaves a request alone that carries one traceparent', async () => {
    received.length = 0;
    await fetch(url, { headers: { 'x-other': '1' } });
    expect(values(received[0] as string[], 'traceparent')).toEqual([SDK_TRACEPARENT]);
    expect(values(received[0] as string[], 'x-other')).toEqual(['1']);
  });
});

describe('a tracing SDK without a tracer provider (spans with all-zero ids around the handlers)', () => {
  it("lines, tryGetTraceIds() and outbound calls keep the hop's ids", async () => {
    const { INVALID_SPAN_CONTEXT } = await import('@opentelemetry/api');
    const { log, tryGetTraceIds } = await import('../../src/index.js');
    t.exporter.reset();
    let hop: { traceId: string; spanId: string } | undefined;
    let inside: unknown;
    let headers: Record<string, string> = {};
    withHopScope({ 'tenant.id': 't-1' }, () => {
      hop = tryGetTraceIds();
      // What an instrumentation does around a handler with the no-op tracer.
      const noop = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
      context.with(trace.setSpan(context.active(), noop), () => {
        inside = tryGetTraceIds();
        log.info('in the handler');
        headers = injectTraceContext({} as Record<string, string>);
      });
    });
    expect(hop?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(inside).toEqual(hop && { ...hop, traceFlags: 1 });
    const [line] = await t.records();
    expect(line?.spanContext?.traceId).toBe(hop?.traceId);
    expect(line?.spanContext?.spanId).toBe(hop?.spanId);
    expect(headers.traceparent?.slice(3, 35)).toBe(hop?.traceId);
    expect(headers.tracestate).toMatch(new RegExp(`^threadline=${hop?.spanId}\\.`));
  });
});

describe("a tracing SDK's span for a trace its sampler dropped", () => {
  it('is used as it is: no hop of its own, no parent id made up for outbound calls', async () => {
    const { tryGetTraceIds, tryGetScopeAttributes } = await import('../../src/index.js');
    // What an SDK's tracer returns for an unsampled trace: valid ids, not recording, not remote.
    const unsampled = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 0,
      isRemote: false,
    });
    let ids: unknown;
    let parent: unknown;
    let headers: Record<string, string> = {};
    context.with(trace.setSpan(context.active(), unsampled), () =>
      withHopScope({}, () => {
        ids = tryGetTraceIds();
        parent = tryGetScopeAttributes()?.['threadline.parent_span_id'];
        headers = injectTraceContext({} as Record<string, string>);
      }),
    );
    expect(ids).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 0,
    });
    expect(parent).toBeUndefined();
    expect(headers.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
    expect(headers.tracestate).toBeUndefined();
  });
});
