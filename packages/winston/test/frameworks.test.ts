// winston with the bridge inside the frameworks it is used with: an Express
// request handled by correlate(), and a BullMQ job added during a request
// (the suite @threadline/pino runs too).
import { createRequire } from 'node:module';
import { startThreadline } from '@threadline/core';
import { describeInFrameworks, jsonLines } from '@threadline/testing/bridge-suite';
import { QUIET, useReceiverPipeline } from '@threadline/testing/pipeline';
import { describe } from 'vitest';
import winston from 'winston';
import { ThreadlineTransport, threadlineFormat } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'winston-test',
    endpoint,
    ...QUIET,
  }),
);

describe('@threadline/winston inside Express and BullMQ', () => {
  describeInFrameworks({
    bridged() {
      const { lines, stream } = jsonLines();
      const logger = winston.createLogger({
        format: winston.format.combine(
          threadlineFormat({ scopeAttributes: true }),
          winston.format.json(),
        ),
        transports: [new winston.transports.Stream({ stream }), new ThreadlineTransport()],
      });
      return { log: (message, fields) => logger.info(message, fields), lines };
    },
    messageKey: 'message',
    exported,
    require: createRequire(import.meta.url),
  });
});
