// An open-loop load generator: GET requests at a fixed rate, whatever the
// server does, each request's latency counted from the moment it was due
// (not from when it could be sent), so a server that holds its event loop
// is charged for every request that waited behind it. wrk cannot do this
// (its connections wait for a response before the next request).
// Keep-alive connections, one request at a time on each; a request due
// while every connection is busy waits for the first one free, and its wait
// counts. Prints one JSON line: the rate reached and the latency percentiles
// in µs, and how late its own event loop ran (a load generator held off its
// core delays the requests it sends and the answers it reads, and that
// delay is in the latencies too). Run it pinned (taskset) on its own core.
// Usage: node paced-load.ts <port> <rate/s> <seconds> [connections=64]
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const [port, rate, seconds, connections = 64] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number?,
];
if (!(port > 0 && rate > 0 && seconds > 0)) {
  console.error('usage: paced-load.ts <port> <rate/s> <seconds> [connections=64]');
  process.exit(2);
}

const REQUEST = Buffer.from(`GET /orders/42 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
const total = Math.round(rate * seconds);
const latencies = new Float64Array(total);
let done = 0;
let errors = 0;
/** Requests in flight on a connection that closed. */
let lost = 0;
let stopping = false;
let lastAnswer = 0;
/** Due times (ms, performance.now) of requests not sent yet. */
const waiting: number[] = [];
let waitingHead = 0;

interface Conn {
  socket: Socket;
  /** When the request in flight was due, or -1 when idle. */
  due: number;
  buffer: Buffer;
}
/**
 * Idle connections, used in turn (first in, first out): none stays idle long
 * enough for the server's keep-alive timeout to close it under a request.
 */
const idle: Conn[] = [];
let idleHead = 0;
const takeIdle = (): Conn | undefined => {
  if (idleHead === idle.length) return undefined;
  const c = idle[idleHead++];
  if (idleHead === idle.length) {
    idle.length = 0;
    idleHead = 0;
  }
  return c;
};

function send(c: Conn, due: number): void {
  c.due = due;
  c.socket.write(REQUEST);
}

/** Takes one complete response off the front of `c.buffer`; false while it is incomplete. */
function takeResponse(c: Conn): boolean {
  const end = c.buffer.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = c.buffer.subarray(0, end).toString('latin1');
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  const size = end + 4 + length;
  if (c.buffer.length < size) return false;
  if (!head.startsWith('HTTP/1.1 2')) errors++;
  c.buffer = c.buffer.subarray(size);
  return true;
}

function open(): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const c: Conn = { socket, due: -1, buffer: Buffer.alloc(0) };
    socket.once('connect', () => resolve(c));
    socket.once('error', reject);
    // Closed by the server (or broken): a request in flight is lost and counted; a new
    // connection takes this one's place.
    socket.once('close', () => {
      if (stopping) return;
      if (c.due >= 0) lost++;
      c.due = -2;
      open().then(
        (n) => {
          if (waitingHead < waiting.length) send(n, waiting[waitingHead++] as number);
          else idle.push(n);
        },
        () => {},
      );
    });
    socket.on('data', (d: Buffer) => {
      c.buffer = c.buffer.length === 0 ? d : Buffer.concat([c.buffer, d]);
      while (c.due >= 0 && takeResponse(c)) {
        lastAnswer = performance.now();
        if (done < total) latencies[done++] = lastAnswer - c.due;
        c.due = -1;
        if (waitingHead < waiting.length) send(c, waiting[waitingHead++] as number);
        else idle.push(c);
      }
    });
  });
}

const conns = await Promise.all(Array.from({ length: connections }, open));
idle.push(...conns);
const ownLoop = monitorEventLoopDelay({ resolution: 1 });
ownLoop.enable();
const start = performance.now();
let scheduled = 0;
const interval = 1000 / rate;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    // Every request due by now, at its due time.
    while (scheduled < total && start + scheduled * interval <= now) {
      const due = start + scheduled * interval;
      scheduled++;
      let c = takeIdle();
      while (c !== undefined && c.due === -2) c = takeIdle();
      if (c) send(c, due);
      else waiting.push(due);
    }
    if (scheduled < total) setTimeout(tick, Math.min(1, interval));
    else resolve();
  };
  tick();
});
// The last ones answered (or 10 s more at most); the rate is over the scheduled time.
const deadline = performance.now() + 10_000;
while (done + lost < total && performance.now() < deadline) {
  await new Promise((r) => setTimeout(r, 5));
}
stopping = true;
ownLoop.disable();
for (const c of conns) c.socket.destroy();

const sorted = latencies.subarray(0, done).sort();
const at = (q: number) =>
  Math.round((sorted[Math.min(done - 1, Math.floor(q * done))] ?? 0) * 1000);
console.log(
  JSON.stringify({
    rps: done / ((lastAnswer - start) / 1000),
    requests: done,
    errors: errors + (total - done),
    lost,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: Math.round((sorted[done - 1] ?? 0) * 1000),
    ownLoopP99: Math.round(ownLoop.percentile(99) / 1000),
    ownLoopMax: Math.round(ownLoop.max / 1000),
  }),
);
process.exit(0);
