/** Defaults of @threadline/core's options, public so that tools and docs can refer to them. */

import type { ExportProtocol } from './types.js';

export const DEFAULT_ENDPOINT = 'http://localhost:4318/v1/logs';
export const DEFAULT_PROTOCOL: ExportProtocol = 'http/protobuf';
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_QUEUE_SIZE = 262_144;
// 2048, chosen by bench/export-throughput.ts --try against 1024 and 4096.
export const DEFAULT_MAX_EXPORT_BATCH_SIZE = 2048;
export const DEFAULT_SCHEDULED_DELAY_MILLIS = 1000;
export const DEFAULT_EXPORT_TIMEOUT_MILLIS = 10_000;
export const DEFAULT_BATCH_TIMEOUT_MILLIS = 30_000;
export const DEFAULT_MAX_CONCURRENT_EXPORTS = 2;
export const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 3000;
export const DEFAULT_DIAGNOSTIC_INTERVAL_MILLIS = 30_000;

/** Replacement written in place of a redacted value. */
export const REDACTED = '[REDACTED]';

/**
 * Keys whose values never leave the process. Compared after lower-casing and
 * removing `-`, `_` and `.`, with the whole key and with its last dotted
 * segment (for `http.request.header.<name>` and `http.response.header.<name>`,
 * the header name), so `X-Api-Key`, `x_api_key`, `apiKey`, `user.api_key`
 * and `http.request.header.x-api-key` all match.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'apikey',
  'x-auth-token',
  'auth-token',
  'auth',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'client-secret',
  'token',
  'access-token',
  'refresh-token',
  'id-token',
  'session-token',
  'session-id',
  'sid',
  'jwt',
  'private-key',
  'credentials',
  'connection-string',
  'x-amz-security-token',
  'signature',
];

/**
 * Words that make any key holding them secret, wherever they stand in it
 * (compared with the key lower-cased and without `-`, `_` and `.`):
 * `webhook_secret`, `GITHUB_TOKEN`, `OPENAI_API_KEY`, `dbPassword`,
 * `x-csrf-token`, `aws.secret_access_key`, `db.connection_string`. Keys of
 * {@link DEFAULT_REDACT_ALLOW_KEYS} are exempt.
 */
export const DEFAULT_REDACT_WORDS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'authorization',
  'cookie',
  'credential',
  'sessionid',
  'connectionstring',
  'signature',
  'csrf',
  'xsrf',
];

/**
 * Keys that hold a secret word but no secret: counts of language-model and
 * lexer tokens (OpenTelemetry's `gen_ai.usage.input_tokens`, OpenAI's
 * `prompt_tokens`, `max_tokens`), OAuth's `token_type` (`Bearer`) and
 * `tokenizer`. Compared as {@link DEFAULT_REDACT_KEYS} are (whole key or last
 * segment); they exempt a key from the default keys and words, never from
 * `redactKeys` or `redactPatterns`.
 */
export const DEFAULT_REDACT_ALLOW_KEYS: readonly string[] = [
  'token_count',
  'tokens_used',
  'token_usage',
  'token_limit',
  'max_tokens',
  'max_input_tokens',
  'max_output_tokens',
  'max_completion_tokens',
  'input_tokens',
  'output_tokens',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
  'gen_ai.token.type',
  'token_type',
  'tokenizer',
];
