// @threadline/pino's destination reading one line from pino's metadata
// (metadataReader, no record made): ns a line, in a loop over the metadata
// of pino calls (three fields, threadlineOptions(), a multistream): lines of
// one logger, and two lines a child logger made for each request (as
// pino-http's). Each case in a fresh process, alternating, 5 rounds of
// 2,000,000 reads; medians (min–max).
// Usage: node --import tsx pino-read.ts [--rounds 5]
import pino from 'pino';
import { threadlineOptions } from '../packages/pino/src/bridge.ts';
import { metadataReader, type PinoMetadata } from '../packages/pino/src/metadata.ts';
import { answerAsChild, arg, args, interleaved, median } from './lib.js';

type Captured = PinoMetadata & { line: string; write(line: string): boolean };
const captured: Captured = {
  [Symbol.for('pino.metadata')]: true,
  line: '',
  write(line: string) {
    captured.line = line;
    return true;
  },
};
/** The metadata and line of one call of `logger`. */
function call(logger: pino.Logger): [PinoMetadata, string] {
  logger.info({ i: 1, user: 'u-1', paid: true }, 'request handled');
  const { lastObj, lastMsg, lastLevel, lastTime, lastLogger, line } = captured;
  return [{ lastObj, lastMsg, lastLevel, lastTime, lastLogger }, line];
}
const root = pino(threadlineOptions(), pino.multistream([{ stream: captured }]));
const oneLogger = [call(root), call(root)];
const childPerRequest = Array.from({ length: 1024 }, (_, i) => call(root.child({ req: i })));
const read = metadataReader(
  new Set(['level', 'time', 'pid', 'hostname', 'v']),
  new Set(['trace_id', 'span_id', 'trace_flags']),
  'msg',
);

const READS = 2_000_000;
const CASES = [
  ['lines of one logger', oneLogger, 1],
  ['two lines a child logger made per request', childPerRequest, 2],
] as const;

/** ns a line of case `index`, in this process. */
async function measure(index: number): Promise<number> {
  const [, calls, linesEach] = CASES[index] as (typeof CASES)[number];
  for (const [m, line] of calls) {
    if (read(m, line) === undefined) throw new Error('a line was not read from the metadata');
  }
  for (let i = 0; i < READS / 10; i++) read(...(calls[i % calls.length] as [PinoMetadata, string]));
  const t0 = performance.now();
  for (let i = 0; i < READS; i++) {
    const [m, line] = calls[Math.floor(i / linesEach) % calls.length] as [PinoMetadata, string];
    read(m, line);
  }
  return ((performance.now() - t0) * 1e6) / READS;
}

if (args.includes('--child')) await answerAsChild(measure);
const ROUNDS = arg('rounds', 5);
const results = await interleaved('./pino-read.ts', CASES.length, ROUNDS, []);
console.log(
  `# metadataReader: ns a line, ${READS.toLocaleString('en')} reads a process, ${ROUNDS} rounds, median (min–max)\n`,
);
console.log('| lines | ns a line |');
console.log('|---|---:|');
for (const [i, [name]] of CASES.entries()) {
  const xs = results[i] ?? [];
  console.log(
    `| ${name} | ${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}) |`,
  );
}
process.exit(0);
