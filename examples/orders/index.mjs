// The orders service (Express): POST /checkout/:sku reserves stock in the
// inventory service (trace context in the headers) and enqueues a BullMQ
// `fulfilment` job (trace context in the job's metadata). Without Redis
// (NO_QUEUE=1), it skips the job. DEMO_REGRESSION=1 is the bug the demo
// deploys in 1.4.1: a SKU ending in 2 has no price and the handler throws.
import { threadlineTelemetry } from '@threadline/bullmq';
import { injectTraceContext, log, startThreadline } from '@threadline/core';
import { correlate, logErrors } from '@threadline/express';
import { Queue } from 'bullmq';
import express from 'express';

startThreadline({ serviceName: 'orders', serviceVersion: process.env.SERVICE_VERSION });

const inventory = process.env.INVENTORY_URL ?? 'http://127.0.0.1:3002';
const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const fulfilment =
  process.env.NO_QUEUE === '1'
    ? undefined
    : new Queue('fulfilment', {
        connection,
        prefix: process.env.QUEUE_PREFIX ?? 'bull',
        telemetry: threadlineTelemetry(),
      });

const app = express();
app.use(correlate({ responseHeaders: { traceIdHeader: 'x-trace-id' } }));
app.post('/checkout/:sku', async (req, res) => {
  const { sku } = req.params;
  log.info('checkout started', { 'product.sku': sku });
  if (process.env.DEMO_REGRESSION === '1') {
    const prices = { 'sku-1': { amount: 12 } };
    log.info('priced', { 'product.price': prices[sku.endsWith('2') ? 'sku-2' : 'sku-1'].amount });
  }
  const reply = await fetch(`${inventory}/reserve/${encodeURIComponent(sku)}`, {
    headers: injectTraceContext({}),
  });
  if (!reply.ok) {
    log.error('stock reservation failed', { 'http.response.status_code': reply.status });
    res.status(502).json({ error: 'could not reserve stock' });
    return;
  }
  if (fulfilment) {
    const job = await fulfilment.add(
      'ship',
      { sku },
      { attempts: 2, backoff: { type: 'fixed', delay: 200 } },
    );
    log.info('fulfilment enqueued', { 'messaging.message.id': job.id });
  }
  res.status(201).json({ sku, status: 'confirmed' });
});
app.use(logErrors());
// Logged (with its stack) by logErrors(); the client gets no stack.
app.use((_error, _req, res, _next) => {
  res.status(500).json({ error: 'internal error' });
});

const server = app.listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => {
  const { port } = server.address();
  log.info('orders listening', { 'server.port': port });
  process.send?.({ type: 'ready', port });
});
process.on('SIGTERM', async () => {
  await fulfilment?.close();
  server.close();
});
