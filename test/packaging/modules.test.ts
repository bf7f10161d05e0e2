// Every entry point of every installed package, imported (ESM) and required
// (CommonJS) by plain Node in the app, must give the values its source
// exports: a file left out of the tarball, an export pointing at a missing
// file or a bundle that lost an export fails here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from './src/app.js';
import { entryPoints, publishedPackages } from './src/workspace.js';

const app = inject('app');
const entries = publishedPackages().flatMap(entryPoints);

/** The names of the values (not types) a source file exports, sorted. */
function valueExports(sources: string[]): Map<string, string[]> {
  const program = ts.createProgram(sources, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const exports = new Map<string, string[]>();
  for (const source of sources) {
    const file = program.getSourceFile(source);
    const moduleSymbol = file && checker.getSymbolAtLocation(file);
    if (!moduleSymbol) throw new Error(`TypeScript cannot read ${source}`);
    const names = checker
      .getExportsOfModule(moduleSymbol)
      .filter((symbol) => {
        const target =
          symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return (target.flags & ts.SymbolFlags.Value) !== 0;
      })
      .map((symbol) => symbol.name)
      .sort();
    exports.set(source, names);
  }
  return exports;
}

// Run by Node in the app: the keys of each entry point, imported and
// required (or why it could not be).
const PROBE = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const keys = async (load) => {
  try {
    return Object.keys(await load()).sort();
  } catch (error) {
    return String(error);
  }
};
const found = {};
for (const specifier of JSON.parse(process.argv[2])) {
  found[specifier] = {
    esm: await keys(() => import(specifier)),
    cjs: await keys(() => require(specifier)),
  };
}
process.stdout.write(JSON.stringify(found));
`;

let expected: Map<string, string[]>;
let found: Record<string, { esm: string[] | string; cjs: string[] | string }>;

beforeAll(async () => {
  expected = valueExports(entries.map((entry) => entry.source));
  const probe = join(app.dir, 'probe-modules.mjs');
  writeFileSync(probe, PROBE);
  const { stdout } = await run(
    process.execPath,
    [probe, JSON.stringify(entries.map((entry) => entry.specifier))],
    { cwd: app.dir, timeout: 30_000 },
  );
  found = JSON.parse(stdout);
});

describe('each entry point, installed by npm', () => {
  it.each(entries)(
    '$specifier exports its source’s values when imported (ESM)',
    ({ specifier, source }) => {
      expect(expected.get(source)?.length).toBeGreaterThan(0);
      expect(found[specifier]?.esm).toEqual(expected.get(source));
    },
  );

  it.each(entries)(
    '$specifier exports its source’s values when required (CommonJS)',
    ({ specifier, source }) => {
      expect(found[specifier]?.cjs).toEqual(expected.get(source));
    },
  );
});
