import { inspect } from 'node:util';
import { context, trace } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { addScopeAttributes, traceFields, withHopScope } from '../src/index.js';

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

  it.each([
    ['otel', {}],
    ['ecs', {}],
    ['datadog', {}],
    [{ traceId: 'the "trace"', spanId: 'span\\id', traceFlags: 'f' }, {}],
    ['otel', { scopeAttributes: ['tenant', 'n', 'list', 'absent'] }],
  ] as const)(
    'gives the same fields as JSON members (%j, %j), also as contexts change',
    (profile, options) => {
      const fields = traceFields(profile, options as never);
      const members = () => {
        const json = fields.json();
        return json === '' ? {} : JSON.parse(`{${json.slice(1)}}`);
      };
      expect(members()).toEqual({});
      const scope = { tenant: 'a"b', n: 1.5, list: [1, 'x'] };
      for (let i = 0; i < 2; i++) {
        const [object, json, again] = withHopScope(scope, () => [fields(), members(), members()]);
        expect(json).toEqual(object);
        expect(again).toEqual(object);
        expect(Object.keys(json).length).toBeGreaterThan(1);
      }
      // The scope's attributes change under the same span context.
      const [changed, expectedChanged] = withHopScope(scope, () => {
        members();
        addScopeAttributes({ tenant: 'changed' });
        return [members(), fields()];
      });
      expect(changed).toEqual(expectedChanged);
      expect(members()).toEqual({});
    },
  );

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

  it('follows the span context from call to call, with a fresh object each time', () => {
    const fields = traceFields('otel');
    const ids = () => {
      const sc = trace.getActiveSpan()?.spanContext();
      return { trace_id: sc?.traceId, span_id: sc?.spanId, trace_flags: '01' };
    };
    const [first, again, expected] = withHopScope({}, () => {
      const a = fields();
      a.msg = 'pino merges the line into what the mixin returns';
      return [a, fields(), ids()];
    });
    expect(first).toEqual({ ...expected, msg: 'pino merges the line into what the mixin returns' });
    expect(again).toEqual(expected);
    const [other, otherExpected] = withHopScope({}, () => [fields(), ids()]);
    expect(other).toEqual(otherExpected);
    expect(other.trace_id).not.toBe(first.trace_id);
    expect(fields()).toEqual({}); // outside any trace again
    // An invalid span context writes nothing, also after a valid one.
    const invalid = trace.setSpanContext(context.active(), {
      traceId: '0'.repeat(32),
      spanId: '0'.repeat(16),
      traceFlags: 1,
    });
    withHopScope({}, () => fields());
    expect(context.with(invalid, () => fields())).toEqual({});
  });

  it('writes a custom profile’s names, and no flags field without a name for it', () => {
    const custom = traceFields({ traceId: 'tid', spanId: 'sid', traceFlags: 'flags' });
    const noFlags = traceFields({ traceId: 'tid', spanId: 'sid' });
    const [a, b, sc] = withHopScope({}, () => [
      custom(),
      noFlags(),
      trace.getActiveSpan()?.spanContext(),
    ]);
    expect(a).toEqual({ tid: sc?.traceId, sid: sc?.spanId, flags: '01' });
    expect(b).toEqual({ tid: sc?.traceId, sid: sc?.spanId });
  });

  it('fails fast on an unknown profile', () => {
    expect(() => traceFields('elastic' as never)).toThrow(
      /option "profile" must be "otel", "ecs", "datadog"/,
    );
    expect(() => traceFields({ traceId: '', spanId: 's' })).toThrow(/option "profile"/);
    expect(() => traceFields('toString' as never)).toThrow(/option "profile"/);
    expect(() => traceFields({ traceId: 1, spanId: 's' } as never)).toThrow(/option "profile"/);
    expect(() => traceFields({ traceId: 't', spanId: 's', traceFlags: 1 } as never)).toThrow(
      /option "profile"/,
    );
  });

  it.each([
    ['otel', true],
    ['ecs', true],
    [{ traceId: 'tid', spanId: 'sid' }, true],
    // 64-bit decimal ids cannot give the 128-bit trace id back.
    ['datadog', false],
  ] as const)('reads the span context back from its own fields (%j: %s)', (profile, readable) => {
    const fields = traceFields(profile);
    const [line, sc] = withHopScope({}, () => [fields(), trace.getActiveSpan()?.spanContext()]);
    const read = fields.read(line as Record<string, unknown>);
    if (readable) expect(read).toMatchObject({ traceId: sc?.traceId, spanId: sc?.spanId });
    else expect(read).toBeUndefined();
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

  it('prints but does not capture what forwarding a console call writes to the console, so it cannot recurse', async () => {
    const { captureConsole } = await import('../src/index.js');
    const { startInMemory } = await import('./helpers.js');
    const printed: unknown[][] = [];
    const originals = { log: console.log, warn: console.warn };
    console.log = (...args: unknown[]) => printed.push(['log', ...args]);
    console.warn = (...args: unknown[]) => printed.push(['warn', ...args]);
    const t = startInMemory();
    const restore = captureConsole();
    // Formatting this value (which forwarding does) writes to the console.
    // Captured, that write would be forwarded, formatted, write again, and so on.
    const noisy = {
      [inspect.custom]: () => {
        console.warn('formatting', noisy);
        return 'noisy';
      },
    };
    try {
      console.log('value:', noisy);
      console.log('after it');
      const recs = (await t.records()).filter((r) => r.instrumentationScope.name === 'console');
      expect(recs.map((r) => r.body)).toEqual(['value: noisy', 'after it']);
      expect(printed).toEqual([
        ['log', 'value:', noisy],
        ['warn', 'formatting', noisy],
        ['log', 'after it'],
      ]);
    } finally {
      restore();
      await t.handle.shutdown();
      Object.assign(console, originals);
    }
  });
});

describe('bridged records', () => {
  it('get the instrumentation scope they were emitted with, also when scopes alternate', async () => {
    const { emitBridgedRecord } = await import('../src/index.js');
    const { startInMemory } = await import('./helpers.js');
    const t = startInMemory();
    try {
      for (const scope of ['pino', 'pino', 'winston', 'pino', 'winston'])
        emitBridgedRecord(scope, { severityNumber: 9, body: scope });
      const recs = await t.records();
      expect(recs.map((r) => [r.body, r.instrumentationScope.name])).toEqual([
        ['pino', 'pino'],
        ['pino', 'pino'],
        ['winston', 'winston'],
        ['pino', 'pino'],
        ['winston', 'winston'],
      ]);
    } finally {
      await t.handle.shutdown();
    }
  });
});

describe('record times', () => {
  const nanosOf = (r: { hrTime: [number, number] }) =>
    BigInt(r.hrTime[0]) * 1_000_000_000n + BigInt(r.hrTime[1]);

  it('keep the order of lines written in the same millisecond, bridged or not, also after the clock steps back', async () => {
    const { emitBridgedRecord, log } = await import('../src/index.js');
    const { startInMemory } = await import('./helpers.js');
    const t = startInMemory();
    const clock = vi.spyOn(Date, 'now');
    try {
      const ms = Math.floor(Date.now() / 1000) * 1000 + 60_000_123; // a minute ahead: no record has it yet
      clock.mockReturnValue(ms);
      for (const body of ['first', 'second']) log.info(body);
      for (const body of ['third', 'fourth'])
        emitBridgedRecord('bridge', { severityNumber: 9, body, timeMillis: ms });
      // The clock steps back a minute (an NTP correction): a new count starts there.
      clock.mockReturnValue(ms - 60_000);
      for (const body of ['after the step', 'after the step, again']) log.info(body);
      // A bridged line from the future, or older than the last, is taken as it is and counts nothing.
      emitBridgedRecord('bridge', { severityNumber: 9, body: 'future', timeMillis: ms + 10_000 });
      emitBridgedRecord('bridge', { severityNumber: 9, body: 'older', timeMillis: ms - 70_000.5 });
      log.info('still counted');
      clock.mockRestore();
      const recs = await t.records();
      const at = (b: string) => {
        const r = recs.find((x) => x.body === b);
        if (!r) throw new Error(`no record ${b}`);
        return nanosOf(r as never);
      };
      const base = BigInt(ms) * 1_000_000n;
      const back = BigInt(ms - 60_000) * 1_000_000n;
      expect(['first', 'second', 'third', 'fourth'].map(at)).toEqual([
        base,
        base + 1n,
        base + 2n,
        base + 3n,
      ]);
      expect(['after the step', 'after the step, again', 'still counted'].map(at)).toEqual([
        back,
        back + 1n,
        back + 2n,
      ]);
      expect(at('future')).toBe(BigInt(ms + 10_000) * 1_000_000n);
      expect(at('older')).toBe(BigInt(ms - 70_000) * 1_000_000n - 500_000n);
    } finally {
      clock.mockRestore();
      await t.handle.shutdown();
    }
  });
});
