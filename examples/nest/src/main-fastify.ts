// The orders service on Nest's Fastify platform.

import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { startThreadline } from '@threadline/core';
import { threadline } from '@threadline/fastify';
import { ThreadlineExceptionFilter, ThreadlineLogger } from '@threadline/nestjs';
import { AppModule } from './app.module.js';

startThreadline({ serviceName: 'orders' });
const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
  logger: new ThreadlineLogger(),
});
await app.register(threadline); // before Nest adds its routes (on listen)
const { httpAdapter } = app.get(HttpAdapterHost);
app.useGlobalFilters(new ThreadlineExceptionFilter(httpAdapter));
await app.listen(3000);
