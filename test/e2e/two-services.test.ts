import { type OtlpReceiver, startOtlpReceiver } from '@threadline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from './services.js';

let receiver: OtlpReceiver;
const services: Service[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await receiver.close();
});

describe('two services over HTTP on loopback', () => {
  it('puts the Express service and the Koa service it calls on one trace, each hop with its own span id', async () => {
    const inventory = await startService('inventory-koa.mjs', { ENDPOINT: receiver.url });
    services.push(inventory);
    const orders = await startService('orders-express.mjs', {
      ENDPOINT: receiver.url,
      INVENTORY_URL: inventory.url,
    });
    services.push(orders);

    const reply = await fetch(`${orders.url}/checkout`);
    expect(await reply.json()).toEqual({ reserved: true });
    // SIGTERM: each service flushes before it ends.
    await orders.stop();
    await inventory.stop();

    const records = receiver.records.filter((r) => r.body !== 'service started');
    const of = (service: string) => records.filter((r) => r.resource['service.name'] === service);
    const ordersLines = of('orders');
    const inventoryLines = of('inventory');
    expect(ordersLines.map((r) => r.body)).toEqual([
      'checkout started',
      'stock reserved',
      'request completed',
    ]);
    expect(inventoryLines.map((r) => r.body)).toEqual(['reserving stock', 'request completed']);

    const [first] = ordersLines;
    const traceId = first?.traceId ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const r of records) expect(r.traceId).toBe(traceId);

    const ordersSpan = first?.spanId ?? '';
    const inventorySpan = inventoryLines[0]?.spanId ?? '';
    for (const r of ordersLines) expect(r.spanId).toBe(ordersSpan);
    for (const r of inventoryLines) expect(r.spanId).toBe(inventorySpan);
    expect(inventorySpan).not.toBe(ordersSpan);
    // The Koa hop's parent is the Express hop.
    for (const r of inventoryLines) {
      expect(r.attributes['threadline.parent_span_id']).toBe(ordersSpan);
    }
    // The orders hop started the trace: it has no parent.
    expect(first?.attributes['threadline.parent_span_id']).toBeUndefined();
    expect(inventoryLines[1]?.attributes).toMatchObject({
      'http.route': '/reserve/:sku',
      'http.response.status_code': 200,
    });
  });
});
