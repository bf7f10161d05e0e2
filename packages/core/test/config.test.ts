import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import {
  injectTraceContext,
  startThreadline,
  type ThreadlineOptions,
  withHopScope,
} from '../src/index.js';
import { resolveConfig } from '../src/internal/config.js';

describe('configuration', () => {
  it('reads the standard OTEL_* environment', () => {
    const c = resolveConfig({
      env: {
        OTEL_LOGS_EXPORTER: 'console',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
        OTEL_BLRP_MAX_QUEUE_SIZE: '5000',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '256',
        OTEL_BLRP_EXPORT_TIMEOUT: '9000',
        OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '64',
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '1024',
        THREADLINE_LOG_LEVEL: 'debug',
      },
    });
    expect(c).toMatchObject({
      exporter: ['console'],
      protocol: 'http/json',
      endpoint: 'http://collector:4318/v1/logs',
      compression: 'gzip',
      exportTimeoutMillis: 2500,
      maxQueueSize: 5000,
      scheduledDelayMillis: 200,
      maxExportBatchSize: 256,
      batchTimeoutMillis: 9000,
      attributeCountLimit: 64,
      attributeValueLengthLimit: 1024,
      minSeverity: 5,
      warnings: [],
    });
  });

  it('keeps one export (with its retries) shorter than the batch timeout, so a slow success is never sent twice', () => {
    const c = resolveConfig({
      exportTimeoutMillis: 20_000,
      env: { OTEL_BLRP_EXPORT_TIMEOUT: '5000' },
    });
    expect(c.batchTimeoutMillis).toBe(5000);
    expect(c.exportTimeoutMillis).toBe(4500);
    expect(c.warnings.join('\n')).toMatch(
      /export timeout \(20000 ms\) must end before OTEL_BLRP_EXPORT_TIMEOUT/,
    );
    expect(resolveConfig({ env: {} }).exportTimeoutMillis).toBe(10_000);
  });

  it('uses a per-signal endpoint as it is, and options over the environment', () => {
    const env = {
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://in.example.com/custom',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
    expect(resolveConfig({ env }).endpoint).toBe('https://in.example.com/custom');
    expect(resolveConfig({ env, protocol: 'http/protobuf' }).protocol).toBe('http/protobuf');
    expect(resolveConfig({ env: {} })).toMatchObject({
      endpoint: 'http://localhost:4318/v1/logs',
      protocol: 'http/protobuf',
      exporter: ['otlp'],
    });
  });

  it('ignores bad environment values with a warning', () => {
    const c = resolveConfig({
      env: {
        OTEL_BLRP_MAX_QUEUE_SIZE: 'lots',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        THREADLINE_LOG_LEVEL: 'loud',
      },
    });
    expect(c.maxQueueSize).toBe(262_144);
    expect(c.protocol).toBe('http/protobuf');
    expect(c.grpcAskedBy).toBe('OTEL_EXPORTER_OTLP_PROTOCOL');
    expect(c.minSeverity).toBe(9);
    // grpc is refused at start-up, with its own line (destination.test.ts).
    expect(c.warnings).toHaveLength(2);
    expect(c.warnings.join('\n')).toMatch(/OTEL_BLRP_MAX_QUEUE_SIZE.*lots/);
  });

  it('disables everything with OTEL_SDK_DISABLED=true', () => {
    expect(resolveConfig({ env: { OTEL_SDK_DISABLED: 'TRUE' } }).disabled).toBe(true);
    expect(resolveConfig({ env: { OTEL_SDK_DISABLED: 'yes' } }).disabled).toBe(false);
  });

  it.each([
    [{ endpoint: 'localhost:4318' }, /option "endpoint" must be an http:\/\/ or https:\/\/ URL/],
    [
      { level: 'loud' },
      /option "level" must be one of trace, debug, info, warn, error, fatal; got "loud"/,
    ],
    [{ redactKeys: [''] }, /option "redactKeys" must be an array of non-empty strings/],
  ])(
    'fails fast at start-up on a bad option: %o (numbers, booleans and choices: option-table.test.ts)',
    (options, message) => {
      expect(() => startThreadline({ ...(options as object), env: {} })).toThrow(message);
    },
  );

  it('names itself once in a warning made of an error message', async () => {
    const lines: string[] = [];
    const handle = startThreadline({
      exporter: new InMemoryLogRecordExporter(),
      handleSignals: false,
      logStartup: false,
      env: { THREADLINE_LOG_LEVEL: 'loud' },
      diagnostics: (line: string) => lines.push(line),
    });
    await handle.shutdown();
    expect(lines).toEqual([
      '[threadline] THREADLINE_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal; got "loud"; using info',
    ]);
  });

  it('warns once about an option it does not know, naming the one meant, and starts', async () => {
    const lines: string[] = [];
    const options = {
      exporter: new InMemoryLogRecordExporter(),
      handleSignals: false,
      logStartup: false,
      env: {},
      diagnostics: (line: string) => lines.push(line),
      servicename: 'orders',
      colour: true,
    };
    const handle = startThreadline(options as ThreadlineOptions);
    try {
      expect(lines).toEqual([
        '[threadline] startThreadline() has no option "servicename" (did you mean "serviceName"?); it is ignored',
        '[threadline] startThreadline() has no option "colour"; it is ignored',
      ]);
      // Started again with other options: said once, and the running instance is kept.
      const again = startThreadline({ ...options, level: 'debug' } as ThreadlineOptions);
      startThreadline({ ...options, level: 'debug' } as ThreadlineOptions);
      expect(again).toBe(handle);
      expect(lines.slice(2)).toEqual([
        '[threadline] startThreadline() was called again with other level; the running instance keeps the options it started with (call shutdown() first to start anew)',
      ]);
      // The same options again are no news.
      startThreadline(options as ThreadlineOptions);
      expect(lines).toHaveLength(3);
    } finally {
      await handle.shutdown();
    }
  });
});

describe('injectTraceContext', () => {
  it('writes traceparent into plain objects and Headers for outbound calls', () => {
    withHopScope({}, () => {
      const plain = injectTraceContext({} as Record<string, string>);
      expect(plain.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const headers = injectTraceContext(new Headers());
      // The same trace, and a parent id of its own for each call.
      expect(headers.get('traceparent')?.slice(0, 36)).toBe(plain.traceparent?.slice(0, 36));
      expect(headers.get('traceparent')).not.toBe(plain.traceparent);
    });
  });

  it('writes nothing outside a traced scope', () => {
    expect(injectTraceContext({})).toEqual({});
  });
});
