// What redaction costs an ordinary string, the kind every log line carries
// (a message, a route, a URL): ns per redactString() call on the current
// source, after a warm-up. Most strings hold a `:` or an `=` and none of the
// secrets; this shows what finding that out costs.
// `npx -y pnpm@10 --filter @threadline/bench run bench:redact-strings`
import { createRedaction } from '../packages/core/src/internal/redaction.ts';

const SAMPLES = [
  'request completed',
  'GET /orders/42: 200 in 3 ms',
  'user=bob logged in from 10.0.0.1',
  'payment declined: card expired (code 51)',
  'https://api.example.com/v1/items?page=2&sort=asc',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)',
  'Authorization: Bearer abc.def.ghi',
];
const CALLS = 300_000;

const redaction = createRedaction();
console.log('| string | ns a call |');
console.log('|---|---:|');
for (const sample of SAMPLES) {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += redaction.redactString(sample).length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) sink += redaction.redactString(sample).length;
  const ns = Number(process.hrtime.bigint() - start) / CALLS;
  if (sink === 0) throw new Error('nothing redacted or kept');
  console.log(`| ${JSON.stringify(sample)} | ${ns.toFixed(0)} |`);
}
