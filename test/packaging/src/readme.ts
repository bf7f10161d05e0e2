/**
 * The examples of the READMEs as published (read from the installed
 * package), and the few edits the test makes to run them: each edit says
 * why, and fails loudly when the README no longer has the text it edits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Edit {
  /** Text of the example to replace (exactly once), or where `insert` goes. */
  find: string | 'top' | 'end';
  /** What replaces `find`, or what goes at the top or the end. */
  insert: string;
  /** Why the example cannot run as written here. */
  why: string;
}

/** The code blocks (```js and ```ts) of an installed package's README, in order. */
export function readmeExamples(appDir: string, packageName: string): string[] {
  const readme = readFileSync(join(appDir, 'node_modules', packageName, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(?:js|ts)\n([\s\S]*?)^```$/gm)].map(
    (match) => match[1] as string,
  );
}

/** The example with the edits made, or an error naming the edit the README no longer fits. */
export function edited(example: string, edits: Edit[], where: string): string {
  let code = example;
  for (const edit of edits) {
    if (edit.find === 'top' || edit.find === 'end') {
      code = edit.find === 'top' ? `${edit.insert}\n${code}` : `${code}${edit.insert}\n`;
      continue;
    }
    const at = code.indexOf(edit.find);
    if (at === -1 || code.indexOf(edit.find, at + 1) !== -1) {
      throw new Error(
        `${where} no longer has ${JSON.stringify(edit.find)} exactly once (the test edits it: ${edit.why}); update the test to the README's new example:\n${example}`,
      );
    }
    code = code.slice(0, at) + edit.insert + code.slice(at + edit.find.length);
  }
  return code;
}
