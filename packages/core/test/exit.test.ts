import { once } from 'node:events';
import { createServer } from 'node:net';
import { startOtlpReceiver } from '@threadline/testing';
import { describe, expect, it } from 'vitest';
import { forkFixture as run } from './helpers.js';

/** A loopback URL where nothing listens: the collector is down. */
async function downEndpoint(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}/v1/logs`;
}

describe('records still queued when the process ends', () => {
  it('a script that simply ends says how many records it did not deliver, and where', async () => {
    const endpoint = await downEndpoint();
    const p = run('exit-script.mjs', endpoint);
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).toMatch(
      new RegExp(
        `exiting with 3 records not delivered to otlp http/protobuf ${endpoint}.*ECONNREFUSED`,
      ),
    );
  });

  it("process.exit() from the application's SIGINT handler says it too", async () => {
    const endpoint = await downEndpoint();
    const p = run('exit-in-handler.mjs', endpoint);
    await p.ready;
    p.child.kill('SIGINT');
    expect((await p.exited).code).toBe(130);
    expect(p.stderr()).toContain('exiting with 4 records not delivered');
  });

  it('says nothing when every record was delivered', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const p = run('exit-script.mjs', receiver.url);
      expect((await p.exited).code).toBe(0);
      expect(receiver.records.filter((r) => r.body === 'line')).toHaveLength(3);
      expect(p.stderr()).not.toContain('not delivered');
    } finally {
      await receiver.close();
    }
  });
});
