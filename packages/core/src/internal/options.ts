/**
 * Shared by option and environment parsing (config.ts, deployment.ts): how a
 * bad option is reported and how a variable is read.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** Longest piece of a bad value echoed in an error or warning. */
const MAX_SHOWN = 64;

/** A value quoted and cut to 64 characters, safe to put in one log line. */
export function show(value: string): string {
  const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return JSON.stringify(cut);
}

/** A short description of a bad option value (its contents only when harmless). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return show(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** The TypeError a bad option throws at start-up, naming the option. */
export function bad(option: string, value: unknown, accepted: string): TypeError {
  return new TypeError(
    `Threadline: option "${option}" must be ${accepted}; got ${describe(value)}`,
  );
}

/** A variable's value, trimmed; empty or blank counts as unset. */
export function envValue(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** An absolute http(s) URL with a host. */
export function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * `value` when it is one of `accepted`, else the TypeError of a bad option
 * (`option "mode" must be one of "parent", "link"; got "child"`).
 */
export function oneOfOption<T extends string>(
  option: string,
  value: unknown,
  accepted: readonly T[],
): T {
  if (typeof value === 'string' && (accepted as readonly string[]).includes(value)) {
    return value as T;
  }
  throw bad(option, value, `one of ${accepted.map((a) => `"${a}"`).join(', ')}`);
}

/** The TypeError of a call given something else than a function (`withScope(attributes, fn) needs a function; got string`). */
export function assertFunction(call: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(`Threadline: ${call} needs a function; got ${typeof value}`);
  }
}
