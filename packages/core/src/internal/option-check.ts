/**
 * Checks of what startThreadline() is given that do not stop it: option names
 * it does not know (a typo such as `servicename` is otherwise ignored in
 * silence), and a second call whose options differ from the running ones.
 */
import type { ThreadlineOptions } from '../types.js';
import { OPTION_NAMES } from './option-table.js';

const BY_LOWER_CASE = new Map(
  [...OPTION_NAMES].map((name) => [name.toLowerCase().replace(/[-_]/g, ''), name]),
);

/** One line for each option name startThreadline() does not know, with the one meant if it is clear. */
export function unknownOptionWarnings(options: object): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.has(name)) continue;
    const meant = BY_LOWER_CASE.get(name.toLowerCase().replace(/[-_]/g, ''));
    lines.push(
      `startThreadline() has no option ${JSON.stringify(name)}${meant ? ` (did you mean ${JSON.stringify(meant)}?)` : ''}; it is ignored`,
    );
  }
  return lines;
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof RegExp && b instanceof RegExp) return String(a) === String(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/** The names of the options a second call sets differently from the running instance's. */
export function changedOptions(running: ThreadlineOptions, again: ThreadlineOptions): string[] {
  const names = new Set([...Object.keys(running), ...Object.keys(again)]);
  return [...names].filter(
    (name) =>
      !same((running as Record<string, unknown>)[name], (again as Record<string, unknown>)[name]),
  );
}
