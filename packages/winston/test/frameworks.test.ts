// winston with the bridge inside the frameworks it is used with: an Express
// request handled by correlate(), and a BullMQ job added during a request
// (the suite @threadline/pino runs too).
import { correlateProcessor, threadlineTelemetry } from '@threadline/bullmq';
import { getTraceIds, startThreadline, withHopScope } from '@threadline/core';
import { correlate } from '@threadline/express';
import { describeInFrameworks, jsonLines } from '@threadline/testing/bridge-suite';
import { useReceiverPipeline } from '@threadline/testing/pipeline';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import request from 'supertest';
import { describe } from 'vitest';
import winston from 'winston';
import { ThreadlineTransport, threadlineFormat } from '../src/index.js';

const { exported } = useReceiverPipeline((endpoint) =>
  startThreadline({
    serviceName: 'winston-test',
    endpoint,
    handleSignals: false,
    logStartup: false,
    diagnostics: 'silent',
    env: {},
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
    express: express as never,
    correlate: correlate as never,
    supertest: request as never,
    Queue: Queue as never,
    Worker: Worker as never,
    correlateProcessor: correlateProcessor as never,
    threadlineTelemetry,
    withHopScope,
    traceId: () => getTraceIds().traceId,
  });
});
