/**
 * The destination's fast path: the record built from what pino hands a
 * destination before each write (`stream.lastObj`, `lastMsg`, `lastLevel`,
 * `lastTime`, `lastLogger`, given to streams that set `pino.metadata`),
 * instead of parsing the line it has just serialized.
 *
 * It is taken only when the record is certain to be the one parsing the line
 * would give: the call went through the `mixin` of `threadlineOptions()` or
 * `threadlineMixin()` (so its fields were copied by pino, and the metadata is
 * this call's: see bridge.ts), every field is a string, a number, a boolean
 * or null (or is left out of the line: undefined, a function), no
 * serializer, `redact` path, `formatters.log`, `nestedKey` or
 * `hooks.streamWrite` of the logger applies to the line (but a
 * `threadlineStreamWrite()` hook appending this destination's trace fields,
 * whose scope attributes are added as it appends them), and the level and
 * time are written in pino's default form. Bindings come from the text pino
 * serialized them into (after its serializers and `redact`), parsed once per
 * text. Anything else (an `err`, a nested object, a redacted key, another
 * level or time format, a pino whose internals are not the ones read here)
 * goes through the line.
 *
 * The line itself is read for the name of the time field only: pino builds
 * it as the level's prefix from its level cache (what `formatters.level`
 * made of the level, checked once per cache and level), the time function's
 * text, the bindings and the fields, and hands it over with this call's
 * metadata. Reading the level, the time and the bindings back from the line
 * as well cost more (bench/pino-ab.ts; figures in bench/README.md, "Figures
 * behind the code").
 */

import { tryGetScopeAttributes } from '@threadline/core';
import { setOwn } from '@threadline/core/internal';
import { APPENDING_HOOKS } from './handoff.js';

/** What pino writes onto a destination that sets `Symbol.for('pino.metadata')`, just before each write. */
export interface PinoMetadata {
  lastObj?: unknown;
  lastMsg?: unknown;
  lastLevel?: unknown;
  lastTime?: unknown;
  lastLogger?: unknown;
}

/** A line read from the metadata: what the record is made of. */
export interface MetadataLine {
  level: number;
  message: string;
  attributes: Record<string, unknown>;
  /** Epoch ms when pino's time is a number (the default). */
  timeMillis: number | undefined;
}

// pino's own symbols: the public ones are global (`Symbol.for`), the others
// are found on the logger by their descriptions, so that a logger made by
// another copy of pino than the one this package would import is read right.
const SERIALIZERS = Symbol.for('pino.serializers');
const FORMATTERS = Symbol.for('pino.formatters');
const HOOKS = Symbol.for('pino.hooks');
const PRIVATE = {
  'pino.chindings': 'chindings',
  'pino.stringifiers': 'stringifiers',
  'pino.messageKey': 'messageKey',
  'pino.errorKey': 'errorKey',
  'pino.nestedKey': 'nestedKey',
  'pino.lsCache': 'levelPrefixes',
} as const;
type Internals = Record<(typeof PRIVATE)[keyof typeof PRIVATE], symbol>;

function findInternals(logger: object): Internals | undefined {
  const found: Partial<Internals> = {};
  let n = 0;
  for (let o: object | null = logger; o !== null; o = Object.getPrototypeOf(o)) {
    for (const s of Object.getOwnPropertySymbols(o)) {
      const name = PRIVATE[s.description as keyof typeof PRIVATE];
      if (name !== undefined && found[name] === undefined) {
        found[name] = s;
        n++;
      }
    }
  }
  return n === Object.keys(PRIVATE).length ? (found as Internals) : undefined;
}

/**
 * The length of pino's prefix of a line at a level (`{"level":30`, from the
 * logger's level cache: what `formatters.level` made of the level) when it is
 * `{"level":` and a number or a plain string, with nothing else; else -1.
 */
function levelPrefixLength(prefix: unknown): number {
  return typeof prefix === 'string' && prefix.startsWith('{"level":') && plainJson(prefix.slice(9))
    ? prefix.length
    : -1;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Digits, or a quoted string without escapes. */
function plainJson(text: string): boolean {
  if (text.charCodeAt(0) === 34) {
    return text.length > 1 && text.indexOf('"', 1) === text.length - 1 && !text.includes('\\');
  }
  for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return text.length > 0;
}

/** pino's time as it wrote it (epoch ms by default, a quoted date with `isoTime`), or undefined. */
function millis(time: string): number | undefined {
  const ms = time.charCodeAt(0) === 34 ? Date.parse(time.slice(1, -1)) : Number(time);
  return Number.isFinite(ms) ? ms : undefined;
}

const sameNames = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean =>
  a.size === b.size && [...a].every((n) => b.has(n));

const BINDINGS_CACHE_SIZE = 256;
const KINDS_CACHE_SIZE = 4096;

// What a key of the call's fields is: an attribute, one of the mixin's trace
// fields, the message, or one that only the line gets right (a serializer or
// a redact path applies to it, or it is one of pino's own fields).
const ATTRIBUTE = 0;
const SKIP = 1;
const MESSAGE = 2;
const LINE = 3;
type Kind = typeof ATTRIBUTE | typeof SKIP | typeof MESSAGE | typeof LINE;
/** The bindings of a logger that has none but pid and hostname. */
const NO_BINDINGS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * What one logger's configuration makes of its lines, worked out once and
 * again only when one of the things it is made of changes: its serializers,
 * redact paths (`stringifiers`), `errorKey`, formatters, `hooks.streamWrite`
 * and level cache. They are checked when a line comes from another logger
 * than the line before; a child whose values are its parent's (a child of a
 * child made without options) gets its parent's shape, others a new one.
 * Whether its lines can be read from the metadata at all (`fast`), and what
 * each key of a call's fields is, learned as keys are seen.
 */
interface LoggerShape {
  /** What it was made of: the logger's values under the reader's shape keys, in their order. */
  readonly inputs: readonly unknown[];
  readonly serializers: Record<string, unknown>;
  readonly stringifiers: Record<string, unknown>;
  readonly errorKey: unknown;
  /** pino's level cache: the start of a line at each level. */
  readonly prefixes: Record<number, unknown> | null | undefined;
  /** false: every line of the logger goes through the line. */
  readonly fast: boolean;
  /** A serializer or redact path applies to the message. */
  readonly messageOnLine: boolean;
  /** The scope attributes a threadlineStreamWrite() hook appends to each line. */
  readonly hookScoped: readonly string[];
  /** What each key of a call's fields is (bounded: callers may make keys up). */
  readonly kinds: Map<string, Kind>;
  /** The length of pino's prefix of a line at each level (-1: not pino's default form). */
  readonly prefixLengths: Map<number, number>;
}

/**
 * Makes the reader of one destination. `pinoFields`: pino's own fields
 * (`level`, `time`, `pid`, …), which are not attributes; `traceFields`: the
 * mixin's, which are not either; `messageKey`: the one the destination was
 * configured with (a logger with another one goes through the line).
 */
export function metadataReader(
  pinoFields: ReadonlySet<string>,
  traceFields: ReadonlySet<string>,
  messageKey: string,
): (m: PinoMetadata, line: string) => MetadataLine | undefined {
  // A message key JSON would escape makes pino write a line that is not JSON: left to the line.
  if (JSON.stringify(messageKey) !== `"${messageKey}"`) return () => undefined;
  let internals: Internals | undefined;
  let shape: LoggerShape | undefined;
  // The logger of the last line read, whose values the shape was checked against. pino sets them
  // when it makes a logger (or a child) and never after, so the next line of the same logger is
  // not checked again. That logger is kept until a line of another comes (a child made for a
  // request, until the next request's line), also where the destination lets go of pino's
  // metadata after each write.
  let checked: object | undefined;
  // The last time text found plain (digits, or a quoted string without escapes), and its epoch ms:
  // lines of one millisecond repeat it.
  let lastPlainTime = '';
  let lastPlainMillis: number | undefined;
  // Child loggers' bindings, parsed once per text (bounded: a logger per request makes new texts).
  const bindings = new Map<string, Record<string, unknown> | null>();

  // The logger's values a shape is made of: serializers, redact paths, errorKey, formatters,
  // hooks, level cache, nestedKey, messageKey (set when the logger's internals are found).
  let shapeKeys: readonly symbol[] = [];

  const shapeOf = (l: Record<symbol, unknown>): LoggerShape => {
    const inputs = shapeKeys.map((key) => l[key]);
    const [serializers, stringifiers, errorKey, formatters, hooks, prefixes, nestedKey, ownKey] =
      inputs as [Record<string, unknown>, Record<string, unknown>, ...unknown[]];
    // A threadlineStreamWrite() hook that appends this destination's trace fields is read
    // (with other names, parsing the line keeps them as attributes); any other hook is not.
    const hook = (hooks as { streamWrite?: unknown } | undefined)?.streamWrite;
    const appended = typeof hook === 'function' ? APPENDING_HOOKS.get(hook) : undefined;
    const hookAppends = appended !== undefined && sameNames(appended.trace, traceFields);
    const fast =
      serializers !== null &&
      typeof serializers === 'object' &&
      stringifiers !== null &&
      typeof stringifiers === 'object' &&
      formatters !== null &&
      typeof formatters === 'object' &&
      (formatters as { log?: unknown }).log === undefined &&
      !nestedKey &&
      ownKey === messageKey &&
      (hook === undefined || hookAppends) &&
      // A redact wildcard (`*.password`) applies to every key.
      !Object.getOwnPropertySymbols(stringifiers).some(
        (s) => s.description === 'pino.wildcardFirst' && Boolean(stringifiers[s as never]),
      );
    return {
      inputs,
      serializers,
      stringifiers,
      errorKey,
      prefixes: prefixes as LoggerShape['prefixes'],
      fast,
      messageOnLine: fast && Boolean(serializers[messageKey] || stringifiers[messageKey]),
      hookScoped: hookAppends ? appended.scoped : [],
      kinds: new Map(),
      prefixLengths: new Map(),
    };
  };

  /** Whether the logger's values are still those the shape was made of. */
  const madeOf = (s: LoggerShape, l: Record<symbol, unknown>): boolean => {
    for (let i = 0; i < shapeKeys.length; i++) {
      if (l[shapeKeys[i] as symbol] !== s.inputs[i]) return false;
    }
    return true;
  };

  const bindingsOf = (chindings: string): Record<string, unknown> | null => {
    let b = bindings.get(chindings);
    if (b !== undefined) return b;
    b = null;
    try {
      const parsed = JSON.parse(`{${chindings.slice(1)}}`) as Record<string, unknown>;
      b = {};
      let n = 0;
      for (const key of Object.keys(parsed)) {
        const v = parsed[key];
        if (key === 'pid' || key === 'hostname' || traceFields.has(key)) continue;
        // pino's other fields, the message and an error (exception.* on the line's path)
        // among the bindings: rare, left to the line.
        if (
          pinoFields.has(key) ||
          key === messageKey ||
          ((key === 'err' || key === 'error') && v !== null && typeof v === 'object')
        ) {
          b = null;
          break;
        }
        setOwn(b, key, v);
        n++;
      }
      if (b !== null && n === 0) b = NO_BINDINGS;
    } catch {
      b = null;
    }
    if (bindings.size >= BINDINGS_CACHE_SIZE) bindings.clear();
    bindings.set(chindings, b);
    return b;
  };

  /** What a key of the call's fields is, for this logger. */
  const kindOf = (s: LoggerShape, key: string): Kind => {
    let kind = s.kinds.get(key);
    if (kind !== undefined) return kind;
    const { serializers } = s;
    kind = traceFields.has(key)
      ? SKIP
      : serializers[key] ||
          s.stringifiers[key] ||
          (key === s.errorKey && serializers.err) ||
          pinoFields.has(key) ||
          s.hookScoped.includes(key)
        ? LINE
        : key === messageKey
          ? MESSAGE
          : ATTRIBUTE;
    if (s.kinds.size >= KINDS_CACHE_SIZE) s.kinds.clear();
    s.kinds.set(key, kind);
    return kind;
  };

  /** One line from the call's metadata, for a logger of this shape; undefined: go through the line. */
  const lineOf = (
    s: LoggerShape,
    m: PinoMetadata,
    line: string,
    level: number,
    chindings: string,
  ): MetadataLine | undefined => {
    // The message: pino writes the call's message last, so it wins over a field of that name.
    let message = m.lastMsg;
    if (message !== undefined && (typeof message !== 'string' || s.messageOnLine)) return undefined;

    // pino's default level and time fields (a formatters.level or timestamp writing other
    // fields, or the time under another name, is left to the line).
    let prefixLength = s.prefixLengths.get(level);
    if (prefixLength === undefined) {
      const { prefixes } = s;
      prefixLength =
        typeof prefixes === 'object' && prefixes ? levelPrefixLength(prefixes[level]) : -1;
      s.prefixLengths.set(level, prefixLength);
    }
    if (prefixLength < 0) return undefined;
    const time = m.lastTime;
    if (typeof time !== 'string') return undefined;
    let timeMillis: number | undefined;
    if (time !== '') {
      if (time !== lastPlainTime) {
        if (!plainJson(time)) return undefined;
        lastPlainTime = time;
        lastPlainMillis = millis(time);
      }
      if (!line.startsWith(',"time":', prefixLength)) return undefined;
      timeMillis = lastPlainMillis;
    }
    const base = bindingsOf(chindings);
    if (base === null) return undefined;
    const { hookScoped } = s;
    for (const name of hookScoped) if (Object.hasOwn(base, name)) return undefined;
    const attributes: Record<string, unknown> = base === NO_BINDINGS ? {} : { ...base };
    const fields = m.lastObj as Record<string, unknown>;
    for (const key in fields) {
      const kind = kindOf(s, key);
      if (kind === SKIP) continue;
      let v = fields[key];
      if (v === undefined || !Object.hasOwn(fields, key)) continue; // as pino
      if (kind === LINE) return undefined;
      if (typeof v === 'number') {
        if (!Number.isFinite(v))
          v = null; // pino writes null
        else if (v === 0) v = 0; // and -0 as 0
      } else if (typeof v !== 'string' && typeof v !== 'boolean' && v !== null) {
        if (typeof v === 'function') continue; // pino leaves it out
        return undefined;
      }
      if (kind === MESSAGE) {
        if (message === undefined) {
          if (typeof v !== 'string') return undefined;
          message = v;
        }
        continue;
      }
      setOwn(attributes, key, v);
    }
    // What a threadlineStreamWrite() hook appended: the scope's attributes it was asked to write,
    // last on the line (a value JSON would not give back the same is left to the line).
    if (hookScoped.length > 0) {
      const scope = tryGetScopeAttributes();
      if (scope !== undefined) {
        for (const name of hookScoped) {
          let v = scope[name];
          if (v === undefined) continue;
          if (typeof v === 'number') {
            if (v === 0) v = 0; // JSON writes -0 as 0
          } else if (typeof v !== 'string' && typeof v !== 'boolean' && v !== null) {
            return undefined;
          }
          setOwn(attributes, name, v);
        }
      }
    }
    return {
      level,
      message: (message as string | undefined) ?? '',
      attributes,
      timeMillis,
    };
  };

  return (m, line) => {
    const obj = m.lastObj;
    const logger = m.lastLogger;
    const level = m.lastLevel;
    if (obj === null || typeof obj !== 'object' || logger === null || typeof logger !== 'object')
      return undefined;
    if (typeof level !== 'number') return undefined;
    const l = logger as Record<symbol, unknown>;
    let chindings = internals === undefined ? undefined : l[internals.chindings];
    if (chindings === undefined) {
      internals = findInternals(logger);
      if (internals === undefined) return undefined;
      chindings = l[internals.chindings];
      shapeKeys = [
        SERIALIZERS,
        internals.stringifiers,
        internals.errorKey,
        FORMATTERS,
        HOOKS,
        internals.levelPrefixes,
        internals.nestedKey,
        internals.messageKey,
      ];
      shape = undefined;
    }
    if (typeof chindings !== 'string') return undefined;
    if (shape === undefined || checked !== logger) {
      if (shape === undefined || !madeOf(shape, l)) shape = shapeOf(l);
      checked = logger;
    }
    return shape.fast ? lineOf(shape, m, line, level, chindings) : undefined;
  };
}
