// A RabbitMQ producer and consumer (amqplib) on one thread: the producer
// publishes inside a request's scope with the trace context as message
// headers; the consumer runs each message in a job scope.
// Run: RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672 node index.mjs
import {
  injectTraceContext,
  log,
  startThreadline,
  withHopScope,
  withJobScope,
} from '@threadline/core';
import amqp from 'amqplib';

const threadline = startThreadline({ serviceName: 'rabbitmq-example' });
const connection = await amqp.connect(
  process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
);
const channel = await connection.createChannel();
const queue = process.env.QUEUE ?? 'emails';
await channel.assertQueue(queue, { autoDelete: true });

// Consumer: a few lines around the handler you already have.
const handled = new Promise((resolve) => {
  channel.consume(queue, (msg) => {
    if (!msg) return;
    withJobScope(
      {
        system: 'rabbitmq',
        queue,
        id: msg.properties.messageId,
        attempt: msg.fields.redelivered ? 2 : 1,
        carrier: msg.properties.headers, // the traceparent the producer sent
      },
      async () => {
        log.info('sending email', { to: JSON.parse(msg.content.toString()).to });
      },
    )
      .then(
        () => channel.ack(msg),
        () => channel.nack(msg, false, false),
      )
      .finally(resolve);
  });
});

// Producer, inside a request: the trace goes with the message.
// (Here a hop scope stands in for the request.)
await withHopScope({ 'http.route': '/signup' }, async () => {
  log.info('signup received');
  channel.sendToQueue(queue, Buffer.from(JSON.stringify({ to: 'ann@example.com' })), {
    messageId: 'signup-1',
    headers: injectTraceContext({}),
  });
});

await handled;
await channel.close();
await connection.close();
await threadline.shutdown();
