// The worker: processes `fulfilment` jobs (the first attempt of each fails,
// BullMQ retries it) and runs a cron job every second (a stand-in for a
// nightly one). Without Redis (NO_QUEUE=1), only the cron job runs.
import { correlateProcessor, logStalledJobs } from '@threadline/bullmq';
import { log, startThreadline } from '@threadline/core';
import { cronJob } from '@threadline/cron';
import { Worker } from 'bullmq';

const threadline = startThreadline({
  serviceName: 'worker',
  serviceVersion: process.env.SERVICE_VERSION,
});

let worker;
if (process.env.NO_QUEUE !== '1') {
  worker = new Worker(
    'fulfilment',
    correlateProcessor(async (job) => {
      log.info('packing order', { 'product.sku': job.data.sku });
      if (job.attemptsMade === 0) throw new Error('label printer offline');
      log.info('order shipped', { 'product.sku': job.data.sku });
    }),
    {
      connection: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) },
      prefix: process.env.QUEUE_PREFIX ?? 'bull',
    },
  );
  logStalledJobs(worker);
}

const reconcile = cronJob(
  'reconcile-stock',
  async () => {
    log.info('stock reconciled', { 'inventory.items': 42 });
  },
  { schedule: 'every 1 s' },
);
const timer = setInterval(reconcile, Number(process.env.CRON_EVERY_MS ?? 1000));

process.send?.({ type: 'ready' });
process.on('SIGTERM', async () => {
  clearInterval(timer);
  await worker?.close();
  await threadline.shutdown();
  process.exit(0);
});
