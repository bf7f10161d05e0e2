// The floor of an exported pino line: the `floor` step of pino-steps.cjs.
// What any design must do to write a pino line with its trace ids and
// export it as a record, and nothing more: one context entry holding the
// span's ids (and their JSON, built once); a `hooks.streamWrite` that
// appends that JSON to the line; pino.multistream handing the line and
// pino's metadata to a second stream, which writes the record straight into
// the batch's bytes (http-floor.cjs's writer) from the call's fields as
// pino hands them over (`lastObj`, `lastMsg`, `lastLevel`, `lastTime`); and
// one OTLP/HTTP request per 2,048 records. No copy of the call's fields, no
// bindings, no redaction, no limits, no size budget, no queue, no retry: it
// is a measure, not a logger. Its writer takes the benchmark's lines only
// (short ASCII keys and values, pino's epoch-ms time, a message), and a line
// written outside a span is not exported (the benchmark writes every line in
// one).
const { randomBytes } = require('node:crypto');
const { context, createContextKey, ROOT_CONTEXT } = require('@opentelemetry/api');
const floor = require('./http-floor.cjs');

const { recordStart, recordEnd, kvString, kvInt, kvDouble, kvBool } = floor.writer;
const KEY = createContextKey('floor.span');

/** A context with one span's ids, and the JSON members its lines end with. */
function spanContext() {
  const ids = randomBytes(24);
  const hex = ids.toString('hex');
  const json = `,"trace_id":"${hex.slice(0, 32)}","span_id":"${hex.slice(32)}","trace_flags":"01"`;
  return ROOT_CONTEXT.setValue(KEY, { ids, json });
}

// The span the hook found for the line being written, read by the stream that writes its record.
let lineSpan;

/** pino's hooks.streamWrite: the active span's ids appended to the line. */
function streamWrite(line) {
  lineSpan = context.active().getValue(KEY);
  return lineSpan === undefined ? line : `${line.slice(0, -2)}${lineSpan.json}}\n`;
}

// pino's levels (10 … 60) → OpenTelemetry severity numbers.
const SEVERITY = { 10: 1, 20: 5, 30: 9, 40: 13, 50: 17, 60: 21 };

/** The second stream of pino.multistream: each line's record, from pino's metadata. */
const destination = {
  [Symbol.for('pino.metadata')]: true,
  lastObj: undefined,
  lastMsg: undefined,
  lastLevel: undefined,
  lastTime: undefined,
  write() {
    const span = lineSpan;
    if (span === undefined) return true;
    const lenAt = recordStart(Number(this.lastTime), SEVERITY[this.lastLevel] ?? 9, this.lastMsg);
    const fields = this.lastObj;
    for (const key in fields) {
      const v = fields[key];
      if (typeof v === 'string') kvString(key, v);
      else if (typeof v === 'boolean') kvBool(key, v);
      else if (Number.isSafeInteger(v) && v >= 0) kvInt(key, v);
      else if (typeof v === 'number') kvDouble(key, v);
    }
    recordEnd(lenAt, span.ids);
    return true;
  },
};

/** pino options, its second stream, and running `fn` in a span. */
exports.setUp = (endpoint) => {
  floor.endpoint = endpoint;
  return {
    options: { hooks: { streamWrite } },
    destination,
    inSpan: (fn) => context.with(spanContext(), fn),
    flush: floor.flush,
  };
};
