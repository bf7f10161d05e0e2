// The inventory service (Koa). Deploy metadata comes from the environment:
// SERVICE_VERSION, GIT_COMMIT, THREADLINE_ENVIRONMENT; OTLP from OTEL_*.
import { Router } from '@koa/router';
import { log, startThreadline } from '@threadline/core';
import { correlate } from '@threadline/koa';
import Koa from 'koa';

startThreadline({ serviceName: 'inventory', serviceVersion: process.env.SERVICE_VERSION });

const app = new Koa();
app.on('error', () => {}); // logged by correlate(); keep stderr quiet
app.use(correlate());
const router = new Router();
router.get('/reserve/:sku', (ctx) => {
  const { sku } = ctx.params;
  log.info('reserving stock', { 'product.sku': sku });
  if (sku === 'out-of-stock') ctx.throw(409, `no stock left for ${sku}`);
  ctx.body = { sku, reserved: 1 };
});
app.use(router.routes());

const server = app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1', () => {
  const { port } = server.address();
  log.info('inventory listening', { 'server.port': port });
  process.send?.({ type: 'ready', port });
});
