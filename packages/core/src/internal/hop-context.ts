/**
 * The context of one hop of Threadline's own (no tracing SDK made a span):
 * the hop's span, its scope and, for a request, the request, as one object
 * on top of the context the hop started in.
 *
 * OpenTelemetry's own contexts copy their whole `Map` of values on every
 * `setValue`: the span, the scope and the request would make three copies a
 * request. This one is a single allocation, read through to its parent for
 * every other key. Whoever sets a value on top of it (rare without a tracing
 * SDK) gets an OpenTelemetry context holding the same values, made once.
 * With a tracing SDK's span, hops use OpenTelemetry's contexts as they are.
 */
import { type Context, ROOT_CONTEXT, type Span, type SpanContext, trace } from '@opentelemetry/api';

/** The key `trace.getSpan` reads: `createContextKey` makes keys with `Symbol.for`. */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

export class HopScopeContext implements Context {
  private span: Span | undefined;
  private flat: Context | undefined;

  constructor(
    private readonly parent: Context,
    private readonly spanContext: SpanContext,
    private readonly scopeKey: symbol,
    private readonly scope: unknown,
    private readonly extraKey: symbol | undefined,
    private readonly extra: unknown,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) {
      this.span ??= trace.wrapSpanContext(this.spanContext);
      return this.span;
    }
    if (key === this.scopeKey) return this.scope;
    if (key === this.extraKey && key !== undefined) return this.extra;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.flatten().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.flatten().deleteValue(key);
  }

  /** The same values in an OpenTelemetry context, made on first use. */
  private flatten(): Context {
    if (this.flat === undefined) {
      let c = trace.setSpan(this.parent, this.getValue(SPAN_KEY) as Span);
      c = c.setValue(this.scopeKey, this.scope);
      if (this.extraKey !== undefined) c = c.setValue(this.extraKey, this.extra);
      this.flat = c;
    }
    return this.flat;
  }
}

let works: boolean | undefined;
/**
 * Whether `trace.getSpan` reads a HopScopeContext's span: true for every
 * `@opentelemetry/api` 1.x. Checked once; when false, hops use
 * OpenTelemetry's contexts.
 */
export function hopContextWorks(): boolean {
  if (works === undefined) {
    const sc: SpanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    const probe = Symbol('threadline.probe');
    const c = new HopScopeContext(ROOT_CONTEXT, sc, probe, 1, undefined, undefined);
    works =
      trace.getSpanContext(c) === sc &&
      trace.getSpanContext(c.setValue(Symbol('other'), 1)) === sc &&
      c.setValue(Symbol('other'), 1).getValue(probe) === 1;
  }
  return works;
}
