#!/usr/bin/env node
/**
 * The `threadline` command: checks that this Node can run it (the store is
 * Node's built-in `node:sqlite`), then runs the commands. Nothing here may
 * import `node:sqlite`, or an older Node fails before it can say why.
 */
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`threadline: ${problem}\n`);
  process.exit(2);
} else {
  void import('./commands.js').then(({ main }) => main(process.argv.slice(2)));
}
