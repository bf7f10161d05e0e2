/**
 * Log levels and OpenTelemetry severity numbers, in one place: the logger,
 * the console exporter, console capture, the HTTP correlator and the pino
 * and winston bridges all take them from here.
 */
import type { LogLevel } from './types.js';

/**
 * The severity number of each level: the first of OpenTelemetry's range of
 * four for it (TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20,
 * FATAL 21–24).
 *
 * @example
 * emitBridgedRecord('my-logger', { severityNumber: SEVERITY_NUMBER.warn, body: 'slow' });
 */
export const SEVERITY_NUMBER: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
});

/** The levels, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(
  Object.keys(SEVERITY_NUMBER) as LogLevel[],
);

const NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** The severity text of a level: `warn` → `WARN`. */
export function severityText(level: LogLevel): (typeof NAMES)[number] {
  return NAMES[LOG_LEVELS.indexOf(level)] as (typeof NAMES)[number];
}

/**
 * The level name of a severity number, by OpenTelemetry's ranges of four
 * (`14` → `WARN`); `TRACE` below 1, `FATAL` above 24.
 *
 * @example
 * severityName(record.severityNumber ?? 0); // 'ERROR' for 17 to 20
 */
export function severityName(severityNumber: number): (typeof NAMES)[number] {
  const i = Math.floor((severityNumber - 1) / 4);
  return NAMES[Math.min(Math.max(i, 0), NAMES.length - 1)] as (typeof NAMES)[number];
}
