/**
 * Public types of @threadline/nestjs.
 */
import type { ConsoleLoggerOptions } from '@nestjs/common';

/**
 * Options of {@link ThreadlineLogger}: those of Nest's `ConsoleLogger`
 * (`logLevels`, `json`, `timestamp`, …), which apply to what it prints and
 * say which levels are written at all, and one more.
 */
export interface ThreadlineLoggerOptions extends ConsoleLoggerOptions {
  /**
   * Print each line as Nest's `ConsoleLogger` does, beside exporting it.
   * `false` exports only (for a process whose stdout nobody reads).
   * @default true
   */
  print?: boolean;
}
