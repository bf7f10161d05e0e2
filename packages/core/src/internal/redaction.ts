import { DEFAULT_REDACT_KEYS } from '../defaults.js';

/**
 * Redaction: decided once per attribute key (cached), applied before a record
 * is queued, on every path (our logger, foreign emitters, bridges).
 */

/** Query parameters of signed URLs whose values are replaced (semantic conventions, url.full). */
const SIGNED_URL_PARAMS = new Set(
  [
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
  ].map((k) => k.toLowerCase()),
);

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_.]/g, '');
}

export interface RedactionConfig {
  /** true when the value stored under this key must be replaced. */
  isSecretKey(key: string): boolean;
  /**
   * Removes credentials, signed-URL parameters and parameters named like a
   * secret key from a string that may hold a URL.
   */
  redactString(value: string): string;
}

const MAX_CACHED_KEYS = 4096;
/** Longer keys are checked each time instead of being kept (a few hostile keys can't pin megabytes). */
const MAX_CACHED_KEY_LENGTH = 256;

/**
 * Builds the redaction rules once (at start-up). `extraKeys` extend the default
 * list; `patterns` are tested against the original key.
 */
export function createRedaction(
  extraKeys: readonly string[] = [],
  patterns: readonly RegExp[] = [],
): RedactionConfig {
  const exact = new Set([...DEFAULT_REDACT_KEYS, ...extraKeys].map(normaliseKey));
  // Keys are low-cardinality in practice; the cache makes the per-attribute check
  // one Map lookup. It is bounded so hostile keys cannot grow it without limit.
  const cache = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const n = normaliseKey(key);
    let secret = exact.has(n);
    if (!secret) {
      for (const p of patterns) {
        p.lastIndex = 0;
        if (p.test(key)) {
          secret = true;
          break;
        }
      }
    }
    if (cache.size < MAX_CACHED_KEYS && key.length <= MAX_CACHED_KEY_LENGTH) cache.set(key, secret);
    return secret;
  };
  return {
    isSecretKey,
    redactString: (value) => redactUrlsInString(value, isSecretKey),
  };
}

// `scheme://user:pass@` anywhere in a string.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]+)@/gi;
// `?k=v&k2=v2` query parameters, and `#k=v` fragment parameters (OAuth's implicit flow).
const QUERY_PARAM = /([?&#;])([^=&#;\s]+)=([^&#;\s]*)/g;

/**
 * Replaces `user:password@` in URLs with `REDACTED:REDACTED@` and the values of
 * signed-URL and OAuth parameters (and of parameters `isSecretKey` names) with
 * `REDACTED` (semantic conventions for `url.full`). Returns the same string
 * (no allocation) when there is nothing to do.
 */
export function redactUrlsInString(
  value: string,
  isSecretKey: (key: string) => boolean = () => false,
): string {
  // Cheap pre-checks: most strings contain neither.
  const hasScheme = value.includes('://');
  const hasQuery =
    value.includes('=') &&
    (value.includes('?') || value.includes('&') || value.includes('#') || value.includes(';'));
  if (!hasScheme && !hasQuery) return value;
  let out = value;
  if (hasScheme && out.includes('@')) {
    out = out.replace(URL_CREDENTIALS, (_m, scheme: string) => `${scheme}REDACTED:REDACTED@`);
  }
  if (hasQuery) {
    out = out.replace(QUERY_PARAM, (m, sep: string, key: string) => {
      let k = key;
      try {
        k = decodeURIComponent(key);
      } catch {
        // keep the raw key
      }
      return SIGNED_URL_PARAMS.has(k.toLowerCase()) || isSecretKey(k) ? `${sep}${key}=REDACTED` : m;
    });
  }
  return out;
}
