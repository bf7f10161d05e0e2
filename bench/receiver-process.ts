// The receiving end of the benchmark, in its own process (the other core).
// It must never be the bottleneck, so it counts records instead of building
// objects: protobuf bodies are walked field by field with protobufjs's Reader
// (ExportLogsServiceRequest.resource_logs = 1 → ResourceLogs.scope_logs = 2 →
// ScopeLogs.log_records = 2, per the official logs.proto), JSON bodies are
// parsed with JSON.parse. Tests use the full decoding receiver in @threadline/testing.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const { Reader } = protobuf;

/** Counts the LEN-typed occurrences of `field` in a message, recursing into `into`. */
function countNested(buf: Uint8Array, path: number[]): number {
  const reader = Reader.create(buf);
  let n = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === path[0] && wire === 2) {
      if (path.length === 1) {
        const len = reader.uint32();
        reader.pos += len;
        n++;
      } else n += countNested(reader.bytes(), path.slice(1));
    } else reader.skipType(wire);
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
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : undefined);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}/v1/logs` });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'count') process.send?.({ type: 'count', count, bytes });
  if (m.type === 'reset') {
    count = 0;
    bytes = 0;
    process.send?.({ type: 'reset' });
  }
  if (m.type === 'close') server.close(() => process.exit(0));
});
