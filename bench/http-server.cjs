// One server of the HTTP benchmark: `node http-server.cjs <express|koa> <variant> <receiver url>`.
// CommonJS and plain node, so that OpenTelemetry's require hooks instrument it
// exactly as they do in users' apps. Every variant answers GET /orders/:id
// with the same JSON; all but `bare` write one log line in the handler.
//
//   bare        the framework alone, no logging
//   threadline  @threadline/<framework> correlate() + log.info, exported over
//               OTLP/protobuf (2 records a request: the line and `request completed`)
//   otel-auto   @opentelemetry/sdk-node with instrumentation-http, -express or
//               -koa and -pino; the handler logs with pino (to /dev/null) and
//               instrumentation-pino sends each line over OTLP/protobuf with the
//               SDK's default BatchLogRecordProcessor (1 record a request; spans
//               are made but not exported)
//   pino-http   pino-http's request logger and one pino line, to /dev/null, no export
const [, , framework, variant, endpoint] = process.argv;

let flush = async () => {};
let otel;
if (variant === 'otel-auto') {
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
  const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
  const { KoaInstrumentation } = require('@opentelemetry/instrumentation-koa');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino');
  const processor = new BatchLogRecordProcessor({
    exporter: new OTLPLogExporter({ url: endpoint }),
  });
  otel = new NodeSDK({
    serviceName: 'bench',
    logRecordProcessors: [processor],
    instrumentations: [
      new HttpInstrumentation(),
      framework === 'express' ? new ExpressInstrumentation() : new KoaInstrumentation(),
      new PinoInstrumentation(),
    ],
  });
  otel.start();
  flush = () => processor.forceFlush();
}

let log = () => {};
let expressMiddleware;
let koaMiddleware;
if (variant === 'threadline') {
  const core = require('@threadline/core');
  const handle = core.startThreadline({
    serviceName: 'bench',
    endpoint,
    logStartup: false,
    diagnostics: 'silent',
    // For experiments: `BENCH_THREADLINE_OPTIONS='{"maxExportBatchSize":512}'`.
    ...JSON.parse(process.env.BENCH_THREADLINE_OPTIONS ?? '{}'),
  });
  flush = () => handle.forceFlush(10_000);
  log = (id) => core.log.info('order loaded', { 'order.id': id, 'order.items': 3, paid: true });
  const correlateOptions = JSON.parse(process.env.BENCH_CORRELATE_OPTIONS ?? '{}');
  expressMiddleware =
    framework === 'express' && require('@threadline/express').correlate(correlateOptions);
  koaMiddleware = framework === 'koa' && require('@threadline/koa').correlate(correlateOptions);
}
if (variant === 'otel-auto' || variant === 'pino-http') {
  const pino = require('pino');
  const logger = pino(pino.destination({ dest: '/dev/null', sync: false }));
  log = (id) => logger.info({ 'order.id': id, 'order.items': 3, paid: true }, 'order loaded');
  if (variant === 'pino-http') {
    const http = require('pino-http')({ logger });
    log = (id, req) =>
      req.log.info({ 'order.id': id, 'order.items': 3, paid: true }, 'order loaded');
    expressMiddleware = http;
    koaMiddleware = (ctx, next) => {
      http(ctx.req, ctx.res);
      return next();
    };
  }
}

let server;
if (framework === 'express') {
  const express = require('express');
  const app = express();
  if (expressMiddleware) app.use(expressMiddleware);
  app.get('/orders/:id', (req, res) => {
    log(req.params.id, req);
    res.json({ id: req.params.id, ok: true });
  });
  server = app.listen(0, '127.0.0.1', ready);
} else {
  const Koa = require('koa');
  const { Router } = require('@koa/router');
  const app = new Koa();
  if (koaMiddleware) app.use(koaMiddleware);
  const router = new Router();
  router.get('/orders/:id', (ctx) => {
    log(ctx.params.id, ctx.req);
    ctx.body = { id: ctx.params.id, ok: true };
  });
  app.use(router.routes());
  server = app.listen(0, '127.0.0.1', ready);
}

function ready() {
  process.send({ type: 'ready', port: server.address().port });
}
process.on('message', async (m) => {
  if (m.type === 'flush') {
    await flush();
    process.send({ type: 'flushed' });
  }
  if (m.type === 'stop') process.exit(0);
});
