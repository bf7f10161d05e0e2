/**
 * `@threadline/pino/transport`: a pino transport (it runs in a worker thread)
 * that forwards lines into a Threadline pipeline of its own, started in that
 * thread. The trace context comes from the trace fields written onto each line in the
 * thread that logged, so it survives the hop between threads; fields that
 * give no trace context back (the `datadog` profile's 64-bit decimal ids)
 * stay on the record as attributes instead.
 *
 * @example
 * const logger = pino({ hooks: { streamWrite: threadlineStreamWrite() } }, pino.transport({
 *   targets: [
 *     { target: 'pino/file', options: { destination: 1 } },
 *     { target: '@threadline/pino/transport', options: { threadline: { serviceName: 'orders' } } },
 *   ],
 * }));
 */
import { Writable } from 'node:stream';
import { startThreadline, type ThreadlineOptions } from '@threadline/core';
import { lineForwarder, type PinoBridgeOptions } from './bridge.js';
import { lineSplitter } from './lines.js';

export interface ThreadlineTransportOptions extends PinoBridgeOptions {
  /** Options of the pipeline started in the transport's thread (endpoint, service name, …). */
  threadline?: ThreadlineOptions;
}

/**
 * The transport's stream. pino hands it text holding one or more whole lines
 * (several per write when it is the only target, one when it is one of
 * `targets`): it splits them itself and forwards each synchronously. Built
 * on pino-abstract-transport (an object-mode stream read by an async
 * iterator) the same worker delivered 85,000–87,000 lines/s where this one
 * delivers 100,000–104,000 (bench/pino-throughput.ts, `transport` variant,
 * one machine). Ending or destroying the stream shuts the pipeline down, so
 * every record is delivered (or reported) before the worker thread exits.
 */
export default async function threadlineTransport(
  options: ThreadlineTransportOptions = {},
): Promise<Writable> {
  // The worker thread ends with its transport: no signal handling of its own.
  const threadline = startThreadline({
    handleSignals: false,
    logStartup: false,
    ...options.threadline,
  });
  const lines = lineSplitter(lineForwarder(options, true));
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      lines.write(chunk);
      callback();
    },
    final(callback) {
      lines.end();
      callback();
    },
    // After an end (autoDestroy) and after an error alike: the pipeline is
    // shut down before 'close', which ends the worker thread.
    destroy(error, callback) {
      threadline.shutdown().then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}
