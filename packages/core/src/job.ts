/**
 * The job scope: one attempt of a background job (a queue message, a cron
 * run) on a thread of its own, with its identity on every line and one line
 * each for its start and its outcome. @threadline/bullmq and @threadline/cron
 * are built on it; a consumer of any other queue can be wrapped in a few lines.
 */
import { type Context, context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ATTR_DURATION_MS } from './http.js';
import { assertFunction, bad, oneOfOption } from './internal/options.js';
import { openHopScope } from './internal/scope.js';
import { thrownValue } from './internal/serialize.js';
import { warnOnce } from './internal/state.js';
import { getLogger } from './logger-api.js';
import { extractTraceContext, hasLocalSpan, LINK_KEY } from './propagation.js';
import type { JobScopeOptions, LogAttributes, Logger } from './types.js';

/** `threadline.job.name`: the job's name (BullMQ's job name, a cron job's name). */
export const ATTR_JOB_NAME = 'threadline.job.name';
/** `threadline.job.attempt`: 1 for the first attempt, 2 for the first retry, … */
export const ATTR_JOB_ATTEMPT = 'threadline.job.attempt';
/** `threadline.job.max_attempts`: how many attempts the job may have. */
export const ATTR_JOB_MAX_ATTEMPTS = 'threadline.job.max_attempts';
/** `threadline.job.parent_id`: the parent job of a flow. */
export const ATTR_JOB_PARENT_ID = 'threadline.job.parent_id';
/** `threadline.job.wait_ms`: time from enqueue to the start of this attempt, on the started, completed, failed and postponed lines. */
export const ATTR_JOB_WAIT_MS = 'threadline.job.wait_ms';
/** `threadline.job.will_retry`: on the failed line, whether another attempt follows. */
export const ATTR_JOB_WILL_RETRY = 'threadline.job.will_retry';
/** `threadline.job.postponed_by`: on the postponed line, the name of the error that postponed the job. */
export const ATTR_JOB_POSTPONED_BY = 'threadline.job.postponed_by';

const MODES = ['parent', 'link', 'root'] as const;
const DEFAULT_MESSAGES = {
  started: 'job started',
  completed: 'job completed',
  failed: 'job failed',
};
const POSTPONED_MESSAGE = 'job postponed';

/**
 * Runs one attempt of a job in a scope of its own and returns what `fn`
 * returns; an error `fn` throws is logged (`job failed`, with `exception.*`)
 * and re-thrown unchanged. Every line written inside carries the job's
 * identity (`messaging.system`, `messaging.destination.name`,
 * `messaging.message.id`, `threadline.job.*`) and a span id of its own, in:
 *
 * - `parent` mode (default): the trace carried with the job (`carrier`, e.g.
 *   the `traceparent` the producer injected), so the job continues the
 *   request that enqueued it;
 * - `link` mode: a new trace per attempt, the carried trace id kept as
 *   `threadline.link.trace_id` on every line;
 * - `root` mode: a new trace, whatever was carried (cron runs, repeatable
 *   jobs). Run it from `ROOT_CONTEXT` when the active context is the one of
 *   whoever scheduled the run (a timer inherits it): `cronJob` does.
 *
 * Never the context of whoever runs the consumer loop. A missing or malformed
 * carrier (in `parent` and `link` modes) means a fresh trace and one warning,
 * never a failed job. When a tracing SDK already made a consumer span for the
 * job, that span is used, in every mode.
 *
 * @example
 * // A RabbitMQ consumer (amqplib): the producer sent injectTraceContext({}) as message headers.
 * channel.consume('emails', (msg) =>
 *   withJobScope(
 *     { system: 'rabbitmq', queue: 'emails', id: msg.properties.messageId, carrier: msg.properties.headers },
 *     () => sendEmail(JSON.parse(msg.content.toString())),
 *   ).then(() => channel.ack(msg), () => channel.nack(msg)),
 * );
 */
export function withJobScope<T>(job: JobScopeOptions, fn: () => T | Promise<T>): Promise<T> {
  if (job === null || typeof job !== 'object') throw bad('job', job, 'an object');
  assertFunction('withJobScope(job, fn)', fn);
  const mode = oneOfOption('mode', job.mode ?? 'parent', MODES);

  const started = performance.now();
  const logger = job.logger ?? getLogger('threadline.job');
  const messages = { ...DEFAULT_MESSAGES, ...job.messages };
  let ctx: Context = ROOT_CONTEXT;
  try {
    ctx = openHopScope(jobAttributes(job), carriedContext(job, mode));
  } catch (error) {
    warnOnce('job-scope', `a job ran without its scope: ${String(error)}`);
  }

  return context.with(ctx, async () => {
    // The wait before this attempt started: on every line that frames it.
    const wait =
      typeof job.enqueuedAt === 'number' && Number.isFinite(job.enqueuedAt)
        ? Math.max(0, Date.now() - job.enqueuedAt)
        : undefined;
    if (messages.started) {
      logger.info(messages.started, wait === undefined ? {} : { [ATTR_JOB_WAIT_MS]: wait });
    }
    try {
      const result = await fn();
      if (messages.completed) logger.info(messages.completed, outcomeAttributes(started, wait));
      return result;
    } catch (error) {
      try {
        logThrown(job, logger, messages.failed, error, outcomeAttributes(started, wait));
      } catch {
        // Never replace the job's own error.
      }
      throw error;
    }
  });
}

/** `job postponed` or `job failed` (unless its message is empty) for what the job threw. */
function logThrown(
  job: JobScopeOptions,
  logger: Logger,
  failedMessage: string,
  error: unknown,
  attrs: LogAttributes,
): void {
  const thrown = thrownValue(error);
  if (safeCall(job.postponed, error) === true) {
    attrs[ATTR_JOB_POSTPONED_BY] = thrown.type;
    logger.info(POSTPONED_MESSAGE, attrs);
    return;
  }
  if (!failedMessage) return;
  attrs['error.type'] = thrown.type;
  const willRetry = safeCall(job.willRetry, error);
  if (typeof willRetry === 'boolean') attrs[ATTR_JOB_WILL_RETRY] = willRetry;
  const more = safeCall(job.failureAttributes, error);
  if (more && typeof more === 'object') Object.assign(attrs, more);
  if (thrown.attributes instanceof Error) attrs.error = thrown.attributes;
  else Object.assign(attrs, thrown.attributes);
  logger.error(failedMessage, attrs);
}

function outcomeAttributes(started: number, wait: number | undefined): LogAttributes {
  const attrs: LogAttributes = { [ATTR_DURATION_MS]: elapsed(started) };
  if (wait !== undefined) attrs[ATTR_JOB_WAIT_MS] = wait;
  return attrs;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function safeCall(fn: ((error: unknown) => unknown) | undefined, error: unknown): unknown {
  if (!fn) return undefined;
  try {
    return fn(error);
  } catch {
    return undefined;
  }
}

function jobAttributes(job: JobScopeOptions): LogAttributes {
  const a: LogAttributes = {};
  if (job.system) a['messaging.system'] = job.system;
  if (job.queue) a['messaging.destination.name'] = job.queue;
  if (job.id !== undefined && job.id !== null && job.id !== '')
    a['messaging.message.id'] = String(job.id);
  if (job.name) a[ATTR_JOB_NAME] = job.name;
  if (typeof job.attempt === 'number') a[ATTR_JOB_ATTEMPT] = job.attempt;
  if (typeof job.maxAttempts === 'number') a[ATTR_JOB_MAX_ATTEMPTS] = job.maxAttempts;
  if (job.parentId !== undefined && job.parentId !== null && job.parentId !== '') {
    a[ATTR_JOB_PARENT_ID] = String(job.parentId);
  }
  return job.attributes ? { ...a, ...job.attributes } : a;
}

/** The context the job's hop starts from: never the consumer loop's. */
function carriedContext(job: JobScopeOptions, mode: (typeof MODES)[number]): Context {
  // A tracing SDK's consumer span for this job (e.g. BullMQ's own telemetry):
  // use it, in every mode, or the SDK's spans made inside the job would hang
  // off a hop span it never exports. (A context inherited from whoever
  // scheduled the run is the caller's to leave: cronJob runs from the root.)
  const active = context.active();
  if (hasLocalSpan(active)) return active;
  if (mode === 'root') return ROOT_CONTEXT;
  const carried = extractTraceContext(job.carrier ?? null, {
    trust: mode === 'link' ? 'restart' : 'continue',
    context: ROOT_CONTEXT,
  });
  const usable =
    mode === 'link' ? carried.getValue(LINK_KEY) !== undefined : trace.getSpanContext(carried);
  if (!usable) warnUnusableCarrier(job.system ?? '', job.queue ?? '');
  return carried;
}

/**
 * Jobs added outside any request all arrive without context: the message is
 * built only for the first of each queue (bench/job-throughput.ts --untraced).
 */
function warnUnusableCarrier(system: string, queue: string): void {
  warnOnce(
    `job-carrier:${system}:${queue}`,
    () =>
      `a ${system} job${queue ? ` of queue ${queue}` : ''} arrived without usable trace context; it runs on a fresh trace`,
  );
}
