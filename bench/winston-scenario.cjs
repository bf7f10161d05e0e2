// One process of the winston benchmark: `node winston-scenario.cjs <variant> <receiver url> <lines>`,
// with stdout opened on /dev/null by the driver. CommonJS and plain node, as the pino scenario.
//   alone        winston, JSON lines to the Console transport (stdout)
//   threadline   the same + @threadline/winston (threadlineMeta as defaultMeta, threadlineFormat, ThreadlineTransport), exported
//                over OTLP/protobuf
// With the bridge, every line is written inside a trace (a Threadline hop); 3 attributes each. The time counts until
// winston has handed every line to every transport (its streams are asynchronous), then the flush.
const [, , variant, endpoint, linesArg] = process.argv;
const N = Number(linesArg);

const winston = require('winston');

let flush = async () => {};
let inTrace = (fn) => fn();
let logger;
if (variant === 'threadline') {
  const core = require('@threadline/core');
  const { ThreadlineTransport, threadlineFormat, threadlineMeta } = require('@threadline/winston');
  const handle = core.startThreadline({
    serviceName: 'bench',
    endpoint,
    logStartup: false,
    diagnostics: 'silent',
    handleSignals: false,
  });
  logger = winston.createLogger({
    defaultMeta: threadlineMeta(), // as the README sets it up
    format: winston.format.combine(threadlineFormat(), winston.format.json()),
    transports: [new winston.transports.Console(), new ThreadlineTransport()],
  });
  inTrace = (fn) => core.withHopScope({}, fn);
  flush = () => handle.forceFlush(30_000);
} else {
  logger = winston.createLogger({
    format: winston.format.json(),
    transports: [new winston.transports.Console()],
  });
}
// Each transport finishes once it has been given every line (the logger ends them when it ends).
const finished = Promise.all(
  logger.transports.map((t) => new Promise((resolve) => t.once('finish', resolve))),
);

const t0 = performance.now();
inTrace(() => {
  for (let i = 0; i < N; i++) logger.info('request handled', { i, user: 'u-1', paid: true });
});
const written = performance.now();
logger.end();
finished
  .then(() => flush())
  .then(() => {
    process.send({ type: 'done', writeMs: written - t0, totalMs: performance.now() - t0 }, () =>
      process.exit(0),
    );
  });
