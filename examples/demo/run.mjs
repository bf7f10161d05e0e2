// `pnpm demo`: starts `threadline dev` and the three example services on
// loopback, each as its own process, sends traffic (one request fails),
// deploys orders 1.4.1 (which brings a bug) and sends more, stops everything
// (each service flushes first), and prints `threadline status`, the failing
// request's timeline and the page's address of the newest failure. `--keep`
// leaves it all running; `--db PATH` chooses the store (default
// .threadline/demo.sqlite).
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatTimeline, formatWaterfall, RecordStore } from '@threadline/dev';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const db = args.includes('--db')
  ? args[args.indexOf('--db') + 1]
  : join(process.cwd(), '.threadline', 'demo.sqlite');
const require = createRequire(import.meta.url);
const entry = (name, file) => join(dirname(require.resolve(`${name}/package.json`)), file);
const say = (line = '') => process.stdout.write(`${line}\n`);

const redisPort = Number(process.env.REDIS_PORT ?? 6379);

/** Is a Redis server answering on 127.0.0.1:REDIS_PORT (6379)? */
function redisUp() {
  return new Promise((resolve) => {
    const socket = connect(redisPort, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const children = [];
/** Starts a service and waits for its `ready` message. */
async function start(name, file, argv, env) {
  const child = fork(file, argv, {
    env: { ...process.env, OTEL_SERVICE_NAME: '', PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.push({ name, child });
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${name} exited (${code}) before it was ready`);
    }),
  ]);
  return message;
}

/** Stops one child (it flushes on SIGTERM) and forgets it. */
async function stop(name) {
  const i = children.findIndex((c) => c.name === name);
  const { child } = children[i];
  children.splice(i, 1);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function stopAll() {
  // Services first (each flushes to the receiver on SIGTERM), the receiver last.
  for (const { child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}

async function main() {
  rmSync(db, { force: true });
  mkdirSync(dirname(db), { recursive: true });
  const queue = await redisUp();
  if (!queue) {
    say(
      `Redis is not answering on 127.0.0.1:${redisPort}: the queue part is skipped. To see it, start one:`,
    );
    say(
      `  redis-server --daemonize yes --bind 127.0.0.1 --port ${redisPort} --save "" --appendonly no`,
    );
    say();
  }
  const dev = await start(
    'threadline dev',
    entry('@threadline/dev', 'dist/cli.mjs'),
    ['dev', '--port', '0', '--db', db],
    {},
  );
  const endpoint = dev.url;
  const deploy = {
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: endpoint,
    SERVICE_VERSION: '1.4.0',
    GIT_COMMIT: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
    THREADLINE_ENVIRONMENT: 'demo',
    QUEUE_PREFIX: `demo-${process.pid}`,
    REDIS_PORT: String(redisPort),
    ...(queue ? {} : { NO_QUEUE: '1' }),
  };
  const inventory = await start(
    'inventory',
    entry('@threadline/example-inventory', 'index.mjs'),
    [],
    deploy,
  );
  const startOrders = (env) =>
    start('orders', entry('@threadline/example-orders', 'index.mjs'), [], {
      ...deploy,
      INVENTORY_URL: `http://127.0.0.1:${inventory.port}`,
      ...env,
    });
  let orders = await startOrders({});
  await start('worker', entry('@threadline/example-worker', 'index.mjs'), [], deploy);
  say(
    `threadline dev is receiving at ${endpoint}; orders on :${orders.port}, inventory on :${inventory.port}`,
  );

  const traffic = async (skus) => {
    let failing = '';
    for (const sku of skus) {
      const reply = await fetch(`http://127.0.0.1:${orders.port}/checkout/${sku}`, {
        method: 'POST',
      });
      say(`POST /checkout/${sku} → ${reply.status}  (trace ${reply.headers.get('x-trace-id')})`);
      if (!reply.ok) failing = reply.headers.get('x-trace-id') ?? '';
    }
    return failing;
  };
  // Checkouts on 1.4.0; one SKU is out of stock.
  let failingTrace = await traffic([
    'sku-1',
    'sku-2',
    'sku-3',
    'sku-4',
    'sku-5',
    'sku-6',
    'out-of-stock',
  ]);
  // Let the jobs (each fails once, then succeeds) and a cron run or two happen.
  await sleep(queue ? 2500 : 1500);

  // The deploy: orders 1.4.1, which throws for a SKU ending in 2.
  await stop('orders');
  orders = await startOrders({
    SERVICE_VERSION: '1.4.1',
    GIT_COMMIT: 'b7e4f1c09d2a3b4c5d6e7f8091a2b3c4d5e6f708',
    DEMO_REGRESSION: '1',
  });
  say();
  say(`orders 1.4.1 deployed (commit b7e4f1c), on :${orders.port}`);
  failingTrace =
    (await traffic(['sku-1', 'sku-2', 'sku-3', 'sku-12', 'sku-5', 'sku-6'])) || failingTrace;
  await sleep(queue ? 1500 : 500);

  const page = `${endpoint.replace('/v1/logs', '/')}#trace=${failingTrace}`;
  if (keep) {
    say();
    say(`Left running (--keep). The newest failure on the page: ${page}`);
    say(
      `In the terminal: npx -y pnpm@10 exec node packages/dev/dist/cli.mjs trace ${failingTrace} --db ${db}`,
    );
    say('Stop with Ctrl-C.');
    process.once('SIGINT', () => void stopAll());
    return;
  }
  await stopAll();
  const cli = entry('@threadline/dev', 'dist/cli.mjs');
  say();
  say(`\`threadline status --window all --db ${db}\`:`);
  say();
  say(
    execFileSync(process.execPath, [cli, 'status', '--window', 'all', '--db', db], {
      encoding: 'utf8',
    }).trimEnd(),
  );
  const store = new RecordStore(db, { readOnly: true });
  say();
  say(`The newest failing request, as \`threadline trace ${failingTrace} --db ${db}\` shows it:`);
  say();
  const records = store.trace(failingTrace);
  const color = process.stdout.isTTY === true;
  const [head, ...lines] = formatTimeline(records, color);
  for (const line of [head, ...formatWaterfall(records, color), '', ...lines]) say(line);
  say();
  say(
    `${store.count()} records stored in ${db}. Recent failures: npx -y pnpm@10 exec node packages/dev/dist/cli.mjs errors --db ${db}`,
  );
  say(
    `The failing trace on the page: npx -y pnpm@10 exec node packages/dev/dist/cli.mjs dev --db ${db}, then open http://127.0.0.1:4318/#trace=${failingTrace}`,
  );
  store.close();
}

main().catch(async (error) => {
  process.stderr.write(`demo failed: ${error.message}\n`);
  await stopAll();
  process.exitCode = 1;
});
