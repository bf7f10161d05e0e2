import { logs, propagation, trace } from '@opentelemetry/api';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startOtlpReceiver } from '@threadline/testing';
import { QUIET } from '@threadline/testing/pipeline';
import { describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  injectTraceContext,
  log,
  startThreadline,
  withHopScope,
} from '../src/index.js';

describe('with @opentelemetry/sdk-node running', () => {
  it("uses the SDK's active span (no duplicate hop span), keeps its globals and still exports its own records", async () => {
    const spans = new InMemorySpanExporter();
    const sdkLogs = new InMemoryLogRecordExporter();
    const sdk = new NodeSDK({
      serviceName: 'with-sdk',
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
      logRecordProcessors: [new BatchLogRecordProcessor({ exporter: sdkLogs })],
      instrumentations: [],
    });
    sdk.start();
    const sdkProvider = logs.getLoggerProvider();
    const sdkFields = propagation.fields();
    const receiver = await startOtlpReceiver();
    const handle = startThreadline({
      endpoint: receiver.url,
      serviceName: 'with-sdk',
      ...QUIET,
    });
    try {
      // Threadline registered nothing over the SDK's globals.
      expect(logs.getLoggerProvider()).toBe(sdkProvider);
      expect(propagation.fields()).toEqual(sdkFields);

      const tracer = trace.getTracer('test');
      const incoming = extractTraceContext({
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
      let serverSpanId = '';
      let outbound: Record<string, string> = {};
      tracer.startActiveSpan('GET /orders', {}, incoming, (span) => {
        serverSpanId = span.spanContext().spanId;
        withHopScope({ 'http.route': '/orders' }, () => {
          log.info('inside the SDK span');
          outbound = injectTraceContext({});
        });
        span.end();
      });
      // The adapters' way: headers extracted again inside the SDK's span and
      // passed as `context`: still the SDK's span, not a second hop span.
      let passedSpanId = '';
      tracer.startActiveSpan('GET /items', {}, incoming, (span) => {
        passedSpanId = span.spanContext().spanId;
        const ctx = extractTraceContext({
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        });
        withHopScope({ 'http.route': '/items' }, () => log.info('context passed'), {
          context: ctx,
        });
        span.end();
      });
      await handle.forceFlush(5000);
      const [rec, passed] = await receiver.waitForRecords(2);
      expect(passed?.body).toBe('context passed');
      expect(passed?.spanId).toBe(passedSpanId);
      expect(passed?.attributes['threadline.parent_span_id']).toBeUndefined();
      expect(rec?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(rec?.spanId).toBe(serverSpanId);
      expect(rec?.attributes['threadline.parent_span_id']).toBeUndefined();
      expect(outbound.traceparent).toBe(`00-0af7651916cd43dd8448eb211c80319c-${serverSpanId}-01`);
      expect(serverSpanId).toMatch(/^[0-9a-f]{16}$/);

      // Records emitted through the SDK's own global provider are not sent twice by Threadline.
      logs.getLogger('other').emit({ body: 'via the SDK provider' });
      await handle.forceFlush(2000);
      expect(receiver.records.map((r) => r.body)).toEqual([
        'inside the SDK span',
        'context passed',
      ]);
    } finally {
      await handle.shutdown();
      await sdk.shutdown();
      await receiver.close();
    }
  });
});
