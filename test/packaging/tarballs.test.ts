// Each tarball as `pnpm pack` wrote it (what `pnpm publish` uploads), checked
// by publint (package.json fields against the files shipped) and by
// attw (the types TypeScript resolves for each entry point, in each mode).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { describe, expect, inject, it } from 'vitest';
import { publishedPackages, ROOT } from './src/workspace.js';

const { tarballs, root } = inject('app');
const names = publishedPackages().map((pkg) => pkg.name);

// publint and attw are the workspace root's devDependencies.
const fromRoot = createRequire(join(ROOT, 'package.json'));
const attwManifest = fromRoot.resolve('@arethetypeswrong/cli/package.json');
const attw = join(
  dirname(attwManifest),
  (JSON.parse(readFileSync(attwManifest, 'utf8')) as { bin: Record<string, string> }).bin
    .attw as string,
);

describe('each tarball', () => {
  it('exists for every package under packages/ that is not private', () => {
    expect(Object.keys(tarballs).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s passes publint, strict, suggestions included', async (name) => {
    const tarball = readFileSync(tarballs[name] as string);
    const { messages, pkg } = await publint({
      pack: {
        tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.length),
      },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((message) => formatMessage(message, pkg, { color: false }))).toEqual([]);
  });

  // The node16 profile leaves out `node10` resolution (TypeScript's
  // `moduleResolution: node`, which has no `exports`): the packages need
  // Node >= 22.15 and TypeScript 6 deprecates node10, so an entry point
  // that only `exports` names (`@threadline/pino/transport`) is not a fault.
  it.each(names)(
    '%s ships types attw finds right under node16 (ESM and CJS) and bundler',
    async (name) => {
      const args = [attw, tarballs[name] as string, '--profile', 'node16'];
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [...args, '--no-definitely-typed', '--format', 'json'],
        { cwd: root, timeout: 60_000, encoding: 'utf8' },
      ).catch((error: { stdout?: string }) => {
        // attw exits 1 when it finds problems; its JSON says which.
        if (!error.stdout) throw error;
        return { stdout: error.stdout };
      });
      const { analysis } = JSON.parse(stdout) as {
        analysis: { types: false | { kind: string }; problems?: { resolutionKind?: string }[] };
      };
      // attw finds nothing wrong in a package without types; here that is wrong.
      expect(analysis.types).toEqual({ kind: 'included' });
      // The same problems as the node16 profile counts.
      expect((analysis.problems ?? []).filter((p) => p.resolutionKind !== 'node10')).toEqual([]);
    },
  );
});
