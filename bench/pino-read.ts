// @threadline/pino's destination reading one line from pino's metadata
// (metadataReader, no record made): ns a line, in a loop over the metadata
// of one pino call (three fields, threadlineOptions(), a multistream).
// Best of 5 rounds of 2,000,000 reads.
// Usage: node --import tsx pino-read.ts
import pino from 'pino';
import { threadlineOptions } from '../packages/pino/src/bridge.ts';
import { metadataReader, type PinoMetadata } from '../packages/pino/src/metadata.ts';

const captured: PinoMetadata & { line: string; write(line: string): boolean } = {
  [Symbol.for('pino.metadata')]: true,
  line: '',
  write(line: string) {
    captured.line = line;
    return true;
  },
};
const logger = pino(threadlineOptions(), pino.multistream([{ stream: captured }]));
logger.info({ i: 1, user: 'u-1', paid: true }, 'request handled');
const { lastObj, lastMsg, lastLevel, lastTime, lastLogger, line } = captured;
const metadata = { lastObj, lastMsg, lastLevel, lastTime, lastLogger };
const read = metadataReader(
  new Set(['level', 'time', 'pid', 'hostname', 'v']),
  new Set(['trace_id', 'span_id', 'trace_flags']),
  'msg',
);
if (read(metadata, line) === undefined) throw new Error('the line was not read from the metadata');

const READS = 2_000_000;
let best = Number.POSITIVE_INFINITY;
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  for (let i = 0; i < READS; i++) read(metadata, line);
  best = Math.min(best, ((performance.now() - t0) * 1e6) / READS);
}
console.log(`metadataReader: ${best.toFixed(0)} ns a line (best of 5 rounds of ${READS} reads)`);
