// The receiving end of the benchmark, in its own process (the other core).
// It must never be the bottleneck, so it counts records instead of building
// objects: protobuf bodies are walked field by field, by offsets, copying
// nothing (ExportLogsServiceRequest.resource_logs = 1 → ResourceLogs.scope_logs
// = 2 → ScopeLogs.log_records = 2, per the official logs.proto), JSON bodies are
// parsed with JSON.parse. Tests use the full decoding receiver in @threadline/testing.
// It can be taken down and brought back on the same port (`down` / `up`
// messages), as a collector outage: see soak.ts.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** Reads a varint at `pos`; returns [value, next position]. */
function varint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  let p = pos;
  for (;;) {
    const b = buf[p++] as number;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, p];
    shift += 7;
  }
}

/**
 * Counts the LEN-typed occurrences of `path[last]` inside `buf[start, end)`,
 * following `path` through nested messages by offsets (nothing is copied).
 */
function countNested(buf: Uint8Array, path: number[], start = 0, end = buf.length): number {
  let n = 0;
  let p = start;
  while (p < end) {
    const [tag, afterTag] = varint(buf, p);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    p = afterTag;
    if (wire === 0) p = varint(buf, p)[1];
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const [len, body] = varint(buf, p);
      if (field === path[0])
        n += path.length === 1 ? 1 : countNested(buf, path.slice(1), body, body + len);
      p = body + len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return n;
}

function countJson(body: Buffer): number {
  const req = JSON.parse(body.toString('utf8')) as {
    resourceLogs?: Array<{ scopeLogs?: Array<{ logRecords?: unknown[] }> }>;
  };
  let n = 0;
  for (const rl of req.resourceLogs ?? [])
    for (const sl of rl.scopeLogs ?? []) n += sl.logRecords?.length ?? 0;
  return n;
}

let count = 0;
let bytes = 0;
let port = 0;
/** Going down: requests already being read are answered, then their connections close. */
let closing = false;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    bytes += body.length;
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const json = String(req.headers['content-type']).includes('json');
    try {
      count += json ? countJson(body) : countNested(body, [1, 2, 2]);
    } catch {
      res.writeHead(400).end();
      return;
    }
    // Counted and answered: the client sees its success, so nothing is sent twice.
    if (closing) res.setHeader('connection', 'close');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : undefined);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}/v1/logs` });
});
// A driver that died does not leave its receiver behind.
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { type: string }) => {
  if (m.type === 'count') process.send?.({ type: 'count', count, bytes });
  if (m.type === 'reset') {
    count = 0;
    bytes = 0;
    process.send?.({ type: 'reset' });
  }
  if (m.type === 'close') server.close(() => process.exit(0));
  // An outage: connections are refused until `up` (idle keep-alive sockets are closed now).
  if (m.type === 'down') {
    closing = true;
    server.close(() => process.send?.({ type: 'down' }));
    server.closeIdleConnections();
  }
  if (m.type === 'up') {
    closing = false;
    server.listen(port, '127.0.0.1', () => process.send?.({ type: 'up' }));
  }
});
