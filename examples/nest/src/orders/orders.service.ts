import { setTimeout } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';

/** The payment provider could not charge the card. */
export class PaymentError extends Error {
  override name = 'PaymentError';
}

@Injectable()
export class OrdersService {
  private readonly logger = new Logger(OrdersService.name);

  async findOne(id: string) {
    await setTimeout(Math.random() * 5); // the database
    this.logger.log('order found', { 'order.id': id });
    return { id, status: 'open' };
  }

  invoice(id: string): never {
    const template = undefined as unknown as { render(id: string): string };
    // A TypeError: the template was never loaded.
    template.render(id);
    throw new Error('unreachable');
  }

  async charge(id: string) {
    await setTimeout(1); // the payment provider
    this.logger.warn('payment provider did not answer', { 'order.id': id });
    throw new PaymentError('card could not be charged', {
      cause: new Error('connect ECONNREFUSED payments.internal:443'),
    });
  }
}
