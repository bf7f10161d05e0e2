/**
 * The JavaScript and TypeScript blocks of a Markdown file, with where they
 * are and the `<!-- snippet: … -->` line above them, if any, and the
 * programs they make. test/readme runs every block of the workspace's
 * READMEs; test/packaging runs the examples of the READMEs as published, read
 * from the installed packages: both read them here, the same way.
 */
import { readFileSync } from 'node:fs';

export interface Snippet {
  /** The file (as the caller names it) and the line of the opening fence. */
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

/** A block, with the blocks marked `continues` after it appended: one program to run. */
export interface Program extends Snippet {
  /** `<file>-<line>`, fit for a file name. */
  id: string;
}

const FENCE = /^```(js|javascript|mjs|cjs|ts|typescript)\s*$/;
const MARK = /^<!--\s*snippet:\s*([\w-]+)(?:\s+(\S+))?\s*-->$/;

/** The blocks of a Markdown text; `file` names it in what they say. */
export function snippetsIn(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
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

/** The blocks of `<root>/<file>`. */
export function snippetsOf(root: string, file: string): Snippet[] {
  return snippetsIn(readFileSync(`${root}/${file}`, 'utf8'), file);
}

/** One program a block, the blocks marked `continues` appended to theirs. */
export function programsOf(snippets: Snippet[]): Program[] {
  const out: Program[] = [];
  for (const s of snippets) {
    const last = out.at(-1);
    if (s.continues) {
      if (!last || last.file !== s.file) throw new Error(`${s.file}:${s.line}: continues nothing`);
      last.code += s.code;
      continue;
    }
    out.push({ ...s, id: `${s.file.replace(/\W+/g, '-')}-${s.line}` });
  }
  return out;
}

/** The program whose first block is marked `<!-- snippet: <name> -->`. */
export function programNamed(programs: Program[], name: string): Program {
  const p = programs.find((x) => x.name === name);
  if (!p) {
    const files = [...new Set(programs.map((x) => x.file))].join(', ');
    throw new Error(`no block of ${files || 'the READMEs'} is marked <!-- snippet: ${name} -->`);
  }
  return p;
}

/**
 * The extension to run a program with, as a user's file would have it:
 * `.cjs`/`.cts` when it uses `require` or `module.exports`, else `.mjs`/`.mts`
 * (TypeScript runs by Node's type stripping).
 */
export function extensionOf(p: Snippet): string {
  const commonJs = /\brequire\(|\bmodule\.exports\b/.test(p.code);
  return `${commonJs ? 'c' : 'm'}${p.lang === 'ts' ? 'ts' : 'js'}`;
}
