// Quick start: run with an OTLP endpoint (default http://localhost:4318/v1/logs),
// e.g. `OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node index.mjs`,
// or `OTEL_LOGS_EXPORTER=console node index.mjs` to print the records.
import {
  extractTraceContext,
  getTraceIds,
  injectTraceContext,
  log,
  startThreadline,
  withHopScope,
  withScope,
} from '@threadline/core';

const threadline = startThreadline({ serviceName: 'quickstart', owner: 'team-docs' });

// An incoming request from another service, carrying its trace.
const headers = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

await withHopScope(
  { 'http.request.method': 'GET', 'http.route': '/orders/:id' },
  async () => {
    log.info('loading order', { 'order.id': 'o-1' });
    await withScope({ 'tenant.id': 't-42' }, async () => {
      log.warn('slow payment provider', { 'payment.duration_ms': 812 });
    });
    // Calling the next service: it continues this trace, with this hop as parent.
    const outbound = injectTraceContext({ 'content-type': 'application/json' });
    log.info('calling inventory', { traceparent: outbound.traceparent });
    console.log(`trace id: ${getTraceIds().traceId}`);
  },
  { context: extractTraceContext(headers) },
);

await threadline.shutdown();
