// The orders service on Nest's Express platform.

import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { startThreadline } from '@threadline/core';
import { correlate } from '@threadline/express';
import { ThreadlineExceptionFilter, ThreadlineLogger } from '@threadline/nestjs';
import { AppModule } from './app.module.js';

startThreadline({ serviceName: 'orders' });
const app = await NestFactory.create(AppModule, { logger: new ThreadlineLogger() });
app.use(correlate()); // before Nest adds its body parsers and routes (on listen)
const { httpAdapter } = app.get(HttpAdapterHost);
app.useGlobalFilters(new ThreadlineExceptionFilter(httpAdapter));
await app.listen(3000);
