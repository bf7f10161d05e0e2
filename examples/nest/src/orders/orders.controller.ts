import {
  Controller,
  Get,
  Logger,
  Param,
  Post,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard.js';
import { OrdersService } from './orders.service.js';
import { PaymentFailedFilter } from './payment-failed.filter.js';
import { TimingInterceptor } from './timing.interceptor.js';

@Controller('orders')
@UseGuards(ApiKeyGuard)
@UseInterceptors(TimingInterceptor)
export class OrdersController {
  private readonly logger = new Logger(OrdersController.name);

  constructor(private readonly orders: OrdersService) {}

  @Get(':id')
  async findOne(@Param('id') id: string) {
    this.logger.log('loading order', { 'order.id': id });
    return this.orders.findOne(id);
  }

  /** A bug: answered 500 by Nest's own filter (through ThreadlineExceptionFilter). */
  @Get(':id/invoice')
  invoice(@Param('id') id: string) {
    this.logger.log('rendering invoice', { 'order.id': id });
    return this.orders.invoice(id);
  }

  /** A failed payment: answered 500 by a filter of the app's own. */
  @Post(':id/pay')
  @UseFilters(PaymentFailedFilter)
  async pay(@Param('id') id: string) {
    this.logger.log('charging card', { 'order.id': id });
    await this.orders.charge(id);
    return { id, status: 'paid' };
  }
}
