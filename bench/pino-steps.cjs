// One process of bench/pino-steps.ts: `node pino-steps.cjs <step> <receiver url> <lines>`.
// Each step adds one part of @threadline/pino's path to the one before, by
// configuration only (no code is cut), so that their differences show where a
// line's time goes:
//   alone        pino to /dev/null
//   hook         + the trace fields appended by threadlineStreamWrite() alone (no mixin)
//   fields       (instead) the trace fields by threadlineOptions(): that hook and a mixin adding no
//                field (pino copies each call's fields into it, for the destination)
//   fields-mixin   (instead) the trace fields by threadlineMixin() (serialized by pino)
//   multistream  + pino.multistream with a second stream that takes pino's metadata and does nothing
//   read         + threadlineDestination() as that stream, reading each call's fields (Threadline's
//                level above every line: no record is made)
//   record       + the record built and handed to a queue of one, which drops it
//   queue        + the records kept in the export queue (exporter `none`: sent nowhere)
//   export       + exported over OTLP/protobuf, until the receiver has every record
//   floor-hook   the floor's hook alone: its trace fields appended (pino-floor.cjs)
//   floor        (instead of Threadline) the least any design does: the trace fields appended,
//                pino.multistream, each record written straight into the batch from pino's
//                metadata, exported over OTLP/protobuf (pino-floor.cjs)
// Every line is written inside a trace (a Threadline hop; the floor's own context entry for
// the floor's steps), 3 attributes each.
const [, , step, endpoint, linesArg] = process.argv;
const N = Number(linesArg);
const pino = require('pino');
const core = require('@threadline/core');
const {
  threadlineDestination,
  threadlineMixin,
  threadlineOptions,
  threadlineStreamWrite,
} = require('@threadline/pino');

const devNull = pino.destination({ dest: '/dev/null', sync: true });
const start = (exporter, options = {}) =>
  core.startThreadline({
    ...options,
    serviceName: 'bench',
    endpoint,
    exporter,
    logStartup: false,
    diagnostics: 'silent',
    handleSignals: false,
  });
const PIPELINES = {
  read: ['none', { level: 'fatal' }],
  record: ['none', { maxQueueSize: 1, maxExportBatchSize: 1 }],
  queue: ['none', {}],
  export: ['otlp', {}],
};

let flush = async () => {};
let inSpan = (fn) => core.withHopScope({}, fn);
let logger;
if (step === 'alone') logger = pino(devNull);
else if (step === 'hook')
  logger = pino({ hooks: { streamWrite: threadlineStreamWrite() } }, devNull);
else if (step === 'fields') logger = pino(threadlineOptions(), devNull);
else if (step === 'fields-mixin') logger = pino({ mixin: threadlineMixin() }, devNull);
else if (step === 'multistream') {
  const nothing = { [Symbol.for('pino.metadata')]: true, write: () => true };
  logger = pino(threadlineOptions(), pino.multistream([{ stream: devNull }, { stream: nothing }]));
} else if (PIPELINES[step]) {
  const [exporter, options] = PIPELINES[step];
  const handle = start(exporter, options);
  logger = pino(
    threadlineOptions(),
    pino.multistream([{ stream: devNull }, { stream: threadlineDestination() }]),
  );
  flush = () => handle.forceFlush(30_000);
} else if (step === 'floor-hook' || step === 'floor') {
  const floor = require('./pino-floor.cjs').setUp(endpoint);
  logger =
    step === 'floor'
      ? pino(floor.options, pino.multistream([{ stream: devNull }, { stream: floor.destination }]))
      : pino(floor.options, devNull);
  inSpan = floor.inSpan;
  flush = floor.flush;
} else throw new Error(`unknown step ${step}`);

const t0 = performance.now();
inSpan(() => {
  for (let i = 0; i < N; i++) logger.info({ i, user: 'u-1', paid: true }, 'request handled');
});
const written = performance.now();
flush().then(() => {
  process.send({ type: 'done', writeMs: written - t0, totalMs: performance.now() - t0 }, () =>
    process.exit(0),
  );
});
