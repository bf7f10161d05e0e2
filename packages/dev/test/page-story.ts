// One failed checkout across four services, for the page's tests, beside the
// overview's scenario (overview-scenario.ts): orders calls inventory and
// payments, payments times out, the checkout answers 502 and enqueues a
// receipt job that a worker runs in link mode (a trace of its own per
// attempt, linked back), failing once, then completing. Also records outside
// any trace: the start-up lines, a cache warmed at start.
import type { ReceivedRecord } from '../src/index.js';
import { NEW_COMMIT, NOW } from './overview-scenario.js';

const MIN = 60_000;
/** The checkout's trace. */
export const CHECKOUT = '7a'.repeat(16);
/** The receipt job's attempts, each a trace linked to the checkout. */
export const RECEIPT_1 = '7b'.repeat(16);
export const RECEIPT_2 = '7c'.repeat(16);
const ORDERS_SPAN = 'a1'.repeat(8);
const INVENTORY_SPAN = 'b2'.repeat(8);
const PAYMENTS_SPAN = 'c3'.repeat(8);

/** What payments logs when its provider does not answer. */
export const PAYMENTS_STACK = [
  'TimeoutError: provider did not answer within 400 ms',
  '    at ProviderClient.charge (/srv/payments/src/provider.ts:88:13)',
  '    at async chargeCard (/srv/payments/src/charge.ts:41:5)',
  '    at async /srv/payments/src/routes.ts:19:7',
].join('\n');

const resources = {
  orders: {
    'service.name': 'orders',
    'service.version': '1.4.1',
    'service.instance.id': 'o-2',
    'vcs.ref.head.revision': NEW_COMMIT,
    'threadline.owner': 'team-checkout',
    'threadline.runbook.url': 'https://runbooks.example.com/orders',
  },
  inventory: {
    'service.name': 'inventory',
    'service.version': '0.9.0',
    'service.instance.id': 'i-1',
    'threadline.owner': 'team-stock',
  },
  payments: {
    'service.name': 'payments',
    'service.version': '3.2.0',
    'service.instance.id': 'p-1',
    'threadline.owner': 'team-payments',
    'threadline.runbook.url': 'https://runbooks.example.com/payments',
  },
  worker: {
    'service.name': 'worker',
    'service.version': '2.0.0',
    'service.instance.id': 'w-1',
    'threadline.owner': 'team-fulfilment',
  },
};

function line(
  service: keyof typeof resources,
  atMs: number,
  body: string,
  ids: { traceId: string; spanId: string },
  attributes: Record<string, unknown> = {},
  severityNumber = 9,
): ReceivedRecord {
  return {
    resource: resources[service],
    scope: { name: 'threadline' },
    timeUnixNano: String(BigInt(Math.round(atMs * 1000)) * 1000n),
    observedTimeUnixNano: '0',
    severityNumber,
    severityText: severityNumber >= 17 ? 'ERROR' : severityNumber >= 13 ? 'WARN' : 'INFO',
    body,
    attributes,
    traceId: ids.traceId,
    spanId: ids.spanId,
    flags: 1,
    eventName: '',
    droppedAttributesCount: 0,
  };
}

const request = (method: string, route: string, status: number, ms: number) => ({
  'http.request.method': method,
  'http.route': route,
  'url.path': route.replace(':sku', 'sku-42'),
  'http.response.status_code': status,
  'threadline.duration_ms': ms,
});

/** The checkout, two minutes before the overview's NOW; the start-up lines half an hour before. */
export function story(): ReceivedRecord[] {
  const t = NOW - 2 * MIN;
  const orders = { traceId: CHECKOUT, spanId: ORDERS_SPAN };
  const inventory = { traceId: CHECKOUT, spanId: INVENTORY_SPAN };
  const payments = { traceId: CHECKOUT, spanId: PAYMENTS_SPAN };
  const untraced = { traceId: '', spanId: '' };
  const under = (parent: string) => ({ 'threadline.parent_span_id': parent });
  const job = (attempt: number) => ({
    'messaging.system': 'bullmq',
    'messaging.destination.name': 'receipts',
    'messaging.message.id': '77',
    'threadline.job.name': 'send-receipt',
    'threadline.job.attempt': attempt,
    'threadline.job.max_attempts': 3,
    'threadline.link.trace_id': CHECKOUT,
  });
  const first = { traceId: RECEIPT_1, spanId: 'd4'.repeat(8) };
  const second = { traceId: RECEIPT_2, spanId: 'e5'.repeat(8) };
  return [
    line('inventory', NOW - 30 * MIN, 'service started', untraced),
    line('payments', NOW - 30 * MIN, 'service started', untraced),
    line('payments', NOW - 30 * MIN + 5, 'provider client ready', untraced, {
      'payments.provider': 'acme-pay',
    }),
    line('orders', t, 'checkout started', orders, {
      'http.request.method': 'POST',
      'url.path': '/checkout',
      'tenant.id': 't-17',
    }),
    line('inventory', t + 4, 'reserving stock', inventory, {
      ...under(ORDERS_SPAN),
      'http.request.method': 'GET',
      'inventory.sku': 'sku-42',
    }),
    line('inventory', t + 8, 'request completed', inventory, {
      ...under(ORDERS_SPAN),
      ...request('GET', '/reserve/:sku', 200, 4.2),
    }),
    line('payments', t + 12, 'charging card', payments, {
      ...under(ORDERS_SPAN),
      'http.request.method': 'POST',
      'payments.amount': 4999,
    }),
    line(
      'payments',
      t + 414,
      'payment provider timed out',
      payments,
      {
        ...under(ORDERS_SPAN),
        'http.request.method': 'POST',
        'exception.type': 'TimeoutError',
        'exception.message': 'provider did not answer within 400 ms',
        'exception.stacktrace': PAYMENTS_STACK,
      },
      17,
    ),
    line(
      'payments',
      t + 416,
      'request completed',
      payments,
      { ...under(ORDERS_SPAN), ...request('POST', '/charge', 504, 405) },
      17,
    ),
    line('orders', t + 420, 'receipt enqueued', orders, {
      'http.request.method': 'POST',
      'messaging.destination.name': 'receipts',
      'messaging.message.id': '77',
    }),
    line(
      'orders',
      t + 424,
      'request completed',
      orders,
      {
        ...request('POST', '/checkout', 502, 425),
        'exception.type': 'PaymentError',
        'exception.message': 'payment failed: provider timed out',
      },
      17,
    ),
    line('worker', t + 440, 'job started', first, { ...job(1), 'threadline.job.wait_ms': 14 }),
    line('worker', t + 445, 'rendering receipt', first, job(1)),
    line(
      'worker',
      t + 470,
      'job failed',
      first,
      {
        ...job(1),
        'threadline.duration_ms': 30,
        'threadline.job.will_retry': true,
        'exception.type': 'Error',
        'exception.message': 'mail server refused the connection',
        'exception.stacktrace':
          'Error: mail server refused the connection\n    at Mailer.send (/srv/worker/src/mail.ts:23:11)',
      },
      17,
    ),
    line('worker', t + 1470, 'job started', second, { ...job(2), 'threadline.job.wait_ms': 1000 }),
    line('worker', t + 1490, 'receipt sent', second, job(2)),
    line('worker', t + 1495, 'job completed', second, {
      ...job(2),
      'threadline.duration_ms': 25,
    }),
  ];
}
