// One server of the HTTP benchmark: `node http-server.cjs <framework> <variant> <receiver url>`,
// framework one of express, koa, fastify, hono (on @hono/node-server).
// CommonJS and plain node, so that OpenTelemetry's require hooks instrument it
// exactly as they do in users' apps. Every variant answers GET /orders/:id
// with the same JSON; all but `bare` write one log line in the handler.
//
//   bare        the framework alone, no logging
//   threadline  @threadline/<framework> + log.info, exported over OTLP/protobuf
//               (2 records a request: the line and `request completed`)
//   otel-auto   @opentelemetry/sdk-node with instrumentation-http, the
//               framework's instrumentation (-express, -koa, @fastify/otel; Hono
//               has none in the SDK's set) and -pino; the handler logs with
//               pino (to /dev/null) and instrumentation-pino sends each line
//               over OTLP/protobuf with the SDK's default BatchLogRecordProcessor
//               (1 record a request; spans are made but not exported)
//   floor       the least any design must do for two exported records a request
//               (http-floor.cjs): ids, one context entry, the
//               records encoded straight into the batch, one OTLP request a batch
//   pino-http   the framework's own request logging and one line, to /dev/null,
//               no export: pino-http (Express, Koa), Fastify's logger (its
//               `incoming request` and `request completed` lines and
//               request.log), hono/logger (its two lines and one console-style line)
const [, , framework, variant, endpoint] = process.argv;

let flush = async () => {};
if (variant === 'otel-auto') {
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
  const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino');
  const processor = new BatchLogRecordProcessor({
    exporter: new OTLPLogExporter({ url: endpoint }),
  });
  const frameworkInstrumentation = {
    express: () => new (require('@opentelemetry/instrumentation-express').ExpressInstrumentation)(),
    koa: () => new (require('@opentelemetry/instrumentation-koa').KoaInstrumentation)(),
    fastify: () =>
      new (require('@fastify/otel').FastifyOtelInstrumentation)({ registerOnInitialization: true }),
    hono: () => undefined,
  }[framework]();
  new NodeSDK({
    serviceName: 'bench',
    logRecordProcessors: [processor],
    instrumentations: [
      new HttpInstrumentation(),
      ...(frameworkInstrumentation ? [frameworkInstrumentation] : []),
      new PinoInstrumentation(),
    ],
  }).start();
  flush = () => processor.forceFlush();
}

const fields = (id) => ({ 'order.id': id, 'order.items': 3, paid: true });
/** The handler's one line: `(id, request) => void`, the request being the framework's. */
let log = () => {};
let core;
if (variant === 'threadline') {
  core = require('@threadline/core');
  const handle = core.startThreadline({
    serviceName: 'bench',
    endpoint,
    logStartup: false,
    diagnostics: 'silent',
    // For experiments: `BENCH_THREADLINE_OPTIONS='{"maxExportBatchSize":512}'`.
    ...JSON.parse(process.env.BENCH_THREADLINE_OPTIONS ?? '{}'),
  });
  flush = () => handle.forceFlush(10_000);
  log = (id) => core.log.info('order loaded', fields(id));
}
const correlateOptions = JSON.parse(process.env.BENCH_CORRELATE_OPTIONS ?? '{}');
let floor;
if (variant === 'floor') {
  floor = require('./http-floor.cjs');
  floor.endpoint = endpoint;
  flush = floor.flush;
  log = (id) => floor.log(id);
}
const pino = require('pino');
const devNull = () => pino.destination({ dest: '/dev/null', sync: false });
if (variant === 'otel-auto' || variant === 'pino-http') {
  const logger = pino(devNull());
  log = (id) => logger.info(fields(id), 'order loaded');
}

const SERVERS = {
  express() {
    const app = require('express')();
    if (variant === 'threadline')
      app.use(require('@threadline/express').correlate(correlateOptions));
    if (variant === 'floor') app.use(floor.express());
    if (variant === 'pino-http') {
      app.use(require('pino-http')({ logger: pino(devNull()) }));
      log = (id, req) => req.log.info(fields(id), 'order loaded');
    }
    app.get('/orders/:id', (req, res) => {
      log(req.params.id, req);
      res.json({ id: req.params.id, ok: true });
    });
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
  },
  koa() {
    const Koa = require('koa');
    const { Router } = require('@koa/router');
    const app = new Koa();
    if (variant === 'threadline') app.use(require('@threadline/koa').correlate(correlateOptions));
    if (variant === 'floor') app.use(floor.koa());
    if (variant === 'pino-http') {
      const http = require('pino-http')({ logger: pino(devNull()) });
      app.use((ctx, next) => {
        http(ctx.req, ctx.res);
        return next();
      });
      log = (id, req) => req.log.info(fields(id), 'order loaded');
    }
    const router = new Router();
    router.get('/orders/:id', (ctx) => {
      log(ctx.params.id, ctx.req);
      ctx.body = { id: ctx.params.id, ok: true };
    });
    app.use(router.routes());
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
  },
  async fastify() {
    const Fastify = require('fastify');
    const app =
      variant === 'pino-http'
        ? Fastify({ logger: { stream: devNull() } })
        : // The SDK's variant exports the handler's line only, as for the other frameworks.
          Fastify(
            variant === 'otel-auto'
              ? { logger: { stream: devNull() }, disableRequestLogging: true }
              : {},
          );
    if (variant === 'threadline') {
      await app.register(require('@threadline/fastify').threadline, correlateOptions);
    }
    if (variant === 'floor') app.addHook('onRequest', floor.fastify());
    if (variant === 'pino-http' || variant === 'otel-auto') {
      log = (id, request) => request.log.info(fields(id), 'order loaded');
    }
    app.get('/orders/:id', async (request) => {
      log(request.params.id, request);
      return { id: request.params.id, ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  },
  hono() {
    const { Hono } = require('hono');
    const { serve } = require('@hono/node-server');
    const app = new Hono();
    if (variant === 'threadline') app.use(require('@threadline/hono').correlate(correlateOptions));
    if (variant === 'floor') app.use(floor.hono());
    if (variant === 'pino-http') {
      const dest = devNull();
      const print = (text) => dest.write(`${text}\n`);
      app.use(require('hono/logger').logger(print));
      log = (id) => print(`order loaded ${JSON.stringify(fields(id))}`);
    }
    app.get('/orders/:id', (c) => {
      log(c.req.param('id'), c);
      return c.json({ id: c.req.param('id'), ok: true });
    });
    return new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(server),
      );
    });
  },
};

SERVERS[framework]().then((server) => {
  process.send({ type: 'ready', port: server.address().port });
});
// How long the event loop was held, from one flush to the next (the measured run
// lies between the flush after the warm-up and the one after the run).
const { monitorEventLoopDelay } = require('node:perf_hooks');
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
process.on('message', async (m) => {
  if (m.type === 'flush') {
    await flush();
    const ms = (ns) => Math.round(ns / 1000) / 1000;
    process.send({
      type: 'flushed',
      loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    });
    loop.reset();
  }
  if (m.type === 'stop') process.exit(0);
});
