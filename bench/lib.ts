// Helpers shared by the benchmark drivers.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const args = process.argv.slice(2);

/** `--name N` from the command line, or `fallback`. */
export function arg(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** A file of this folder, as a path. */
export const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** The next IPC message of `type` from `child`; rejects if it exits first. */
export function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`process exited (${code}) waiting for ${type}`));
    const on = (m: { type: string }) => {
      if (m.type === type) {
        child.off('message', on);
        child.off('exit', onExit);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.once('exit', onExit);
  });
}

export const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
