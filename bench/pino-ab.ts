// Two (or more) builds of @threadline/core and @threadline/pino side by side
// on the pino benchmark's scenario, to measure a change: each build is a
// folder holding copies of both packages' `dist` (`<folder>/core`,
// `<folder>/pino`). Each round runs every build once, each in a fresh
// process pinned to core 0 (the receiver's threads on core 1), and reports
// µs a line until exported and on the logging thread, and the process's
// minor page faults (`/usr/bin/time`). A `@flag` after a folder adds a Node
// flag (`before@--no-allocation-site-pretenuring`).
// Usage: node --import tsx pino-ab.ts [--variant threadline] [--lines 200000] [--rounds 5] <folder>…
//   mkdir -p /tmp/ab/before/{core,pino}
//   cp -r ../packages/core/dist/. /tmp/ab/before/core/; cp -r ../packages/pino/dist/. /tmp/ab/before/pino/
//   (change, build, copy to /tmp/ab/after likewise)
//   node --import tsx pino-ab.ts /tmp/ab/before /tmp/ab/after
import { execFileSync } from 'node:child_process';
import { args, forkReceiver, here, median, runPinned } from './lib.js';

const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] as string) : fallback;
};
const VARIANT = option('variant', 'threadline');
const LINES = Number(option('lines', '200000'));
const ROUNDS = Number(option('rounds', '5'));
const builds = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (builds.length === 0) {
  console.error(
    'usage: node --import tsx pino-ab.ts [--variant v] [--lines n] [--rounds n] <folder>…',
  );
  process.exit(2);
}

const receiver = await forkReceiver();
execFileSync('taskset', ['-a', '-p', '2', String(receiver.pid)], { stdio: 'ignore' });
const results = new Map<string, { thread: number[]; total: number[]; faults: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const build of builds) {
    const [folder, ...flags] = build.split('@');
    const run = await runPinned(
      [
        ...flags,
        '-r',
        here('./pino-ab-resolve.cjs'),
        here('./pino-scenario.cjs'),
        VARIANT,
        receiver.url,
        String(LINES),
      ],
      LINES,
      receiver,
      { ...process.env, AB_BUILD: folder },
    );
    const r = results.get(build) ?? { thread: [], total: [], faults: [] };
    r.thread.push(run.thread);
    r.total.push(run.total);
    if (run.faults !== undefined) r.faults.push(run.faults);
    results.set(build, r);
  }
}
console.log(
  `# ${VARIANT}: ${LINES} lines a process, ${ROUNDS} rounds, pinned; medians (every round's total)\n`,
);
console.log('| build | µs a line until exported | on the logging thread | minor page faults |');
console.log('|---|---:|---:|---:|');
for (const [build, r] of results) {
  console.log(
    `| ${build} | ${median(r.total).toFixed(2)} (${r.total.map((t) => t.toFixed(2)).join(', ')}) | ${median(r.thread).toFixed(2)} | ${r.faults.length ? median(r.faults) : 'n/a'} |`,
  );
}
receiver.close();
