import {
  DEFAULT_REDACT_ALLOW_KEYS,
  DEFAULT_REDACT_KEYS,
  DEFAULT_REDACT_WORDS,
} from '../defaults.js';

/**
 * Redaction: decided once per attribute key (cached), applied before a record
 * is queued, on every path (our logger, foreign emitters, bridges).
 */

/** Query parameters of signed URLs whose values are replaced (semantic conventions, url.full). */
const SIGNED_URL_PARAMS = [
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'awsaccesskeyid',
  'signature',
  'sig',
  'x-goog-signature',
  'x-goog-credential',
  'token',
  'access_token',
  'api_key',
  'apikey',
  'key',
  'password',
  // OAuth 2.0 (RFC 6749): codes and tokens travel in queries and fragments.
  'code',
  'client_secret',
  'refresh_token',
  'id_token',
];

/** Where a header attribute's name starts (semantic conventions, `http.request.header.<key>`). */
const HEADER_ATTRIBUTE_PREFIXES = ['http.request.header.', 'http.response.header.'];

export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_.]/g, '');
}

/** The header name of a header attribute, else the part after the key's last `.`. */
function lastSegment(key: string): string {
  for (const prefix of HEADER_ATTRIBUTE_PREFIXES) {
    if (key.length > prefix.length && key.slice(0, prefix.length).toLowerCase() === prefix) {
      return key.slice(prefix.length);
    }
  }
  return key.slice(key.lastIndexOf('.') + 1);
}

export interface RedactionConfig {
  /** true when the value stored under this key must be replaced. */
  isSecretKey(key: string): boolean;
  /**
   * Removes credentials, tokens, signed-URL parameters and values of pairs
   * named like a secret key from a string. Returns the same string when there
   * is nothing to remove.
   */
  redactString(value: string): string;
  /** false when `redactString` would return the string unchanged, for sure (a cheap test). */
  mayHoldSecret(value: string): boolean;
}

/** Options of {@link createRedaction}; the defaults are always applied. */
export interface RedactionOptions {
  /** More secret keys, compared as the default ones are; they win over the allow-list. */
  keys?: readonly string[];
  /** Keys matching any of these are secret; they win over the allow-list. */
  patterns?: readonly RegExp[];
  /** More keys exempt from the default keys and words. */
  allowKeys?: readonly string[];
}

const MAX_CACHED_KEYS = 4096;
/** Longer keys are checked each time instead of being kept (a few hostile keys can't pin megabytes). */
const MAX_CACHED_KEY_LENGTH = 256;

/**
 * Builds the redaction rules once (at start-up). Configured keys and patterns
 * extend the defaults; configured allowed keys extend the default allow-list.
 */
export function createRedaction(options: RedactionOptions = {}): RedactionConfig {
  const { keys = [], patterns = [], allowKeys = [] } = options;
  const configured = new Set(keys.map(normaliseKey));
  const exact = new Set(DEFAULT_REDACT_KEYS.map(normaliseKey));
  const allowed = new Set([...DEFAULT_REDACT_ALLOW_KEYS, ...allowKeys].map(normaliseKey));
  const decide = (key: string): boolean => {
    const whole = normaliseKey(key);
    const last = normaliseKey(lastSegment(key));
    if (configured.has(whole) || configured.has(last)) return true;
    for (const p of patterns) {
      p.lastIndex = 0;
      if (p.test(key)) return true;
    }
    if (allowed.has(whole) || allowed.has(last)) return false;
    if (exact.has(whole) || exact.has(last)) return true;
    for (const word of DEFAULT_REDACT_WORDS) if (whole.includes(word)) return true;
    return false;
  };
  // Keys are low-cardinality in practice; the cache makes the per-attribute check
  // one Map lookup. It is bounded so hostile keys cannot grow it without limit.
  const cache = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const secret = decide(key);
    if (cache.size < MAX_CACHED_KEYS && key.length <= MAX_CACHED_KEY_LENGTH) cache.set(key, secret);
    return secret;
  };
  const pairs = secretPairPattern(keys, patterns.length > 0);
  return {
    isSecretKey,
    redactString: (value) => redactSecretsInString(value, isSecretKey, pairs),
    mayHoldSecret: (value) => MAY_HOLD_SECRET.test(value),
  };
}

/** The replacement written inside a string (URL-safe, unlike `[REDACTED]`). */
const REDACTED_TEXT = 'REDACTED';

/**
 * A string none of the rules below can change fails this test: every rule
 * needs `=` or `:`, or one of these words. One pass, no allocation
 * (bench/redact-strings.ts).
 */
const MAY_HOLD_SECRET = /[=:]|bearer|basic|eyj/i;

// `scheme://user:pass@` anywhere in a string. The userinfo runs to the last `@`
// before the path, as WHATWG URL parsing takes it (`u:p@ss@host`: `p@ss` is
// the password); a scheme is at most 32 characters, so a long run of letters
// is not scanned again from each of its characters.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#\\]*@/gi;
// Bearer and Basic credentials (RFC 6750, RFC 7617): a token68 after the scheme.
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/-]+=*/gi;
const BASIC = /\b(basic\s+)([A-Za-z0-9+/]+=*)/gi;
// A JWT (or JWE): a base64url JSON header (`{"` is `eyJ`) and at least one
// more segment. Also a JWT cut after its header's dot, by the length limit.
const JWT = /eyJ[\w-]{8,}(?:\.[\w-]*){1,4}/g;
// A header line whose whole value is a credential (`Cookie: a=1; sid=…`).
// A value redacted already: a map written into a string (an Error's cause) keeps `[REDACTED]`.
const ALREADY_REDACTED = /^(["']?)\[?REDACTED\]?\1$/;
/** What BEARER, BASIC and JWT need (JWT's `eyJ` in any case: a superset). */
const CREDENTIAL_WORD = /bearer|basic|eyj/i;
/** What HEADER_LINE needs. */
const HEADER_WORD = /authorization|cookie/i;
const HEADER_LINE = /\b((?:proxy-)?authorization|(?:set-)?cookie)([ \t]*:[ \t]*)[^\r\n]*/gi;

/** Signed-URL and OAuth parameters in a query or fragment, whatever the key rules say. */
const SIGNED_QUERY_PARAM = new RegExp(
  `([?&#;])(${SIGNED_URL_PARAMS.map(escapeRegExp).join('|')})=[^&#;\\s]*`,
  'gi',
);
/** The same at the start of a string without whitespace: a query without its `?` (`url.query`). */
const SIGNED_QUERY_START = new RegExp(
  `^(${SIGNED_URL_PARAMS.map(escapeRegExp).join('|')})=[^&#;\\s]*`,
  'i',
);

/** Parts of the default secret keys and words, one of which every secret key holds. */
const KEY_HINTS = [
  'pass',
  'pwd',
  'secret',
  'token',
  'key',
  'auth',
  'cookie',
  'cred',
  'sess',
  'sid',
  'sig',
  'csrf',
  'xsrf',
  'jwt',
  'conn',
  '%',
];

/**
 * `key=value`, `key: value`, `"key":"value"` and `key="value"` pairs, in
 * queries and in free text, whose key holds one of `hints` (so that `a=b`
 * pairs are passed over by the regex itself, not by a callback each). The
 * key starts a run of key characters not led by `/` (a path or host), and is
 * taken whole, at most 128 characters, without backtracking into it.
 */
function pairPattern(hints: readonly string[] | undefined): PairRule {
  // A hint matches with `-`, `_` or `.` between its letters, as keys are compared.
  const spelled = (hint: string) => [...hint].map(escapeRegExp).join('[-_.]*');
  const anyHint = hints ? `(?:${hints.map(spelled).join('|')})` : '';
  const hint = hints ? `(?=[\\w.%-]{0,64}?${anyHint})` : '';
  return {
    pattern: new RegExp(
      `(?<![\\w.%/-])${hint}(?=([\\w.%-]{1,128}))\\1(["']?\\s*[=:]\\s*)("[^"]*"?|'[^']*'?|[^\\s&;"']*)`,
      'gi',
    ),
    // The pattern looks for a hint at every place a key may start; a string with no hint
    // anywhere is passed over by one scan for them.
    anywhere: hints ? new RegExp(anyHint, 'i') : undefined,
  };
}

/** The secret pairs to look for, and a cheap test that a string must pass for the search. */
interface PairRule {
  pattern: RegExp;
  /** Matches every string the pattern can change (undefined: any string). */
  anywhere: RegExp | undefined;
}

const DEFAULT_PAIRS = pairPattern(KEY_HINTS);

/**
 * The pair pattern for these configured keys: hinted by their words of three
 * characters or more (or the whole key), or by nothing at all when patterns
 * may match any key.
 */
function secretPairPattern(keys: readonly string[], anyKey: boolean): PairRule {
  if (anyKey) return pairPattern(undefined);
  if (keys.length === 0) return DEFAULT_PAIRS;
  const hints = new Set(KEY_HINTS);
  for (const key of keys) {
    const words = key
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(/[-_.\s]+/)
      .filter((w) => w.length >= 3);
    for (const w of words.length > 0 ? words : [normaliseKey(key)]) hints.add(w);
  }
  return pairPattern([...hints]);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** true when a Basic credential decodes to `user:password` (so `Basic setup` is left alone). */
function isBasicCredential(token: string): boolean {
  try {
    return atob(token).includes(':');
  } catch {
    return false;
  }
}

function decodeKey(key: string): string {
  if (!key.includes('%')) return key;
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/**
 * Replaces, in this order: Bearer and Basic credentials and JWTs with
 * `REDACTED`; `user:password@` in URLs with `REDACTED:REDACTED@`; the value
 * of `Authorization:`, `Proxy-Authorization:`, `Cookie:` and `Set-Cookie:`
 * header lines; the values of pairs whose key `isSecretKey` names, quoted or
 * not, in queries, fragments and free text (`password=…`, `token: …`,
 * `"secret":"…"`); and signed-URL and OAuth parameters in queries and
 * fragments. Returns the same string (no allocation) when there is nothing
 * to do. Runs in time linear in the string's length: callers cut long
 * strings first.
 */
export function redactSecretsInString(
  value: string,
  isSecretKey: (key: string) => boolean,
  pairs: PairRule = DEFAULT_PAIRS,
): string {
  if (!MAY_HOLD_SECRET.test(value)) return value;
  // Each rule runs only on a string holding what it looks for, found by one cheap scan: most
  // strings that pass MAY_HOLD_SECRET only hold a `:` (`GET /orders: 200`).
  let out = value;
  if (CREDENTIAL_WORD.test(out)) {
    out = out.replace(BEARER, `$1${REDACTED_TEXT}`);
    out = out.replace(BASIC, (m, scheme: string, token: string) =>
      isBasicCredential(token) ? `${scheme}${REDACTED_TEXT}` : m,
    );
    out = out.replace(JWT, REDACTED_TEXT);
  }
  if (out.includes('=') || out.includes(':')) {
    out = redactUrlsInString(out);
    if (HEADER_WORD.test(out)) out = out.replace(HEADER_LINE, `$1$2${REDACTED_TEXT}`);
    if (pairs.anywhere !== undefined && !pairs.anywhere.test(out))
      return out === value ? value : out;
    out = out.replace(pairs.pattern, (m, key: string, separator: string, secret: string) => {
      if (ALREADY_REDACTED.test(secret) || !isSecretKey(decodeKey(key))) return m;
      const quote = secret.startsWith('"') ? '"' : secret.startsWith("'") ? "'" : '';
      return `${key}${separator}${quote}${REDACTED_TEXT}${quote}`;
    });
  }
  return out === value ? value : out;
}

/**
 * Replaces `user:password@` in URLs with `REDACTED:REDACTED@` and the values
 * of signed-URL and OAuth parameters with `REDACTED` (semantic conventions
 * for `url.full`), in a query, a fragment, or a string that is a query
 * without its `?`. Returns the same string (no allocation) when there is
 * nothing to do.
 */
export function redactUrlsInString(value: string): string {
  let out = value;
  if (out.includes('://') && out.includes('@')) {
    out = out.replace(URL_CREDENTIALS, `$1${REDACTED_TEXT}:${REDACTED_TEXT}@`);
  }
  if (out.includes('=')) {
    out = out.replace(SIGNED_QUERY_PARAM, `$1$2=${REDACTED_TEXT}`);
    if (!/\s/.test(out)) out = out.replace(SIGNED_QUERY_START, `$1=${REDACTED_TEXT}`);
  }
  return out;
}
