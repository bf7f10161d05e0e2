/**
 * `@threadline/pino/transport`: a pino transport (it runs in a worker thread)
 * that forwards lines into a Threadline pipeline of its own, started in that
 * thread. The trace context comes from the fields the mixin wrote in the
 * thread that logged, so it survives the hop between threads.
 *
 * @example
 * const logger = pino({ mixin: threadlineMixin() }, pino.transport({
 *   targets: [
 *     { target: 'pino/file', options: { destination: 1 } },
 *     { target: '@threadline/pino/transport', options: { threadline: { serviceName: 'orders' } } },
 *   ],
 * }));
 */
import { startThreadline, type ThreadlineOptions, traceFields } from '@threadline/core';
import build from 'pino-abstract-transport';
import { forward, type PinoBridgeOptions } from './bridge.js';

export interface ThreadlineTransportOptions extends PinoBridgeOptions {
  /** Options of the pipeline started in the transport's thread (endpoint, service name, …). */
  threadline?: ThreadlineOptions;
}

export default async function threadlineTransport(options: ThreadlineTransportOptions = {}) {
  // The worker thread ends with its transport: no signal handling of its own.
  const threadline = startThreadline({
    handleSignals: false,
    logStartup: false,
    ...options.threadline,
  });
  const fields = traceFields(options.profile ?? 'otel');
  const messageKey = options.messageKey ?? 'msg';
  return build(
    async (source: AsyncIterable<Record<string, unknown>>) => {
      for await (const line of source) forward(line, fields, messageKey, true);
    },
    {
      async close() {
        await threadline.shutdown();
      },
    },
  );
}
