// One process of the pino benchmark: `node pino-scenario.cjs <variant> <receiver url> <lines>`.
// CommonJS and plain node, so that instrumentation-pino's require hook works as in users' apps.
//   alone        pino to /dev/null
//   threadline   pino to /dev/null + @threadline/pino (threadlineOptions(), destination), exported over OTLP/protobuf
//   transport    @threadline/pino's threadlineStreamWrite(), and pino.transport with two targets, pino/file to /dev/null
//                and @threadline/pino/transport: parsing, export and the write to /dev/null in pino's
//                worker thread
//   otel-pino    pino to /dev/null + @opentelemetry/instrumentation-pino log sending through the
//                SDK's BatchLogRecordProcessor (queue 262144, batch 2048: no loss) and the OTLP/protobuf exporter
// Every line is written inside a trace (a Threadline hop, or an SDK span), 3 attributes each.
const [, , variant, endpoint, linesArg] = process.argv;
const N = Number(linesArg);

let flush = async () => {};
let inTrace = (fn) => fn();
if (variant === 'otel-pino') {
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
  const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino');
  const processor = new BatchLogRecordProcessor({
    exporter: new OTLPLogExporter({ url: endpoint }),
    maxQueueSize: 262_144,
    maxExportBatchSize: 2048,
  });
  const sdk = new NodeSDK({
    serviceName: 'bench',
    logRecordProcessors: [processor],
    instrumentations: [new PinoInstrumentation()],
  });
  sdk.start();
  const tracer = require('@opentelemetry/api').trace.getTracer('bench');
  inTrace = (fn) =>
    tracer.startActiveSpan('work', (span) => {
      fn();
      span.end();
    });
  flush = () => processor.forceFlush();
}
const pino = require('pino');
const devNull = pino.destination({ dest: '/dev/null', sync: true });
let logger;
if (variant === 'threadline') {
  const core = require('@threadline/core');
  const { threadlineDestination, threadlineOptions } = require('@threadline/pino');
  const handle = core.startThreadline({
    serviceName: 'bench',
    endpoint,
    logStartup: false,
    diagnostics: 'silent',
    handleSignals: false,
  });
  logger = pino(
    threadlineOptions(),
    pino.multistream([{ stream: devNull }, { stream: threadlineDestination() }]),
  );
  inTrace = (fn) => core.withHopScope({}, fn);
  flush = () => handle.forceFlush(30_000);
} else if (variant === 'transport') {
  // The trace ids are written onto the lines here; parsing, encoding and sending
  // happen in pino's transport worker thread, as does the write to /dev/null.
  const core = require('@threadline/core');
  const { threadlineStreamWrite } = require('@threadline/pino');
  const transport = pino.transport({
    targets: [
      { target: 'pino/file', options: { destination: '/dev/null' } },
      {
        target: '@threadline/pino/transport',
        options: {
          threadline: { serviceName: 'bench', endpoint, logStartup: false, diagnostics: 'silent' },
        },
      },
    ],
  });
  logger = pino({ hooks: { streamWrite: threadlineStreamWrite() } }, transport);
  inTrace = (fn) => core.withHopScope({}, fn);
  // Ending the transport flushes the worker: its pipeline shuts down, delivering every record.
  flush = () =>
    new Promise((resolve) => {
      // pino unrefs the worker once it is ready: keep this process alive until the worker closes.
      const alive = setInterval(() => {}, 1000);
      transport.once('close', () => {
        clearInterval(alive);
        resolve();
      });
      transport.end();
    });
} else {
  logger = pino(devNull);
}

const t0 = performance.now();
inTrace(() => {
  for (let i = 0; i < N; i++) logger.info({ i, user: 'u-1', paid: true }, 'request handled');
});
const written = performance.now();
flush().then(() => {
  process.send({ type: 'done', writeMs: written - t0, totalMs: performance.now() - t0 }, () =>
    process.exit(0),
  );
});
