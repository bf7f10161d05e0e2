// An app in TypeScript using every entry point of the installed packages,
// compiled by the workspace's TypeScript with `strict` under each module
// resolution an app may use: node16 and nodenext (an ESM file and a CJS
// file, which resolve the `import` and `require` conditions) and bundler.
// Declaration files are checked too (no skipLibCheck), but only errors in
// the app's files and in @threadline's count: other packages' own type
// errors are theirs (@types/koa 3.0.3 names a `contentDisposition.Options`
// that content-disposition's bundled types lack).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { userEnv } from './src/app.js';

const app = inject('app');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dir = join(app.dir, 'typescript');

// The same code as an ES module (.mts) and as CommonJS (.cts).
const SOURCE = `import { correlateProcessor, logStalledJobs, threadlineTelemetry } from '@threadline/bullmq';
import {
  getTraceIds,
  log,
  startThreadline,
  type ThreadlineOptions,
  tryGetTraceIds,
  withJobScope,
  withScope,
} from '@threadline/core';
import { cronJob } from '@threadline/cron';
import { RecordStore, type StoredRecord, startDevReceiver } from '@threadline/dev';
import { correlate as correlateExpress, logErrors } from '@threadline/express';
import { type ThreadlineFastifyOptions, threadline as threadlineFastify } from '@threadline/fastify';
import { correlate as correlateHono } from '@threadline/hono';
import { correlate as correlateKoa } from '@threadline/koa';
import { threadlineDestination, threadlineOptions, threadlineStreamWrite } from '@threadline/pino';
import threadlineTransport, { type ThreadlineTransportOptions } from '@threadline/pino/transport';
import { ThreadlineTransport, threadlineFormat, threadlineMeta } from '@threadline/winston';
import { type Job, Queue, Worker } from 'bullmq';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import pino from 'pino';
import winston from 'winston';

const options: ThreadlineOptions = { serviceName: 'orders', exporter: 'none' };
const threadline = startThreadline(options);
log.info('ready', { port: 3000 });

const app = express();
app.use(correlateExpress({ ignore: ['/healthz'] }));
app.get('/', (_req, res) => {
  res.json({ traceId: getTraceIds().traceId });
});
app.use(logErrors());

const koa = new Koa();
koa.use(correlateKoa());

const hono = new Hono();
hono.use(correlateHono({ getClientAddress: (c) => c.req.header('x-real-ip') }));
hono.get('/', (c) => c.json({ traceId: getTraceIds().traceId }));

const fastifyOptions: ThreadlineFastifyOptions = { ignore: ['/healthz'], logger: 'request.log' };
const fastify = Fastify({ logger: true });
void fastify.register(threadlineFastify, fastifyOptions);
fastify.get('/', async (request) => {
  request.log.info('in the scope');
  return { traceId: getTraceIds().traceId };
});

const logger = pino(
  { ...threadlineOptions(), hooks: { streamWrite: threadlineStreamWrite() } },
  pino.multistream([{ stream: process.stdout }, { stream: threadlineDestination() }]),
);
logger.info({ orderId: 7 }, 'loading order');
const transportOptions: ThreadlineTransportOptions = { threadline: options };
const transportStream: Promise<NodeJS.WritableStream> = threadlineTransport(transportOptions);

const winstonLogger = winston.createLogger({
  defaultMeta: threadlineMeta({ service: 'orders' }),
  format: winston.format.combine(threadlineFormat(), winston.format.json()),
  transports: [new ThreadlineTransport()],
});

const nightly = cronJob(
  'nightly',
  async () => {
    log.info('building report');
  },
  { schedule: '0 3 * * *' },
);

const connection = { host: '127.0.0.1', port: 6379 };
const queue = new Queue('emails', { connection, telemetry: threadlineTelemetry() });
const worker = new Worker(
  'emails',
  correlateProcessor(async (job: Job<{ to: string }>) => job.data.to),
  { connection, autorun: false },
);
logStalledJobs(worker);

async function later(): Promise<void> {
  await withScope({ 'tenant.id': 't-42' }, async () => log.warn('slow'));
  await withJobScope({ system: 'rabbitmq', queue: 'emails', id: '1' }, async () => undefined);
  const store = new RecordStore(':memory:');
  const receiver = await startDevReceiver({ store, port: 0 });
  const records: StoredRecord[] = store.trace(tryGetTraceIds()?.traceId ?? '');
  log.info('stored', { records: records.length });
  await receiver.close();
  await Promise.all([queue.close(), worker.close(), threadline.shutdown(), transportStream]);
  winstonLogger.end();
  await nightly();
}
void later;
`;

// Nest 12 is ESM only. Node requires it from CommonJS (require(esm)), and
// so do TypeScript's nodenext and bundler; its node16 mode does not model
// require(esm) and refuses Nest's own packages in a CommonJS file (TS1479),
// so there a Nest app, and this file, is checked as ESM only.
const NEST_SOURCE = `import { HttpAdapterHost } from '@nestjs/core';
import {
  ThreadlineExceptionFilter,
  ThreadlineLogger,
  type ThreadlineLoggerOptions,
} from '@threadline/nestjs';

const options: ThreadlineLoggerOptions = { print: false, logLevels: ['log', 'error'] };
const logger = new ThreadlineLogger(options);
logger.log('order loaded', { orderId: 7 }, 'OrdersService');
const host = new HttpAdapterHost();
const filter = new ThreadlineExceptionFilter(host.httpAdapter);
void filter;
`;

const RESOLUTIONS = {
  node16: {
    module: 'node16',
    moduleResolution: 'node16',
    files: ['app.mts', 'app.cts', 'nest.mts'],
  },
  nodenext: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    files: ['app.mts', 'app.cts', 'nest.mts', 'nest.cts'],
  },
  bundler: {
    module: 'preserve',
    moduleResolution: 'bundler',
    files: ['app.mts', 'app.cts', 'nest.mts', 'nest.cts'],
  },
};

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.mts'), SOURCE);
  writeFileSync(join(dir, 'app.cts'), SOURCE);
  writeFileSync(join(dir, 'nest.mts'), NEST_SOURCE);
  writeFileSync(join(dir, 'nest.cts'), NEST_SOURCE);
  for (const [name, { module, moduleResolution, files }] of Object.entries(RESOLUTIONS)) {
    const compilerOptions = {
      module,
      moduleResolution,
      target: 'es2023',
      lib: ['es2024'],
      types: ['node'],
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    };
    writeFileSync(
      join(dir, `tsconfig.${name}.json`),
      JSON.stringify({ compilerOptions, files }, null, 2),
    );
  }
});

/** tsc's diagnostics that are not located in another package's files. */
function ourErrors(output: string): string[] {
  const theirs = (line: string) => {
    const file = /^(.+?)\(\d+,\d+\): error TS/.exec(line)?.[1];
    if (file === undefined) return false;
    const path = relative(app.dir, resolve(dir, file)).split(sep);
    return path[0] === 'node_modules' && path[1] !== '@threadline';
  };
  return output
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s/.test(line))
    .filter((line) => !theirs(line));
}

describe('an app in TypeScript, strict', () => {
  it.each(Object.keys(RESOLUTIONS))(
    'compiles against the installed packages with moduleResolution %s',
    async (name) => {
      const output = await promisify(execFile)(
        process.execPath,
        [tsc, '-p', join(dir, `tsconfig.${name}.json`), '--pretty', 'false'],
        { cwd: dir, env: userEnv(), timeout: 60_000, encoding: 'utf8' },
      ).then(
        ({ stdout }) => stdout,
        (error: { code?: unknown; stdout?: string }) => {
          // tsc exits 1 or 2 when it reports errors; anything else is a failure to run.
          if (typeof error.code !== 'number' || !error.stdout) throw error;
          return error.stdout;
        },
      );
      expect(ourErrors(output)).toEqual([]);
    },
  );
});
