// One benchmark scenario in a fresh process: writes N records (a burst, or
// paced) and waits for its pipeline to drain. The parent measures delivery.
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

const [, , kind = '', url = '', nArg = '200000', mode = 'burst', extra = '{}'] = process.argv;
const N = Number(nArg);
const opts = JSON.parse(extra) as Record<string, number>;
const send = (m: object) => process.send?.(m);

/** Writes N records in a burst (one synchronous loop) or paced (chunks of 1000 every 5 ms). */
async function drive(write: (i: number) => void): Promise<void> {
  send({ type: 'start', t: performance.timeOrigin + performance.now() });
  if (mode === 'burst') {
    for (let i = 0; i < N; i++) write(i);
  } else {
    for (let i = 0; i < N; ) {
      const end = Math.min(N, i + 1000);
      for (; i < end; i++) write(i);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  send({ type: 'written', t: performance.timeOrigin + performance.now() });
}

const span = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: 1,
};

if (kind.startsWith('threadline')) {
  const { log, startThreadline, withHopScope } = await import('@threadline/core');
  const handle = startThreadline({
    serviceName: 'bench',
    endpoint: url,
    protocol: kind.endsWith('json') ? 'http/json' : 'http/protobuf',
    logStartup: false,
    handleSignals: false,
    ...opts,
  });
  await withHopScope({ 'http.route': '/orders/:id' }, () =>
    drive((i) =>
      log.info('request handled', { i, 'user.id': 'u-123', 'http.response.status_code': 200 }),
    ),
  );
  await handle.shutdown(120_000);
  send({ type: 'stats', stats: handle.stats() });
} else if (kind.startsWith('sdk')) {
  const exporter = kind.endsWith('json') ? new JsonExporter({ url }) : new ProtoExporter({ url });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    processors: [new BatchLogRecordProcessor({ exporter, ...opts })],
  });
  const logger = provider.getLogger('bench');
  const ctx = trace.setSpanContext(ROOT_CONTEXT, span);
  await drive((i) =>
    logger.emit({
      // Passed explicitly: this bare-SDK process registers no context
      // manager, so the active context alone would carry no trace ids.
      context: ctx,
      severityNumber: 9,
      severityText: 'INFO',
      body: 'request handled',
      attributes: {
        i,
        'user.id': 'u-123',
        'http.response.status_code': 200,
        'http.route': '/orders/:id',
      },
    }),
  );
  await provider.shutdown();
} else if (kind === 'pino') {
  const { default: pino } = await import('pino');
  const logger = pino(pino.destination({ dest: '/dev/null', sync: false }));
  const t0 = performance.now();
  const child = logger.child({ 'http.route': '/orders/:id' });
  for (let i = 0; i < N; i++)
    child.info({ i, 'user.id': 'u-123', 'http.response.status_code': 200 }, 'request handled');
  logger.flush();
  send({ type: 'local', ms: performance.now() - t0 });
}
send({ type: 'done' });
