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
