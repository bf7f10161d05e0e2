import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  Logger,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable, tap, throwError, timeout } from 'rxjs';

@Injectable()
export class TimingInterceptor implements NestInterceptor {
  private readonly logger = new Logger(TimingInterceptor.name);

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handler = `${context.getClass().name}.${context.getHandler().name}`;
    const started = performance.now();
    this.logger.log('handler starting', { handler });
    // The handler's value (or error) arrives later, after its awaits; the
    // operators below run then, on RxJS's side of the request.
    return next.handle().pipe(
      timeout(5_000),
      tap(() => this.logger.log('handler done', { handler, 'duration.ms': ms(started) })),
      catchError((error: unknown) => {
        this.logger.warn('handler threw', { handler, 'duration.ms': ms(started) });
        return throwError(() => error);
      }),
    );
  }
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}
