/**
 * Checks of what startThreadline() is given that do not stop it: option names
 * it does not know (a typo such as `servicename` is otherwise ignored in
 * silence), and a second call whose options differ from the running ones.
 */
import type { ThreadlineOptions } from '../types.js';

// Every option, checked against the type: a name missing here or not in the type fails to compile.
const OPTION_NAMES = {
  serviceName: true,
  serviceVersion: true,
  serviceNamespace: true,
  serviceInstanceId: true,
  environment: true,
  deploymentId: true,
  commit: true,
  repositoryUrl: true,
  owner: true,
  runbookUrl: true,
  resourceAttributes: true,
  level: true,
  exporter: true,
  protocol: true,
  resourceDetectors: true,
  endpoint: true,
  headers: true,
  compression: true,
  exportTimeoutMillis: true,
  maxQueueBytes: true,
  maxQueueSize: true,
  maxExportBatchSize: true,
  scheduledDelayMillis: true,
  maxConcurrentExports: true,
  attributeCountLimit: true,
  attributeValueLengthLimit: true,
  redactKeys: true,
  redactPatterns: true,
  redactAllowKeys: true,
  handleSignals: true,
  handleUncaught: true,
  shutdownTimeoutMillis: true,
  logStartup: true,
  registerGlobals: true,
  diagnostics: true,
  diagnosticIntervalMillis: true,
  env: true,
} satisfies Record<keyof Required<ThreadlineOptions>, true>;

const KNOWN = new Set<string>(Object.keys(OPTION_NAMES));
const BY_LOWER_CASE = new Map(
  [...KNOWN].map((name) => [name.toLowerCase().replace(/[-_]/g, ''), name]),
);

/** One line for each option name startThreadline() does not know, with the one meant if it is clear. */
export function unknownOptionWarnings(options: object): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(options)) {
    if (KNOWN.has(name)) continue;
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
