import { setTimeout } from 'node:timers/promises';
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
} from '@nestjs/common';

/** The key callers send in `x-api-key`. */
export const API_KEY = 'orders-key';

@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    await setTimeout(1); // the key store
    if (request.headers['x-api-key'] !== API_KEY) {
      this.logger.warn('API key refused');
      throw new ForbiddenException('a valid x-api-key header is required');
    }
    this.logger.log('API key accepted');
    return true;
  }
}
