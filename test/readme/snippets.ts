/**
 * The JavaScript and TypeScript blocks of a Markdown file, with where they
 * are and the `<!-- snippet: … -->` line above them, if any.
 */
import { readFileSync } from 'node:fs';

export interface Snippet {
  /** The file, relative to the repository root, and the line of the opening fence. */
  file: string;
  line: number;
  lang: 'js' | 'ts';
  code: string;
  /** From `<!-- snippet: <name> -->` on the line before the fence: the test's scenario. */
  name: string | undefined;
  /** `<!-- snippet: continues -->`: run after the block before it, as one program. */
  continues: boolean;
  /**
   * `<!-- snippet: from <path> -->`: an excerpt of a runnable file (run by its
   * own tests): its lines must occur in that file, in order.
   */
  from: string | undefined;
}

const FENCE = /^```(js|javascript|mjs|cjs|ts|typescript)\s*$/;
const MARK = /^<!--\s*snippet:\s*([\w-]+)(?:\s+(\S+))?\s*-->$/;

export function snippetsOf(root: string, file: string): Snippet[] {
  const lines = readFileSync(`${root}/${file}`, 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i] as string);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) {
      body.push(lines[i] as string);
    }
    const mark =
      MARK.exec((lines[start - 1] ?? '').trim()) ?? MARK.exec((lines[start - 2] ?? '').trim());
    const name = mark?.[1];
    const from = name === 'from' ? mark?.[2] : undefined;
    out.push({
      file,
      line: start + 1,
      lang: /^t/.test(fence[1] as string) ? 'ts' : 'js',
      code: `${body.join('\n')}\n`,
      name: name === 'continues' || name === 'from' ? undefined : name,
      continues: name === 'continues',
      from,
    });
  }
  return out;
}
