/**
 * The page's live updates: `GET /api/events`, a server-sent event stream that
 * says, at most a few times a second, the id of the newest record stored. The
 * page then asks for what it shows (the records after the last it has, the
 * list, the overview), so a stream costs the same whatever arrives, and a
 * slow reader holds no queue: it misses ids, never records.
 */
import type { ServerResponse } from 'node:http';

/** Event streams open at once; one more is answered 503 (the page retries later). */
export const MAX_EVENT_STREAMS = 16;
/** Stored records are announced at most once in this long. */
const ANNOUNCE_INTERVAL_MS = 250;
/** A comment line this often keeps idle streams open through proxies and tells a closed one. */
const HEARTBEAT_MS = 15_000;
/** How long a page's EventSource waits before it reconnects. */
const RETRY_MS = 3_000;

export class EventStreams {
  private readonly streams = new Set<ServerResponse>();
  private announcing: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  /**
   * @param lastId the id of the newest record stored, read when it is announced
   * @param max streams open at once
   */
  constructor(
    private readonly lastId: () => number,
    private readonly max = MAX_EVENT_STREAMS,
  ) {}

  /** Opens a stream on `res`, or answers 503 when `max` are open. */
  open(res: ServerResponse): void {
    if (this.streams.size >= this.max) {
      res
        .writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' })
        .end(`${this.max} pages follow this receiver already: close one, or reload later`);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`retry: ${RETRY_MS}\n\n${this.event()}`);
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0) this.stopTimers();
    });
    this.heartbeat ??= setInterval(() => {
      for (const stream of this.streams) if (!stream.writableNeedDrain) stream.write(': \n\n');
    }, HEARTBEAT_MS).unref();
  }

  /** Says that records were stored: each stream hears of it within {@link ANNOUNCE_INTERVAL_MS}. */
  stored(): void {
    if (this.streams.size === 0 || this.announcing !== undefined) return;
    this.announcing = setTimeout(() => {
      this.announcing = undefined;
      const event = this.event();
      // A stream still sending the last event gets the next one instead.
      for (const stream of this.streams) if (!stream.writableNeedDrain) stream.write(event);
    }, ANNOUNCE_INTERVAL_MS).unref();
  }

  /** Ends every stream (the receiver is closing). */
  close(): void {
    this.stopTimers();
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private event(): string {
    return `data: ${JSON.stringify({ lastId: this.lastId() })}\n\n`;
  }

  private stopTimers(): void {
    clearTimeout(this.announcing);
    clearInterval(this.heartbeat);
    this.announcing = undefined;
    this.heartbeat = undefined;
  }
}
