// Preloaded into an HTTP benchmark server (`node --require`) by
// latency-stalls.ts. It records when the event loop stopped for more than
// 8 ms (a 1 ms interval timer firing more than 8 ms after its last turn),
// whether a garbage collection pause or the start of an outgoing HTTP
// request (an export) fell in that time, and how much of it the main thread
// spent on the CPU (`process.threadCpuUsage`) and the process's other
// threads (V8's workers, libuv's pool); what is left of a stall was neither
// (other processes, or a wait in a system call). It also gives the main
// thread's and the whole process's CPU over the window, as a share of its
// wall time. At each `flush` message it sends what it recorded since the
// last one as a `stalls` message, and starts again: as the flush begins,
// before the server's own handler flushes.
const { PerformanceObserver, performance } = require('node:perf_hooks');
const diagnostics = require('node:diagnostics_channel');

const STALL_MS = 8;
if (typeof process.threadCpuUsage !== 'function') {
  throw new Error(
    'stall-recorder.cjs needs process.threadCpuUsage: run it on the Node.js 24 of node_modules/node',
  );
}
/** [start, duration] of each GC pause, ms (performance.now's clock). */
const pauses = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });
/** When each outgoing HTTP request started. */
const requests = [];
diagnostics.subscribe('http.client.request.start', () => requests.push(performance.now()));

/** The main thread's CPU time, ms. */
const threadCpu = () => {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
};
const processCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/** [start, length, main thread's CPU ms in it, the other threads' CPU ms in it] of each stall. */
const stalls = [];
let last = performance.now();
let lastCpu = threadCpu();
let lastProcessCpu = processCpu();
setInterval(() => {
  const now = performance.now();
  const cpu = threadCpu();
  const all = processCpu();
  if (now - last > STALL_MS) {
    stalls.push([last, now - last, cpu - lastCpu, all - lastProcessCpu - (cpu - lastCpu)]);
  }
  last = now;
  lastCpu = cpu;
  lastProcessCpu = all;
}, 1).unref();
/** Where the window began: wall, main thread's and process's CPU, ms. */
let window = [performance.now(), threadCpu(), processCpu()];

process.on('message', (m) => {
  if (m?.type !== 'flush') return;
  let withPause = 0;
  let withRequest = 0;
  let offCpu = 0;
  let longest = 0;
  let total = 0;
  let onCpuTotal = 0;
  let otherThreadsTotal = 0;
  for (const [start, length, cpu, others] of stalls) {
    const end = start + length;
    if (pauses.some(([s, d]) => s < end && s + d > start)) withPause++;
    if (requests.some((t) => t >= start && t < end)) withRequest++;
    if (cpu < length / 2) offCpu++;
    longest = Math.max(longest, length);
    total += length;
    onCpuTotal += Math.min(cpu, length);
    otherThreadsTotal += Math.max(0, others);
  }
  const [wall0, thread0, process0] = window;
  const wall = performance.now() - wall0;
  const threadShare = (threadCpu() - thread0) / wall;
  const processShare = (processCpu() - process0) / wall;
  process.send({
    type: 'stalls',
    stalls: {
      count: stalls.length,
      withPause,
      withRequest,
      offCpu,
      longest,
      total,
      onCpuTotal,
      otherThreadsTotal,
      threadShare,
      processShare,
    },
  });
  window = [performance.now(), threadCpu(), processCpu()];
  stalls.length = 0;
  pauses.length = 0;
  requests.length = 0;
});
