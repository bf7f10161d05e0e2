// Preloaded into an HTTP benchmark server (`node --require`) by
// latency-stalls.ts: records when the event loop stopped for more than
// 8 ms (a 1 ms interval timer firing more than 8 ms after its last turn), and whether a garbage
// collection pause or the start of an outgoing HTTP request (an export)
// fell in that time. At each `flush` message it sends what it recorded
// since the last one as a `stalls` message, and starts again: as the flush
// begins, before the server's own handler flushes.
const { PerformanceObserver, performance } = require('node:perf_hooks');
const diagnostics = require('node:diagnostics_channel');

const STALL_MS = 8;
/** [start, duration] of each GC pause, ms (performance.now's clock). */
const pauses = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });
/** When each outgoing HTTP request started. */
const requests = [];
diagnostics.subscribe('http.client.request.start', () => requests.push(performance.now()));

/** [start, length] of each stall. */
const stalls = [];
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > STALL_MS) stalls.push([last, now - last]);
  last = now;
}, 1).unref();

process.on('message', (m) => {
  if (m?.type !== 'flush') return;
  let withPause = 0;
  let withRequest = 0;
  let longest = 0;
  let total = 0;
  for (const [start, length] of stalls) {
    const end = start + length;
    if (pauses.some(([s, d]) => s < end && s + d > start)) withPause++;
    if (requests.some((t) => t >= start && t < end)) withRequest++;
    longest = Math.max(longest, length);
    total += length;
  }
  process.send({
    type: 'stalls',
    stalls: { count: stalls.length, withPause, withRequest, longest, total },
  });
  stalls.length = 0;
  pauses.length = 0;
  requests.length = 0;
});
