// The floor of a correlated, exported HTTP request, and Threadline's request
// path step by step, measured the same way: CPU time (user + system, this
// process, all its threads) per request in a loop of requests with no HTTP
// server around them (a request and response object made in the loop, as a
// framework would hand them over), in chunks of 1,024 requests with a turn
// of the event loop between chunks so that exports go out as they would.
//
// The floor is what any design must do for a request with two exported
// records: its ids (trace, span, request id), one context entry and the
// AsyncLocalStorage run that carries it, the two records' bytes encoded once,
// and a share of one HTTP request a batch (a 2,048-record batch carries 1,024
// requests). Threadline's steps are the ones of http-cost.ts --steps, cut
// short by options: the scope alone, the records built, kept in the queue,
// exported. Each variant runs in a fresh process; variants are interleaved
// within each round.
//
// A loop like this one runs hot: the same code and data stay in the CPU's
// caches. In a server each µs here costs 2–4× more (compare http-cost.ts), so
// read the floor against Threadline's figure of the same table, not against
// a server's.
// Usage: node --import tsx floor.ts [--requests 200000 --rounds 5]
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { setImmediate as turn } from 'node:timers/promises';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createHttpCorrelator, log, startThreadline } from '@threadline/core';
import {
  encodeLogsRequest,
  releaseRequestBody,
} from '../packages/core/src/internal/otlp-protobuf.ts';
import { randomSpanId, randomTraceId } from '../packages/core/src/internal/w3c.ts';
import { answerAsChild, arg, args, interleaved, median, startCapturing } from './lib.js';

const REQUESTS = arg('requests', 200_000);
const ROUNDS = arg('rounds', 5);
const CHUNK = 1024;
const BATCH = 2 * CHUNK;

/** A variant: its row's name, whether it is part of the floor, and its Threadline options. */
const VARIANTS: Array<{ name: string; floor: boolean; options?: object }> = [
  { name: 'ids: trace id, span id, request id', floor: true },
  { name: 'one context entry and its AsyncLocalStorage run', floor: true },
  { name: 'two records encoded once', floor: true },
  { name: 'a share of one HTTP request a batch (1/1,024)', floor: true },
  {
    name: 'Threadline: the scope (no record)',
    floor: false,
    options: { exporter: 'none', level: 'fatal' },
  },
  {
    name: 'Threadline: + 2 records built, dropped',
    floor: false,
    options: { exporter: 'none', maxQueueSize: 1, maxExportBatchSize: 1 },
  },
  {
    name: 'Threadline: + kept in the export queue (as objects)',
    floor: false,
    options: { exporter: 'none' },
  },
  {
    name: 'Threadline: + exported (encoded when written; as used)',
    floor: false,
    options: {},
  },
];

const fields = (id: string) => ({ 'order.id': id, 'order.items': 3, paid: true });

/** CPU µs per request of `run(n)` doing n requests, chunk by chunk. */
async function cpuPerRequest(run: (n: number) => void | Promise<void>): Promise<number> {
  // Warm-up: the same work, not measured.
  for (let i = 0; i < 20; i++) {
    await run(CHUNK);
    await turn();
  }
  const before = process.cpuUsage();
  for (let done = 0; done < REQUESTS; done += CHUNK) {
    await run(CHUNK);
    await turn();
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}

/** A request and response as node:http hands them to a framework (the parts the correlator reads). */
function fakeExchange() {
  const req = {
    method: 'GET',
    url: '/orders/42',
    headers: { host: '127.0.0.1', 'user-agent': 'wrk' },
    socket: { remoteAddress: '127.0.0.1' },
  };
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    writableFinished: true,
    headersSent: true,
  });
  return { req, res };
}

/** Threadline's records of `n` requests made by the real correlator, captured (not exported). */
async function capturedRecords(n: number): Promise<ReadableLogRecord[]> {
  const { handle, records } = startCapturing(BATCH);
  threadlineRequests(n);
  await handle.forceFlush(5000);
  return records().slice(0, 2 * n);
}

const correlator = createHttpCorrelator({});
const hooks = { route: () => '/orders/:id' };
/** `n` requests through the correlator, as an adapter runs them: the handler writes one line. */
function threadlineRequests(n: number): void {
  for (let i = 0; i < n; i++) {
    const { req, res } = fakeExchange();
    const scope = correlator.begin(req as never, res as never, hooks);
    context.with(scope.context, () => log.info('order loaded', fields('42')));
    res.emit('close');
  }
}

async function child(index: number, url: string): Promise<number> {
  const v = VARIANTS[index];
  if (!v) throw new Error(`no variant ${index}`);
  switch (index) {
    case 0:
      return cpuPerRequest((n) => {
        for (let i = 0; i < n; i++) {
          randomTraceId();
          randomSpanId();
          randomUUID();
        }
      });
    case 1: {
      startThreadline({ serviceName: 'bench', exporter: 'none', logStartup: false, env: {} });
      const key = createContextKey('floor.hop');
      const noop = () => {};
      return cpuPerRequest((n) => {
        for (let i = 0; i < n; i++) context.with(ROOT_CONTEXT.setValue(key, i), noop);
      });
    }
    case 2: {
      const records = await capturedRecords(CHUNK);
      return cpuPerRequest((n) => {
        for (let i = 0; i < n; i += CHUNK) releaseRequestBody(encodeLogsRequest(records));
      });
    }
    case 3: {
      const records = await capturedRecords(CHUNK);
      const body = Buffer.from(encodeLogsRequest(records));
      const agent = new Agent({ keepAlive: true, maxSockets: 2 });
      const post = () =>
        new Promise<void>((resolve, reject) => {
          const r = httpRequest(
            url,
            {
              method: 'POST',
              agent,
              headers: {
                'content-type': 'application/x-protobuf',
                'content-length': body.length,
              },
            },
            (res) => {
              res.resume();
              res.on('end', resolve);
            },
          );
          r.on('error', reject);
          r.end(body);
        });
      // One POST of a full batch for every 1,024 requests (the harness's chunk).
      return cpuPerRequest(() => post());
    }
    default: {
      const handle = startThreadline({
        serviceName: 'bench',
        endpoint: url,
        logStartup: false,
        diagnostics: 'silent',
        handleSignals: false,
        env: {},
        ...v.options,
      });
      let flushed = 0;
      const us = await cpuPerRequest(async (n) => {
        threadlineRequests(n);
        // The export of what was written, counted in: wait for it past every 16 chunks.
        if (++flushed % 16 === 0) await handle.forceFlush(10_000);
      });
      await handle.shutdown(10_000);
      return us;
    }
  }
}

if (args.includes('--child')) await answerAsChild(child);

const results = await interleaved('./floor.ts', VARIANTS.length, ROUNDS, [
  '--requests',
  String(REQUESTS),
]);

console.log(
  `# The floor of a request with two exported records, and Threadline's steps: CPU µs a request in a loop of ${REQUESTS.toLocaleString('en')} requests (no server); ${ROUNDS} rounds, median (min–max)\n`,
);
console.log('| step | µs a request | added by the step |');
console.log('|---|---:|---:|');
let floor = 0;
let previous = 0;
const f = (n: number) => n.toFixed(2);
for (const [i, v] of VARIANTS.entries()) {
  const xs = results[i] ?? [];
  const m = median(xs);
  const spread = `${f(m)} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
  if (v.floor) {
    floor += m;
    console.log(`| floor: ${v.name} | ${spread} | – |`);
    if (!VARIANTS[i + 1]?.floor) console.log(`| **the floor, in all** | **${f(floor)}** | – |`);
  } else {
    console.log(`| ${v.name} | ${spread} | ${previous === 0 ? '–' : `+${f(m - previous)}`} |`);
    previous = m;
  }
}
const threadline = median(results[VARIANTS.length - 1] ?? []);
console.log(
  `\nThreadline as used: ${f(threadline)} µs a request, ${f(threadline / floor)}× the floor`,
);
console.log(
  `BENCH_JSON ${JSON.stringify({ bench: 'floor', requests: REQUESTS, rounds: ROUNDS, floor: Object.fromEntries(VARIANTS.map((v, i) => [v.name, results[i]])), floorUs: floor, threadlineUs: threadline })}`,
);
process.exit(0);
