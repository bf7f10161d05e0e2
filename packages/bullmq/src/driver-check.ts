/**
 * BullMQ without a Redis driver it can load does not fail: its worker retries
 * the connection in a loop, writing "could not load the optional 'ioredis'
 * package" on every turn (measured: 42 GB of stderr in ten minutes). Current
 * BullMQ makes each driver an optional peer, so an install line without one
 * gives exactly that. The wrapper looks once, from where `bullmq` is
 * installed, and refuses to start with the command that fixes it.
 */
import { createRequire } from 'node:module';

/** BullMQ's optional back-end packages: ioredis (connection options), node-redis and pg (instances). */
const DRIVERS = ['ioredis', 'redis', 'pg'] as const;

/** Resolves a package from a directory's point of view; undefined when it is not installed there. */
export type Resolve = (id: string, from: string) => string | undefined;

const resolveFrom: Resolve = (id, from) => {
  try {
    return createRequire(from).resolve(id);
  } catch {
    return undefined;
  }
};

// Where this module is, in the ESM build and the CommonJS one.
const HERE: string = typeof __filename === 'string' ? __filename : import.meta.url;

/**
 * The error to throw when `bullmq` is installed but none of the drivers it
 * can use is; undefined when one is, or when `bullmq` itself is not found
 * from here (a bundled app: nothing to say).
 */
export function missingDriverError(
  resolve: Resolve = resolveFrom,
  here: string = HERE,
): Error | undefined {
  const bullmq = resolve('bullmq', here);
  if (bullmq === undefined) return undefined;
  if (DRIVERS.some((driver) => resolve(driver, bullmq) !== undefined)) return undefined;
  return new Error(
    "Threadline: BullMQ is installed without a Redis driver ('ioredis' is an optional peer " +
      'of BullMQ, not a dependency), so its workers would retry the connection in a loop. ' +
      'Install it: npm install ioredis (or pass a node-redis client instance as the connection, ' +
      'with the redis package installed)',
  );
}

let found: Error | null | undefined;

/** Throws {@link missingDriverError}; looks once a process. */
export function assertQueueLibraryCanRun(): void {
  if (found === undefined) found = missingDriverError() ?? null;
  if (found) throw found;
}
