/** Defaults of @threadline/core's options, public so that tools and docs can refer to them. */

import type { ExportProtocol } from './types.js';

export const DEFAULT_ENDPOINT = 'http://localhost:4318/v1/logs';
export const DEFAULT_PROTOCOL: ExportProtocol = 'http/protobuf';
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_QUEUE_SIZE = 262_144;
// 2048: 1.16× the delivered records/s of 1024 in a 200k burst (bench/export-throughput.ts --try, 5 rounds); 4096 no better.
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
 * removing `-`, `_` and `.`, so `X-Api-Key`, `x_api_key` and `apiKey` all match
 * `xapikey`/`apikey`.
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
  'password',
  'passwd',
  'pwd',
  'secret',
  'client-secret',
  'token',
  'access-token',
  'refresh-token',
  'id-token',
  'session-token',
  'private-key',
  'credentials',
  'connection-string',
  'x-amz-security-token',
];
