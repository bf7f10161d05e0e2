/**
 * README programs start servers on fixed ports (3000, 3001, 4318). Forked
 * with `execArgv: ['--import', LISTEN_HOOK]`, a program's servers listen on
 * free ports instead, each reported to the test over the IPC channel, so the
 * programs run as written, beside each other and beside other tests.
 */
import type { ChildProcess } from 'node:child_process';

/** The hook, for `--import`. */
export const LISTEN_HOOK = new URL('./listen-hook.mjs', import.meta.url).href;

export interface Listening {
  /** The port a server of the program listens on, by the port its README asked for. */
  ports: Map<number, number>;
  /**
   * Waits for the program to listen where its README asked (`app.listen(3000)`);
   * the port it really has. Fails when the program ends first, or after `timeoutMs`.
   */
  portOf(asked: number, timeoutMs?: number): Promise<number>;
}

/** Follows the ports a program forked with LISTEN_HOOK reports; `context` says what it printed. */
export function listening(child: ChildProcess, context: () => string = () => ''): Listening {
  const ports = new Map<number, number>();
  child.on('message', (m: { listening?: number; port?: number }) => {
    if (typeof m.port === 'number') ports.set(m.listening ?? m.port, m.port);
  });
  return {
    ports,
    async portOf(asked, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const port = ports.get(asked);
        if (port !== undefined) return port;
        const ended = child.exitCode !== null || child.signalCode !== null;
        if (ended || Date.now() > deadline) {
          const why = ended ? 'ended before listening' : `did not listen within ${timeoutMs} ms`;
          throw new Error(`the program ${why} on ${asked}:\n${context()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
