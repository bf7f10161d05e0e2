import { setTimeout as sleep } from 'node:timers/promises';
import { type Context, context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addScopeAttributes,
  extractTraceContext,
  getTraceIds,
  log,
  tryGetScopeAttributes,
  tryGetTraceIds,
  withHopScope,
  withScope,
} from '../src/index.js';
import { ownHops } from '../src/internal/state.js';
import { ATTR_PARENT_SPAN_ID } from '../src/propagation.js';
import { startInMemory } from './helpers.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
});

describe('scopes', () => {
  it("keeps each request's trace id and attributes on its own lines under 200 concurrent requests", async () => {
    const t = startInMemory();
    stop = () => t.handle.shutdown();
    const traceIds = new Map<number, string>();
    await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        withHopScope({ 'request.n': n }, async () => {
          traceIds.set(n, getTraceIds().traceId);
          await sleep(Math.random() * 20);
          log.info('step 1');
          addScopeAttributes({ 'user.id': `u${n}` });
          await new Promise<void>((r) => setImmediate(r));
          await withScope({ phase: 'inner' }, async () => {
            await sleep(Math.random() * 10);
            log.info('step 2');
          });
          // Awaited, not slept past: under a loaded CI machine a timer can fire late.
          await new Promise<void>((resolve) =>
            setTimeout(() => {
              log.info('from a timer');
              resolve();
            }, Math.random() * 10),
          );
        }),
      ),
    );
    const recs = await t.records();
    expect(recs).toHaveLength(600);
    for (const r of recs) {
      const n = r.attributes['request.n'] as number;
      expect(r.spanContext?.traceId).toBe(traceIds.get(n));
      if (r.body !== 'step 1') expect(r.attributes['user.id']).toBe(`u${n}`);
      else expect(r.attributes['user.id']).toBeUndefined();
      expect(r.attributes.phase).toBe(r.body === 'step 2' ? 'inner' : undefined);
    }
    expect(new Set(traceIds.values()).size).toBe(200);
  });

  it('gives each hop its own span id and continues the incoming trace', () => {
    const ctx = extractTraceContext({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    withHopScope(
      {},
      () => {
        const ids = getTraceIds();
        expect(ids.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
        expect(ids.spanId).not.toBe('b7ad6b7169203331');
        expect(ids.traceFlags).toBe(1);
      },
      { context: ctx },
    );
  });

  it("takes a hop nested in another hop of Threadline's, of this copy or of an earlier version, for a new hop", () => {
    // An earlier version of core marked its hops in a process-wide set.
    const earlier = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: false,
    };
    ownHops().add(earlier);
    const inner = (ctx: Context) =>
      withHopScope(
        {},
        () => [getTraceIds().spanId, tryGetScopeAttributes()?.[ATTR_PARENT_SPAN_ID]],
        {
          context: ctx,
        },
      );
    const [spanId, parent] = inner(trace.setSpanContext(ROOT_CONTEXT, earlier));
    expect([spanId === earlier.spanId, parent]).toEqual([false, earlier.spanId]);
    const [outer, nested] = withHopScope({}, () => [getTraceIds().spanId, inner(context.active())]);
    expect(nested?.[0]).not.toBe(outer);
    expect(nested?.[1]).toBe(outer);
  });

  it('restart starts a new trace and keeps the incoming one as a link attribute; ignore drops it', async () => {
    const t = startInMemory();
    stop = () => t.handle.shutdown();
    const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    withHopScope({}, () => log.info('restarted'), {
      context: extractTraceContext(headers, { trust: 'restart' }),
    });
    withHopScope({}, () => log.info('ignored'), {
      context: extractTraceContext(headers, { trust: 'ignore' }),
    });
    const [restarted, ignored] = await t.records();
    expect(restarted?.spanContext?.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(restarted?.attributes['threadline.link.trace_id']).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
    expect(restarted?.attributes['threadline.link.span_id']).toBe('b7ad6b7169203331');
    expect(ignored?.spanContext?.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(ignored?.attributes['threadline.link.trace_id']).toBeUndefined();
  });

  it.each([
    ['version ff', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['uppercase hex', '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01'],
    ['short', '00-0af7651916cd43dd-b7ad6b7169203331-01'],
    ['CRLF', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nx-evil: 1'],
    ['8 KB', `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01${'-a'.repeat(4096)}`],
  ])('ignores a malformed traceparent (%s) and starts a fresh trace', (_name, value) => {
    const ctx = extractTraceContext({ traceparent: value });
    withHopScope(
      {},
      () => {
        const ids = getTraceIds();
        expect(ids.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
        expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
      },
      { context: ctx },
    );
  });

  it('never throws into the application on hostile input, and still runs the work once', async () => {
    const t = startInMemory();
    stop = () => t.handle.shutdown();
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
        get() {
          throw new Error('trap');
        },
      },
    );
    let runs = 0;
    expect(withScope(hostile, () => ++runs)).toBe(1);
    expect(withHopScope(hostile, () => ++runs)).toBe(2);
    await withScope({ ok: true }, async () => {
      expect(addScopeAttributes(hostile)).toBe(true);
      log.child(hostile).info('from a hostile child');
    });
    const carrier = {
      get(): string {
        throw new Error('broken carrier');
      },
    };
    expect(() => extractTraceContext(carrier)).not.toThrow();
    // Errors of the work itself pass through unchanged.
    const boom = new Error('boom');
    expect(() =>
      withScope({}, () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(() => withScope({}, 'not a function' as never)).toThrow(/needs a function/);
    const recs = await t.records();
    expect(recs.map((r) => [r.body, r.attributes.ok])).toEqual([['from a hostile child', true]]);
  });

  it('getTraceIds throws a clear error outside a scope; tryGetTraceIds returns undefined', () => {
    expect(tryGetTraceIds()).toBeUndefined();
    expect(() => getTraceIds()).toThrow(/outside a traced scope/);
    expect(addScopeAttributes({ a: 1 })).toBe(false);
  });
});
