import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { traceFields, withHopScope } from '../src/index.js';

describe('traceFields', () => {
  it('writes Datadog’s ids as the decimal low 64 bits of the trace id and the span id', () => {
    const fields = traceFields('datadog');
    const out = withHopScope({}, () => {
      const sc = trace.getActiveSpan()?.spanContext() ?? { traceId: '', spanId: '' };
      return { fields: fields(), sc };
    });
    expect(out.fields['dd.trace_id']).toBe(BigInt(`0x${out.sc.traceId.slice(16)}`).toString());
    expect(out.fields['dd.span_id']).toBe(BigInt(`0x${out.sc.spanId}`).toString());
  });

  it('reads the ids back from a line, and nothing from a malformed one', () => {
    const fields = traceFields('otel');
    const line = withHopScope({}, () => fields());
    expect(fields.read(line)).toMatchObject({
      traceId: line.trace_id,
      spanId: line.span_id,
      traceFlags: 1,
    });
    expect(fields.read({ trace_id: 'zz', span_id: 'b7ad6b7169203331' })).toBeUndefined();
  });

  it('fails fast on an unknown profile', () => {
    expect(() => traceFields('elastic' as never)).toThrow(
      /option "profile" must be "otel", "ecs", "datadog"/,
    );
    expect(() => traceFields({ traceId: '', spanId: 's' })).toThrow(/option "profile"/);
  });
});

describe('captureConsole', () => {
  it('exports console calls with the trace context and scope, prints them as before, and restores the console', async () => {
    const { captureConsole, getTraceIds } = await import('../src/index.js');
    const { startInMemory } = await import('./helpers.js');
    const printed: unknown[][] = [];
    const originalWarn = console.warn;
    console.warn = (...args: unknown[]) => printed.push(args);
    const t = startInMemory();
    const restore = captureConsole();
    try {
      let traceId = '';
      withHopScope({ 'legacy.path': true }, () => {
        traceId = getTraceIds().traceId;
        console.warn('legacy path hit', { id: 7 });
      });
      const recs = (await t.records()).filter((r) => r.instrumentationScope.name === 'console');
      expect(recs).toHaveLength(1);
      expect(recs[0]?.body).toBe('legacy path hit { id: 7 }');
      expect(recs[0]?.severityText).toBe('WARN');
      expect(recs[0]?.spanContext?.traceId).toBe(traceId);
      expect(recs[0]?.attributes['legacy.path']).toBe(true);
      expect(printed[0]).toEqual(['legacy path hit', { id: 7 }]);
    } finally {
      restore();
      await t.handle.shutdown();
      console.warn = originalWarn;
    }
    expect(console.warn).toBe(originalWarn);
  });
});
