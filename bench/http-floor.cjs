// The floor of a correlated request in a server: the `floor` variant of
// http-server.cjs. What any design must do to give a request its ids and
// export two records of it, and nothing more: a trace id, a span id and a
// request id; one context entry and one AsyncLocalStorage run; the two
// records (the handler's line and `request completed`, with the request's
// method, path and request id, and the same attributes as Threadline's)
// encoded straight into the batch's bytes by a protobuf writer made for
// their shape; and one OTLP/HTTP request per 2,048 records (Express, Koa,
// Fastify and Hono middleware). No redaction,
// no limits, no size budget, no severity queue, no retry, no options: it
// is a measure, not a logger.
const { randomBytes, randomUUID } = require('node:crypto');
const http = require('node:http');
const { context, createContextKey, ROOT_CONTEXT } = require('@opentelemetry/api');
// The context manager Threadline registers (a dependency of core, not of the benchmarks).
const { AsyncLocalStorageContextManager } = require(
  require.resolve('@opentelemetry/context-async-hooks', {
    paths: [require.resolve('@threadline/core')],
  }),
);

const manager = new AsyncLocalStorageContextManager();
manager.enable();
context.setGlobalContextManager(manager);

const KEY = createContextKey('floor.request');
const BATCH = 2048;
const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });

/** The batch being written: log_records fields, back to back. */
let buf = Buffer.allocUnsafe(1 << 20);
let pos = 0;
let count = 0;
const inFlight = new Set();

function ensure(n) {
  if (pos + n <= buf.length) return;
  const next = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n));
  buf.copy(next, 0, 0, pos);
  buf = next;
}
function varint(v) {
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
}
/** A length-delimited field whose body is under 128 bytes (keys and values here are). */
function short(tag, text) {
  buf[pos++] = tag;
  buf[pos++] = text.length;
  pos += buf.latin1Write(text, pos);
}
function kvString(key, value) {
  buf[pos++] = 0x32; // attributes
  buf[pos++] = key.length + value.length + 6;
  short(0x0a, key);
  buf[pos++] = 0x12;
  buf[pos++] = value.length + 2;
  short(0x0a, value);
}
function kvInt(key, value) {
  buf[pos++] = 0x32;
  const lenAt = pos++;
  short(0x0a, key);
  buf[pos++] = 0x12;
  const valueAt = pos++;
  buf[pos++] = 0x18; // int_value
  varint(value);
  buf[valueAt] = pos - valueAt - 1;
  buf[lenAt] = pos - lenAt - 1;
}
function kvDouble(key, value) {
  buf[pos++] = 0x32;
  buf[pos++] = key.length + 13;
  short(0x0a, key);
  buf[pos++] = 0x12;
  buf[pos++] = 9;
  buf[pos++] = 0x21; // double_value
  pos = buf.writeDoubleLE(value, pos);
}
function kvBool(key, value) {
  buf[pos++] = 0x32;
  buf[pos++] = key.length + 6;
  short(0x0a, key);
  buf[pos++] = 0x12;
  buf[pos++] = 2;
  buf[pos++] = 0x10; // bool_value
  buf[pos++] = value ? 1 : 0;
}

/** One LogRecord, as a log_records field, of request `r`. */
function record(r, body, attributes) {
  const lenAt = recordStart(Date.now(), 9, body); // INFO
  kvString('http.request.method', r.method);
  kvString('url.path', r.path);
  kvString('threadline.request.id', r.id);
  attributes();
  recordEnd(lenAt, r.ids);
}

let recordNs = 0n;
/**
 * Starts a log_records field (time, severity, body): its attributes follow,
 * then recordEnd() with where its length goes.
 */
function recordStart(ms, severity, body) {
  ensure(512);
  buf[pos++] = 0x12; // log_records
  const lenAt = pos;
  pos += 2; // a two-byte length: records here are under 16 KiB
  recordNs = BigInt(ms) * 1_000_000n;
  buf[pos++] = 0x09; // time_unix_nano
  pos = buf.writeBigUInt64LE(recordNs, pos);
  buf[pos++] = 0x10; // severity_number
  buf[pos++] = severity;
  buf[pos++] = 0x2a; // body: AnyValue { string_value }
  buf[pos++] = body.length + 2;
  short(0x0a, body);
  return lenAt;
}

/** Ends the record: flags, the ids (`ids`: trace id then span id, 24 bytes), observed time. */
function recordEnd(lenAt, ids) {
  buf[pos++] = 0x45; // flags
  pos = buf.writeUInt32LE(1, pos);
  buf[pos++] = 0x4a; // trace_id
  buf[pos++] = 16;
  pos += ids.copy(buf, pos, 0, 16);
  buf[pos++] = 0x52; // span_id
  buf[pos++] = 8;
  pos += ids.copy(buf, pos, 16, 24);
  buf[pos++] = 0x59; // observed_time_unix_nano
  pos = buf.writeBigUInt64LE(recordNs, pos);
  const len = pos - lenAt - 2;
  buf[lenAt] = (len & 0x7f) | 0x80;
  buf[lenAt + 1] = len >>> 7;
  if (++count === BATCH) send();
}

/** A length-delimited field of `bytes`. */
const field = (tag, bytes) => Buffer.concat([header(tag, bytes.length), bytes]);
// ResourceLogs.resource: Resource { attributes: service.name = "bench" }.
const RESOURCE = field(
  0x0a,
  field(
    0x0a,
    Buffer.concat([
      field(0x0a, Buffer.from('service.name')),
      field(0x12, field(0x0a, Buffer.from('bench'))),
    ]),
  ),
);
// ScopeLogs.scope: InstrumentationScope { name: "floor" }.
const SCOPE = field(0x0a, field(0x0a, Buffer.from('floor')));
function header(tag, length) {
  const out = [tag];
  let v = length;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/** The records written so far, as one ExportLogsServiceRequest, sent. */
function send() {
  if (count === 0) return;
  const records = buf.subarray(0, pos);
  const slLength = SCOPE.length + records.length;
  const sl = header(0x12, slLength);
  const rlLength = RESOURCE.length + sl.length + slLength;
  const body = Buffer.concat([header(0x0a, rlLength), RESOURCE, sl, SCOPE, records]);
  buf = Buffer.allocUnsafe(buf.length);
  pos = 0;
  count = 0;
  const done = new Promise((resolve) => {
    const req = http.request(
      exports.endpoint,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', resolve);
    req.end(body);
  });
  inFlight.add(done);
  done.then(() => inFlight.delete(done));
}

exports.endpoint = '';
// For pino-floor.cjs: a record of any line, written as the requests' are.
exports.writer = { recordStart, recordEnd, kvString, kvInt, kvDouble, kvBool };

/** What a request's scope holds: its ids (trace 16 bytes, span 8) and attributes. */
function begin(method, path, res, route) {
  const r = { ids: randomBytes(24), id: randomUUID(), method, path, started: performance.now() };
  res.once('close', () =>
    record(r, 'request completed', () => {
      kvString('http.route', route);
      kvInt('http.response.status_code', res.statusCode);
      kvDouble('threadline.duration_ms', performance.now() - r.started);
    }),
  );
  return ROOT_CONTEXT.setValue(KEY, r);
}

/** The handler's line, in the active request. */
exports.log = (id) => {
  const r = context.active().getValue(KEY);
  if (!r) return;
  record(r, 'order loaded', () => {
    kvString('order.id', id);
    kvInt('order.items', 3);
    kvBool('paid', true);
  });
};

exports.express = () => (req, res, next) =>
  context.with(begin(req.method, req.path, res, '/orders/:id'), next);

exports.koa = () => (ctx, next) =>
  context.with(begin(ctx.method, ctx.path, ctx.res, '/orders/:id'), next);

exports.fastify = () => (request, reply, done) =>
  context.with(begin(request.method, request.url, reply.raw, '/orders/:id'), done);

// @hono/node-server hands the node:http response over as `c.env.outgoing`.
exports.hono = () => (c, next) =>
  context.with(begin(c.req.method, c.req.path, c.env.outgoing, '/orders/:id'), next);

exports.flush = async () => {
  send();
  await Promise.all([...inFlight]);
};
