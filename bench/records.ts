// The records soak.ts and queue-memory.ts write: the benchmark's shape
// (3 attributes inside a scope with one attribute).
import { log, withHopScope } from '@threadline/core';

/**
 * Logs records `from` … `to - 1` (attribute `i` is the index) in one scope;
 * returns the next index, max(from, to). `stack`: a string attribute each
 * record carries too (`error.stack`), to make records of other sizes.
 */
export function writeRecords(from: number, to: number, stack?: string): number {
  let i = from;
  withHopScope({ 'http.route': '/orders/:id' }, () => {
    for (; i < to; i++)
      log.info('request handled', {
        i,
        'user.id': 'u-123',
        'http.response.status_code': 200,
        ...(stack === undefined ? {} : { 'error.stack': stack }),
      });
  });
  return i;
}
