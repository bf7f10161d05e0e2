import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { tryGetHttpRequestScope } from '@threadline/core';
import { PaymentError } from './orders.service.js';

/** Answers a failed payment with a 500 that names the request, for support to find it. */
@Catch(PaymentError)
export class PaymentFailedFilter implements ExceptionFilter {
  private readonly logger = new Logger(PaymentFailedFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: PaymentError, host: ArgumentsHost): void {
    const request = tryGetHttpRequestScope();
    // This filter answers in place of ThreadlineExceptionFilter: it records
    // the exception on the request (`request failed`, with its stack).
    request?.fail(exception);
    this.logger.log('answering 500: payment failed');
    const { httpAdapter } = this.adapterHost;
    httpAdapter.reply(
      host.switchToHttp().getResponse(),
      { statusCode: 500, message: 'payment failed', requestId: request?.requestId },
      500,
    );
  }
}
