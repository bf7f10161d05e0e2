// What hostile export bodies cost `threadline dev`: each body is sent to a
// fresh `threadline dev` process (the built CLI, on loopback), and this prints
// the status it answered, the time to the answer, and the process's peak
// resident memory (VmHWM) after it, beside the same for an idle receiver and
// for the largest ordinary batch the bounds admit. Run on demand:
// `npx -y pnpm@10 --filter @threadline/bench run bench:receiver-hostile`.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  field,
  type HostileBody,
  hostileBodies,
  largeInflatingBody,
  requestOfRecord,
} from '../packages/dev/test/hostile-bodies.js';

const CLI = fileURLToPath(new URL('../packages/dev/dist/cli.mjs', import.meta.url));

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function peakRssMiB(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** `body` sent `times` times by each of `clients` clients at once. */
async function measure(body: HostileBody | undefined, clients = 1, times = 1): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'threadline-hostile-'));
  const dev = fork(CLI, ['dev', '--port', '0', '--db', join(dir, 'dev.sqlite')], {
    stdio: 'ignore',
  });
  try {
    const [ready] = (await once(dev, 'message')) as [{ url: string }];
    if (!body) return `| idle receiver | | | | ${peakRssMiB(dev).toFixed(0)} |`;
    const start = performance.now();
    const statuses = new Set<number>();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < times; i++) {
          const headers = { 'content-type': body.contentType, 'content-encoding': 'gzip' };
          statuses.add(await post(ready.url, body.body, headers));
        }
      }),
    );
    const ms = (performance.now() - start) / times;
    const status = [...statuses].join(', ');
    const sent = clients * times > 1 ? `, ${clients} clients × ${times}` : '';
    return `| ${body.name}${sent} | ${(body.body.length / 1024).toFixed(0)} KB → ${(body.inflated / 2 ** 20).toFixed(1)} MiB | ${status} | ${ms.toFixed(0)} | ${peakRssMiB(dev).toFixed(0)} |`;
  } finally {
    dev.kill('SIGKILL');
    await once(dev, 'exit').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The largest batch of ordinary records the default bounds admit: 2048 records of 128 attributes. */
function largestOrdinaryBatch(): HostileBody {
  const records: Buffer[] = [];
  for (let r = 0; r < 2048; r++) {
    const parts: Buffer[] = [
      field(3, Buffer.from('INFO')),
      field(5, field(1, Buffer.from(`line ${r}`))),
    ];
    for (let a = 0; a < 128; a++) {
      parts.push(
        field(
          6,
          Buffer.concat([
            field(1, Buffer.from(`key.${a}`)),
            field(2, field(1, Buffer.from(`value ${a}`))),
          ]),
        ),
      );
    }
    records.push(field(2, Buffer.concat(parts)));
  }
  const raw = field(1, field(2, Buffer.concat(records)));
  return {
    name: 'ordinary: 2048 records of 128 string attributes',
    contentType: 'application/x-protobuf',
    body: gzipSync(raw),
    inflated: raw.length,
  };
}

/**
 * The most empty attributes the default bounds admit in one record, in either
 * encoding (an OTLP/JSON value counts two).
 */
function mostEmptyAttributes(): HostileBody[] {
  const count = 1_040_000;
  const jsonCount = count / 2;
  const proto = requestOfRecord(Buffer.alloc(2 * count).fill(Buffer.from([0x32, 0x00])));
  const json = Buffer.from(
    `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[${'{},'.repeat(jsonCount - 1)}{}]}]}]}]}`,
  );
  return [
    {
      name: `within bounds: ${count.toLocaleString('en')} empty attributes, protobuf`,
      contentType: 'application/x-protobuf',
      body: gzipSync(proto),
      inflated: proto.length,
    },
    {
      name: `within bounds: ${jsonCount.toLocaleString('en')} empty attributes, OTLP/JSON`,
      contentType: 'application/json',
      body: gzipSync(json),
      inflated: json.length,
    },
  ];
}

console.log('| body | gzipped → inflated | status | ms to answer | peak RSS MiB |');
console.log('|---|---:|---:|---:|---:|');
console.log(await measure(undefined));
const withinBounds = mostEmptyAttributes();
for (const body of [largestOrdinaryBatch(), ...withinBounds, ...hostileBodies()]) {
  console.log(await measure(body));
}
// Garbage of one decode may still be on the heap when the next begins.
for (const body of withinBounds) console.log(await measure(body, 8, 4));
// Bodies that inflate to 63 MiB each, all at once: they wait for a decode slot compressed.
console.log(await measure(largeInflatingBody(), 16, 1));
