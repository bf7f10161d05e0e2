/**
 * Strict, cheap W3C Trace Context (level 2) and W3C Baggage parsing.
 *
 * Pure functions: no OpenTelemetry globals, no throwing. Every parser checks the
 * length of its input before looking at the characters, so an oversized or
 * hostile header costs O(1) to reject. Malformed input yields `undefined`.
 *
 * Specs: https://www.w3.org/TR/trace-context-2/ and https://www.w3.org/TR/baggage/
 */
import { randomFillSync } from 'node:crypto';

/** A parsed `traceparent`: ids are lowercase hex, flags are masked to the known bits. */
export interface ParsedTraceparent {
  /** 32 lowercase hex characters, never all zero. */
  traceId: string;
  /** The caller's span id (the spec's `parent-id`): 16 lowercase hex characters, never all zero. */
  spanId: string;
  /** Only bit 0x01 (sampled) and bit 0x02 (random, level 2) are kept; other bits are zeroed. */
  traceFlags: number;
}

/** A `traceparent` header longer than this is rejected without being parsed. */
export const MAX_TRACEPARENT_LENGTH = 512;
/** A combined `tracestate` header longer than this is dropped without being parsed. */
export const MAX_TRACESTATE_LENGTH = 8192;
/** A combined `baggage` header over this many bytes (UTF-8) is dropped without being parsed. */
export const MAX_BAGGAGE_LENGTH = 8192;

/** Length of a version-00 traceparent, and of the prefix parsed from a future version. */
const TRACEPARENT_LENGTH = 55;
/** trace-flags bits defined by level 2: sampled (0x01) and random (0x02). */
const KNOWN_FLAGS = 0x03;
const MAX_TRACESTATE_MEMBERS = 32;
const MAX_TRACESTATE_KEY = 256;
const MAX_TRACESTATE_VALUE = 256;
/** Re-serialised tracestate is truncated to this (the spec's "propagate at least 512"). */
const TRACESTATE_TRUNCATE_LENGTH = 512;
/** Entries longer than this are removed first when truncating (spec: "SHOULD be removed first"). */
const TRACESTATE_LARGE_ENTRY = 128;
const MAX_BAGGAGE_MEMBERS = 64;

const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';

/** HEXDIGLC value by char code (0-15), -1 for anything else (uppercase included). */
const HEX_LC = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_LC[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_LC[0x61 + i] = 10 + i;

/**
 * HEXDIGLC value (0-15) or -1. A table lookup, faster than range comparisons
 * or an anchored regex (measured: bench/README.md, "Figures behind the code").
 */
function hexLc(c: number): number {
  return c < 128 ? (HEX_LC[c] as number) : -1;
}

function isOws(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** Removes surrounding spaces and tabs (RFC 7230 OWS) and nothing else. */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** `count` lowercase hex chars at `from`, not all '0'. */
function isNonZeroHexLc(s: string, from: number, count: number): boolean {
  let nonZero = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i);
    if (hexLc(c) < 0) return false;
    nonZero |= c ^ 0x30;
  }
  return nonZero !== 0;
}

/**
 * One traceparent value out of a header that may have been sent more than once:
 * identical duplicates collapse to one, differing ones are ambiguous.
 */
function singleHeader(
  value: string | string[] | undefined | null,
  max: number,
): string | undefined {
  if (typeof value === 'string') return value.length > max ? undefined : value;
  if (!Array.isArray(value)) return undefined;
  const first: unknown = value[0];
  if (typeof first !== 'string' || first.length > max) return undefined;
  for (let i = 1; i < value.length; i++) if (value[i] !== first) return undefined;
  return first;
}

/** Combines repeated list headers with ',' (RFC 7230 §3.2.2); over `max` chars → undefined. */
function combinedHeader(
  value: string | string[] | undefined | null,
  max: number,
): string | undefined {
  if (typeof value === 'string') return value.length > max ? undefined : value;
  if (!Array.isArray(value)) return undefined;
  let total = -1;
  for (const v of value as unknown[]) {
    if (typeof v !== 'string') return undefined;
    total += v.length + 1;
    if (total > max) return undefined;
  }
  return value.join(',');
}

/**
 * Parses a W3C `traceparent` header.
 *
 * Version 00 must be exactly 55 characters; `ff` is invalid; a future version is
 * read from its first 55 characters (the rest must be empty or start with '-')
 * and is re-emitted by {@link formatTraceparent} as version 00. Hex must be
 * lowercase; all-zero ids are invalid. Only surrounding spaces/tabs are
 * trimmed. Duplicated headers (an array) are accepted only when identical.
 *
 * A char-code loop over a lookup table, not a regex (see {@link hexLc}); an
 * oversized header is rejected before any of it is read.
 *
 * @returns the parsed ids and masked flags, or `undefined` if the header must be ignored.
 */
export function parseTraceparent(
  value: string | string[] | undefined | null,
): ParsedTraceparent | undefined {
  // Length first: a 512+ char header is rejected before any character is looked at.
  const raw = singleHeader(value, MAX_TRACEPARENT_LENGTH);
  if (raw === undefined) return undefined;
  const s = trimOws(raw);
  const len = s.length;
  if (len < TRACEPARENT_LENGTH) return undefined;

  const v0 = hexLc(s.charCodeAt(0));
  const v1 = hexLc(s.charCodeAt(1));
  if (v0 < 0 || v1 < 0) return undefined;
  const version = (v0 << 4) | v1;
  if (version === 0xff) return undefined;
  if (version === 0) {
    if (len !== TRACEPARENT_LENGTH) return undefined; // 00 with extra data
  } else if (len > TRACEPARENT_LENGTH) {
    if (s.charCodeAt(TRACEPARENT_LENGTH) !== DASH) return undefined;
    // Unknown fields are not interpreted, but the header must still be printable
    // US-ASCII: control characters (CR, LF, NUL, tab, DEL) anywhere are invalid.
    for (let i = TRACEPARENT_LENGTH + 1; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e) return undefined;
    }
  }
  if (s.charCodeAt(2) !== DASH || s.charCodeAt(35) !== DASH || s.charCodeAt(52) !== DASH) {
    return undefined;
  }
  if (!isNonZeroHexLc(s, 3, 32) || !isNonZeroHexLc(s, 36, 16)) return undefined;
  const f0 = hexLc(s.charCodeAt(53));
  const f1 = hexLc(s.charCodeAt(54));
  if (f0 < 0 || f1 < 0) return undefined;
  return {
    traceId: s.slice(3, 35),
    spanId: s.slice(36, 52),
    traceFlags: ((f0 << 4) | f1) & KNOWN_FLAGS,
  };
}

/** key = ( lcalpha / DIGIT ) 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" ) */
function isTracestateKey(key: string): boolean {
  const len = key.length;
  if (len === 0 || len > MAX_TRACESTATE_KEY) return false;
  const first = key.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || (first >= 0x30 && first <= 0x39))) return false;
  for (let i = 1; i < len; i++) {
    const c = key.charCodeAt(i);
    if (
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x5f || // _
      c === DASH ||
      c === 0x2a || // *
      c === 0x2f || // /
      c === 0x40 // @
    ) {
      continue;
    }
    return false;
  }
  return true;
}

/** lcalpha, DIGIT, "_", "-", "*" and "/": the characters of a level 1 key after its first. */
function isLevelOneKeyChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === DASH ||
    c === 0x2a ||
    c === 0x2f
  );
}

/**
 * A key of trace-context level 1, which @opentelemetry/core's TraceState keeps
 * to (it drops other members when it reads a header): `lcalpha 0*255(…)`, or
 * `tenant "@" system` with a tenant of at most 241 characters starting with
 * lcalpha or DIGIT and a system of at most 14 starting with lcalpha. Level 2,
 * which parseTracestate follows, also allows "@" anywhere after the first
 * character and a digit first.
 */
export function isLevelOneTracestateKey(key: string): boolean {
  const at = key.indexOf('@');
  const first = key.charCodeAt(0);
  const lcalpha = first >= 0x61 && first <= 0x7a;
  if (at < 0) {
    if (!lcalpha || key.length > 256) return false;
    for (let i = 1; i < key.length; i++) if (!isLevelOneKeyChar(key.charCodeAt(i))) return false;
    return true;
  }
  const system = key.charCodeAt(at + 1);
  if (at === 0 || at > 241 || key.length - at - 1 > 14 || !(system >= 0x61 && system <= 0x7a)) {
    return false;
  }
  if (!lcalpha && !(first >= 0x30 && first <= 0x39)) return false;
  for (let i = 1; i < key.length; i++) {
    if (i !== at && i !== at + 1 && !isLevelOneKeyChar(key.charCodeAt(i))) return false;
  }
  return true;
}

/** value = 0*255(chr) nblk-chr ; printable ASCII except ',' and '=', not ending in a space. */
function isTracestateValue(value: string): boolean {
  const len = value.length;
  if (len === 0 || len > MAX_TRACESTATE_VALUE) return false;
  for (let i = 0; i < len; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x2c || c === 0x3d) return false;
  }
  return value.charCodeAt(len - 1) !== SPACE;
}

/**
 * Parses a W3C `tracestate` header. Call it only when `traceparent` was valid
 * (spec: "If the vendor failed to parse traceparent, it MUST NOT attempt to
 * parse tracestate").
 *
 * Repeated headers are combined with ','. Empty and whitespace-only members are
 * skipped. Strict: the spec lets a vendor that cannot parse tracestate discard
 * the entire header (trace-context §4.3 "A traceparent is received": "If the tracestate
 * header cannot be parsed the vendor MAY discard the entire header"), so more than 32
 * members, a duplicate key or ANY invalid member drops the whole header. A
 * combined header over {@link MAX_TRACESTATE_LENGTH} is dropped unparsed.
 *
 * The result is truncated to 512 characters by removing whole entries: entries
 * over 128 characters first (right to left), then from the right (spec §"tracestate Limits").
 *
 * @returns the normalised header (`key=value` members joined by ','), or `undefined`.
 */
export function parseTracestate(value: string | string[] | undefined | null): string | undefined {
  if (typeof value === 'string' && value.indexOf(',') < 0) return oneMember(value);
  const header = combinedHeader(value, MAX_TRACESTATE_LENGTH);
  if (header === undefined) return undefined;
  const entries: string[] = [];
  const keys: string[] = [];
  let total = -1; // serialised length: entries plus the ',' between them
  for (const part of header.split(',')) {
    // Leading spaces of a value are part of it, trailing ones are OWS: trimming the
    // member keeps the first and drops the second, so "not ending in a space" holds.
    const member = trimOws(part);
    if (member.length === 0) continue;
    if (entries.length === MAX_TRACESTATE_MEMBERS) return undefined;
    const eq = member.indexOf('=');
    if (eq < 0) return undefined;
    const key = member.slice(0, eq);
    if (!isTracestateKey(key) || !isTracestateValue(member.slice(eq + 1))) return undefined;
    if (keys.includes(key)) return undefined; // only one entry per key is allowed
    keys.push(key);
    entries.push(member);
    total += member.length + 1;
  }
  if (entries.length === 0) return undefined;
  if (total > TRACESTATE_TRUNCATE_LENGTH) {
    for (let i = entries.length - 1; i >= 0 && total > TRACESTATE_TRUNCATE_LENGTH; i--) {
      const e = entries[i] as string;
      if (e.length > TRACESTATE_LARGE_ENTRY) {
        entries.splice(i, 1);
        total -= e.length + 1;
      }
    }
    while (total > TRACESTATE_TRUNCATE_LENGTH) {
      const e = entries.pop();
      if (e === undefined) break;
      total -= e.length + 1;
    }
    if (entries.length === 0) return undefined;
  }
  return entries.join(',');
}

/** parseTracestate of a header of one member (no ','): the usual case, with no list to build. */
function oneMember(value: string): string | undefined {
  if (value.length > MAX_TRACESTATE_LENGTH) return undefined;
  const member = trimOws(value);
  const eq = member.indexOf('=');
  if (eq < 0 || member.length > TRACESTATE_TRUNCATE_LENGTH) return undefined;
  const ok = isTracestateKey(member.slice(0, eq)) && isTracestateValue(member.slice(eq + 1));
  return ok ? member : undefined;
}

/**
 * `tracestate` with `key=value` as its leftmost member, replacing the key's
 * own entry (the spec: a vendor moves its updated entry to the left), kept
 * to 32 members and 512 characters by removing members on the right. An
 * existing header that does not parse is dropped for ours alone.
 */
export function withTracestateEntry(
  existing: string | undefined,
  key: string,
  value: string,
): string {
  const own = `${key}=${value}`;
  const others = (existing ?? '')
    .split(',')
    .map(trimOws)
    .filter((m) => m !== '' && !m.startsWith(`${key}=`))
    .slice(0, MAX_TRACESTATE_MEMBERS - 1);
  return parseTracestate([own, ...others].join(',')) ?? own;
}

/** RFC 7230 tchar. */
function isTchar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
    return true;
  }
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true;
    default:
      return false;
  }
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

/** baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
function isBaggageValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c === 0x21 ||
      (c >= 0x23 && c <= 0x2b) ||
      (c >= 0x2d && c <= 0x3a) ||
      (c >= 0x3c && c <= 0x5b) ||
      (c >= 0x5d && c <= 0x7e)
    ) {
      continue;
    }
    return false;
  }
  return true;
}

/** property = key OWS "=" OWS value / key OWS */
function isBaggageProperty(p: string): boolean {
  const eq = p.indexOf('=');
  if (eq < 0) return isToken(trimOws(p));
  return isToken(trimOws(p.slice(0, eq))) && isBaggageValue(trimOws(p.slice(eq + 1)));
}

/** The `;`-separated properties after a member's value. */
function hasValidProperties(props: string): boolean {
  for (const p of props.split(';')) if (!isBaggageProperty(p)) return false;
  return true;
}

function hexAny(c: number): number {
  const v = hexLc(c);
  return v >= 0 || c < 0x41 || c > 0x46 ? v : c - 0x37;
}

/**
 * Percent-decodes a baggage value as UTF-8; byte sequences that are not UTF-8
 * become U+FFFD (spec), a '%' not followed by two hex digits is kept as is.
 */
function percentDecode(v: string): string {
  if (v.indexOf('%') < 0) return v;
  const bytes = Buffer.allocUnsafe(v.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x25 && i + 2 < v.length) {
      const hi = hexAny(v.charCodeAt(i + 1));
      const lo = hexAny(v.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    bytes[n++] = c; // baggage-octets are ASCII
  }
  return bytes.toString('utf8', 0, n);
}

/**
 * Parses a W3C `baggage` header into key → percent-decoded value.
 *
 * A combined header (repeats joined with ',') over {@link MAX_BAGGAGE_LENGTH}
 * bytes or with more than 64 list-members is dropped whole. Invalid members
 * (key not an RFC 7230 token, value not baggage-octets, malformed property)
 * are skipped. Properties are validated but not returned. A repeated key: the
 * last one wins.
 *
 * @returns the entries, or `undefined` when there are none or the header was dropped.
 */
export function parseBaggage(
  value: string | string[] | undefined | null,
): Map<string, string> | undefined {
  const header = combinedHeader(value, MAX_BAGGAGE_LENGTH);
  if (header === undefined) return undefined;
  // Cheap UTF-16 length check done above; bytes can only be more when non-ASCII.
  if (
    header.length * 3 > MAX_BAGGAGE_LENGTH &&
    Buffer.byteLength(header, 'utf8') > MAX_BAGGAGE_LENGTH
  ) {
    return undefined;
  }
  const parts = header.split(',');
  let members = 0;
  for (const part of parts) {
    if (!isEmptyOws(part) && ++members > MAX_BAGGAGE_MEMBERS) return undefined;
  }
  let map: Map<string, string> | undefined;
  for (const part of parts) {
    const member = trimOws(part);
    if (member.length === 0) continue;
    const semi = member.indexOf(';');
    const kv = semi < 0 ? member : member.slice(0, semi);
    const eq = kv.indexOf('=');
    if (eq < 0) continue;
    const key = trimOws(kv.slice(0, eq));
    const val = trimOws(kv.slice(eq + 1));
    if (!isToken(key) || !isBaggageValue(val)) continue;
    if (semi >= 0 && !hasValidProperties(member.slice(semi + 1))) continue;
    if (map === undefined) map = new Map();
    map.set(key, percentDecode(val));
  }
  return map;
}

function isEmptyOws(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isOws(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Formats a version-00 `traceparent`: `00-<traceId>-<spanId>-<flags as 2 hex>`.
 * Ids are not validated here (see {@link isValidTraceId}); flags are cut to 8 bits.
 */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  const f = traceFlags & 0xff;
  return `00-${traceId}-${spanId}-${f < 0x10 ? '0' : ''}${f.toString(16)}`;
}

/** True for 32 lowercase hex characters, not all zero. */
export function isValidTraceId(id: string): boolean {
  return typeof id === 'string' && id.length === 32 && isNonZeroHexLc(id, 0, 32);
}

/** True for 16 lowercase hex characters, not all zero. */
export function isValidSpanId(id: string): boolean {
  return typeof id === 'string' && id.length === 16 && isNonZeroHexLc(id, 0, 16);
}

// Ids are cut from a 4 KiB pool refilled by one randomFillSync call (256 trace ids):
// cheaper than randomBytes or randomUUID per id (bench/README.md, "Figures behind the code").
const POOL_SIZE = 4096;
let pool: Buffer | undefined;
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (pool === undefined || poolOffset + bytes > POOL_SIZE) {
    pool ??= Buffer.allocUnsafe(POOL_SIZE);
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += bytes;
  return pool.toString('hex', start, start + bytes);
}

/** A crypto-random trace id: 32 lowercase hex characters, never all zero. */
export function randomTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (id !== ZERO_TRACE_ID) return id;
  }
}

/** A crypto-random span id: 16 lowercase hex characters, never all zero. */
export function randomSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== ZERO_SPAN_ID) return id;
  }
}
