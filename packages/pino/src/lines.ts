import { StringDecoder } from 'node:string_decoder';

/**
 * Calls `onLine` with each non-empty line of the text written to it, whatever
 * the chunks: a line or a UTF-8 character cut between two writes is joined
 * first (thread-stream hands over whole writes today; this does not rely on it).
 */
export function lineSplitter(onLine: (line: string) => void): {
  write(chunk: string | Buffer): void;
  end(): void;
} {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const split = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  };
  return {
    write(chunk) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      split(rest === '' ? text : rest + text);
    },
    end() {
      const last = rest + decoder.end();
      rest = '';
      if (last.trim() !== '') onLine(last);
    },
  };
}
