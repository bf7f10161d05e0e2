import { startOtlpReceiver } from '@threadline/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { log, startThreadline, type ThreadlineHandle, withScope } from '../../src/index.js';
import { ConsoleExporter } from '../../src/internal/console-exporter.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { isTTY, write: (t: string) => chunks.push(t) }, text: () => chunks.join('') };
}

function record(over: Record<string, unknown> = {}) {
  return {
    hrTime: [1_700_000_000, 123_000_000],
    severityNumber: 13,
    severityText: 'WARN',
    body: 'slow payment',
    attributes: { 'tenant.id': 't-42', 'payment.duration_ms': 812 },
    spanContext: { traceId: TRACE, spanId: SPAN, traceFlags: 1 },
    ...over,
  } as never;
}

function exportOne(exporter: ConsoleExporter, r: unknown): void {
  exporter.export([r as never], () => {});
}

describe('the console exporter', () => {
  it('prints one readable line a record in a terminal: time, level, message, attributes, short trace id', () => {
    const c = capture(true);
    exportOne(new ConsoleExporter({ NO_COLOR: '1' }, c.out), record());
    expect(c.text()).toMatch(
      /^\d\d:\d\d:\d\d\.123 WARN {2}slow payment tenant\.id=t-42 payment\.duration_ms=812 trace=4bf92f35\n$/,
    );
  });

  it('colours the level and dims the rest, unless NO_COLOR is set', () => {
    const coloured = capture(true);
    exportOne(new ConsoleExporter({}, coloured.out), record());
    expect(coloured.text()).toContain('\u001b[33mWARN \u001b[0m');
    const plain = capture(true);
    exportOne(new ConsoleExporter({ NO_COLOR: 'true' }, plain.out), record());
    expect(plain.text()).not.toContain('\u001b');
  });

  it('prints the stack below the line, and escapes control characters a message could use on the terminal', () => {
    const c = capture(true);
    exportOne(
      new ConsoleExporter({}, c.out),
      record({
        severityText: 'ERROR',
        severityNumber: 17,
        body: 'paid\u001b[2J\u202e',
        attributes: {
          'exception.message': 'card\ndeclined',
          'exception.stacktrace': 'Error: card declined\n    at pay (/app/pay.js:3:9)',
        },
      }),
    );
    const lines = c.text().split('\n');
    expect(lines[0]).toContain('paid\\u001b[2J\\u202e');
    expect(lines[0]).toContain('exception.message=\u001b[0m"card\\ndeclined"');
    expect(lines[0]).not.toContain('exception.stacktrace');
    expect(lines[1]).toContain('    \u001b[2mError: card declined');
    expect(lines[2]).toContain('at pay (/app/pay.js:3:9)');
    // Only the exporter's own colour codes: every ESC is followed by one of its SGR sequences.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what it looks for
    expect(c.text().match(/\u001b(?!\[(?:0|2|3\d|9\d)m)/g)).toBeNull();
  });

  it('cuts a long value in the readable line', () => {
    const c = capture(true);
    exportOne(
      new ConsoleExporter({ NO_COLOR: '1' }, c.out),
      record({ attributes: { sql: 'x'.repeat(5000) } }),
    );
    expect(c.text()).toContain(`sql=${'x'.repeat(200)}…`);
    expect(c.text().length).toBeLessThan(400);
  });

  it('writes JSON lines when the output is not a terminal', () => {
    const c = capture(false);
    exportOne(
      new ConsoleExporter({}, c.out),
      record({ attributes: { bytes: new Uint8Array([1, 2, 3]), n: 1 } }),
    );
    const line = JSON.parse(c.text());
    expect(line).toEqual({
      time: '2023-11-14T22:13:20.123Z',
      level: 'WARN',
      message: 'slow payment',
      trace_id: TRACE,
      span_id: SPAN,
      attributes: { bytes: 'AQID', n: 1 },
    });
    expect(c.text().endsWith('}\n')).toBe(true);
  });
});

describe('exporter lists', () => {
  let handle: ThreadlineHandle | undefined;
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
    vi.restoreAllMocks();
  });

  it('OTEL_LOGS_EXPORTER=otlp,console exports over OTLP and prints each record once, retries included', async () => {
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    });
    const receiver = await startOtlpReceiver();
    // The first export fails and is retried: the console must not print it twice.
    receiver.respondWith((_req, attempt) => (attempt === 1 ? { status: 503 } : undefined));
    try {
      handle = startThreadline({
        serviceName: 'lists',
        endpoint: receiver.url,
        env: { OTEL_LOGS_EXPORTER: 'otlp,console' },
        handleSignals: false,
        logStartup: false,
        diagnostics: 'silent',
      });
      expect(handle.destination).toBe(`otlp http/protobuf ${receiver.url} + console`);
      await withScope({ 'tenant.id': 't-1' }, async () => log.info('both ways'));
      await receiver.waitForRecords(1);
      expect(receiver.attempts).toBe(2);
      expect(receiver.records.map((r) => r.body)).toEqual(['both ways']);
      const lines = printed
        .join('')
        .split('\n')
        .filter((l) => l.includes('both ways'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] as string).attributes).toEqual({ 'tenant.id': 't-1' });
    } finally {
      await receiver.close();
    }
  });
});
