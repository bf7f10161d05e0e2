/**
 * Producer side: a BullMQ `telemetry` implementation that carries the active
 * trace context in the job's own metadata (`job.opts.telemetry.metadata`),
 * the slot BullMQ reserves for it, so the job's `data` is never touched.
 */
import { type Context, context } from '@opentelemetry/api';
import { extractTraceContext, injectTraceContext } from '@threadline/core';
import type { Telemetry } from 'bullmq';
import { assertQueueLibraryCanRun } from './driver-check.js';

/** Metadata longer than this is not parsed (it is not ours, or it is hostile). */
export const MAX_METADATA_LENGTH = 8192;

// BullMQ wraps each operation in a "span"; Threadline makes none (it has no
// tracer to record them): the context passes through unchanged.
const span = {
  setSpanOnContext: (ctx: Context) => ctx,
  setAttribute: () => {},
  setAttributes: () => {},
  addEvent: () => {},
  recordException: () => {},
  end: () => {},
};

/**
 * A BullMQ `telemetry` option that writes the active trace context (W3C
 * `traceparent`, `tracestate`, `baggage`, as JSON: the format `bullmq-otel`
 * uses too) into each added job's metadata. Give it to every `Queue` and
 * `FlowProducer` that adds jobs; `Queue.add`, `addBulk` and flows are covered.
 * With a tracing SDK and `bullmq-otel`, use `bullmq-otel`'s telemetry instead:
 * `correlateProcessor` reads the same metadata.
 *
 * @example
 * const emails = new Queue('emails', { connection, telemetry: threadlineTelemetry() });
 * app.post('/signup', async (req, res) => { await emails.add('welcome', { to }); res.sendStatus(202); });
 */
export function threadlineTelemetry(): Telemetry<Context> {
  assertQueueLibraryCanRun();
  return {
    tracer: { startSpan: () => span },
    contextManager: {
      with: (ctx, fn) => context.with(ctx, fn),
      active: () => context.active(),
      getMetadata: (ctx) => JSON.stringify(injectTraceContext({}, ctx)),
      fromMetadata: (active, metadata) => {
        const carrier = parseMetadata(metadata);
        return carrier ? extractTraceContext(carrier, { context: active }) : active;
      },
    },
  };
}

/** The carrier in job metadata, or undefined when it is missing, too long or not a JSON object of strings. */
export function parseMetadata(metadata: unknown): Record<string, string> | undefined {
  if (typeof metadata !== 'string' || metadata.length > MAX_METADATA_LENGTH) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  // What threadlineTelemetry and bullmq-otel write holds only strings: used as
  // it is, without a copy through Object.entries (measured: bench/README.md,
  // "Figures behind the code").
  for (const k in record) if (typeof record[k] !== 'string') return stringsOf(record);
  return record as Record<string, string>;
}

/** The string-valued entries of `record`. */
function stringsOf(record: Record<string, unknown>): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (typeof v === 'string') carrier[k] = v;
  return carrier;
}

/** A node of a BullMQ flow, as `FlowProducer.add` takes it. */
export interface FlowNode {
  opts?: object;
  children?: FlowNode[];
  [key: string]: unknown;
}

/**
 * BullMQ writes the telemetry metadata only into flow nodes that have an
 * `opts` object: this returns a copy of `flow` in which every node has one
 * (data and everything else untouched), so every job of the flow carries
 * the trace.
 *
 * @example
 * await flows.add(withTraceableNodes({ name: 'render', queueName: 'video', children: [...] }));
 */
export function withTraceableNodes<F extends FlowNode>(flow: F): F {
  return {
    ...flow,
    opts: flow.opts ?? {},
    ...(flow.children ? { children: flow.children.map((c) => withTraceableNodes(c)) } : {}),
  };
}
