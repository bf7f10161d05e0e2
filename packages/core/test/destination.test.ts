import os from 'node:os';
import { startOtlpReceiver } from '@threadline/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  log,
  startThreadline,
  type ThreadlineHandle,
  type ThreadlineOptions,
} from '../src/index.js';
import { resolveConfig } from '../src/internal/config.js';

let handle: ThreadlineHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

function start(options: ThreadlineOptions): { handle: ThreadlineHandle; lines: string[] } {
  const lines: string[] = [];
  handle = startThreadline({
    serviceName: 'destination',
    handleSignals: false,
    logStartup: false,
    diagnostics: (line) => lines.push(line),
    env: {},
    ...options,
  });
  return { handle, lines };
}

describe('which exporters run', () => {
  it('reads OTEL_LOGS_EXPORTER as a list, as the specification allows', () => {
    const list = (value: string) => resolveConfig({ env: { OTEL_LOGS_EXPORTER: value } });
    expect(list('otlp,console').exporter).toEqual(['otlp', 'console']);
    expect(list(' console , otlp ,console').exporter).toEqual(['console', 'otlp']);
    expect(list('logging').exporter).toEqual(['console']);
    expect(list('otlp,none').exporter).toEqual(['none']);
    expect(list('otlp,none').warnings).toEqual([
      'OTEL_LOGS_EXPORTER="otlp,none" holds "none": nothing is exported',
    ]);
    const bogus = list('console,zipkin');
    expect(bogus.exporter).toEqual(['console']);
    expect(bogus.warnings).toEqual([
      'OTEL_LOGS_EXPORTER: "zipkin" not supported (accepted: otlp, console, none); using console',
    ]);
    expect(list('zipkin').exporter).toEqual(['otlp']);
  });

  it('takes a list as the exporter option and refuses anything else by name', () => {
    expect(resolveConfig({ exporter: ['console', 'otlp'] }).exporter).toEqual(['console', 'otlp']);
    expect(() => resolveConfig({ exporter: [] })).toThrow(/option "exporter" must be/);
    expect(() => resolveConfig({ exporter: ['otlp', 'kafka'] as never })).toThrow(
      /option "exporter" must be "otlp", "console", "none", a list of them, or a LogRecordExporter/,
    );
  });

  it('refuses OTLP over gRPC clearly: nothing is sent to the gRPC port, and one line says what to set', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const { handle, lines } = start({
        endpoint: receiver.url,
        env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      });
      expect(handle.destination).toBe('none (OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported)');
      expect(lines).toEqual([
        "[threadline] OTEL_EXPORTER_OTLP_PROTOCOL=grpc: Threadline sends OTLP over HTTP only, so it exports nothing over OTLP; set OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/protobuf and point OTEL_EXPORTER_OTLP_LOGS_ENDPOINT at the collector's OTLP/HTTP port (4318 by default)",
      ]);
      log.info('not sent');
      await handle.forceFlush(2000);
      expect(receiver.attempts).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it('a logs-specific HTTP protocol wins over a shared grpc one', () => {
    const c = resolveConfig({
      env: {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      },
    });
    expect(c.grpcAskedBy).toBeUndefined();
    expect(c.protocol).toBe('http/json');
    expect(c.warnings).toEqual([]);
  });

  it('OTEL_SDK_DISABLED names itself as the destination and says so once', () => {
    const { handle, lines } = start({ env: { OTEL_SDK_DISABLED: 'true' } });
    expect(handle.destination).toBe('none (OTEL_SDK_DISABLED=true)');
    expect(lines).toEqual([
      '[threadline] OTEL_SDK_DISABLED=true: Threadline writes and exports no records',
    ]);
  });
});

describe("Threadline's own switches, beside the SDK's shared ones", () => {
  it('THREADLINE_EXPORTER wins over OTEL_LOGS_EXPORTER: the SDK can stop its own log export alone', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const { handle } = start({
        endpoint: receiver.url,
        env: { OTEL_LOGS_EXPORTER: 'none', THREADLINE_EXPORTER: 'otlp' },
      });
      expect(handle.destination).toBe(`otlp http/protobuf ${receiver.url}`);
      log.info('still exported');
      await receiver.waitForRecords(1);
      expect(receiver.records.map((r) => r.body)).toEqual(['still exported']);
    } finally {
      await receiver.close();
    }
    const only = (env: Record<string, string>) => resolveConfig({ env });
    expect(only({ THREADLINE_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'otlp' }).exporter).toEqual([
      'none',
    ]);
    expect(only({ THREADLINE_EXPORTER: 'console,otlp' }).exporter).toEqual(['console', 'otlp']);
    expect(only({ THREADLINE_EXPORTER: 'kafka' }).warnings).toEqual([
      'THREADLINE_EXPORTER: "kafka" not supported (accepted: otlp, console, none); using otlp',
    ]);
    // The option wins over both.
    expect(
      resolveConfig({ exporter: 'console', env: { THREADLINE_EXPORTER: 'otlp' } }).exporter,
    ).toEqual(['console']);
  });

  it('THREADLINE_DISABLED wins over OTEL_SDK_DISABLED, either way', () => {
    const c = (env: Record<string, string>) => resolveConfig({ env });
    expect(c({ OTEL_SDK_DISABLED: 'true', THREADLINE_DISABLED: 'false' }).disabled).toBe(false);
    expect(c({ THREADLINE_DISABLED: 'TRUE' })).toMatchObject({
      disabled: true,
      disabledBy: 'THREADLINE_DISABLED',
    });
    expect(c({ OTEL_SDK_DISABLED: 'true' })).toMatchObject({
      disabled: true,
      disabledBy: 'OTEL_SDK_DISABLED',
    });
    const odd = c({ THREADLINE_DISABLED: 'yes', OTEL_SDK_DISABLED: 'true' });
    expect(odd.disabled).toBe(true);
    expect(odd.warnings).toEqual(['THREADLINE_DISABLED="yes" is not "true" or "false"; ignored']);
    const { handle, lines } = start({ env: { THREADLINE_DISABLED: 'true' } });
    expect(handle.destination).toBe('none (THREADLINE_DISABLED=true)');
    expect(lines).toEqual([
      '[threadline] THREADLINE_DISABLED=true: Threadline writes and exports no records',
    ]);
  });
});

describe('host, os and process on the resource', () => {
  it('carries what the SDK detectors give, without the command arguments', () => {
    const { handle } = start({ exporter: 'none' });
    const r = handle.resourceAttributes;
    expect(r['host.name']).toBe(os.hostname());
    expect(r['host.arch']).toBe(os.arch() === 'x64' ? 'amd64' : os.arch());
    expect(r['os.type']).toBe(process.platform === 'win32' ? 'windows' : process.platform);
    expect(r['os.version']).toBe(os.release());
    expect(r).toMatchObject({
      'process.pid': process.pid,
      'process.executable.path': process.execPath,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      'process.runtime.description': 'Node.js',
    });
    expect(r['process.owner']).toBe(os.userInfo().username);
    expect(r).not.toHaveProperty('process.command_args');
  });

  it('OTEL_NODE_RESOURCE_DETECTORS and the option choose the detectors; given attributes win', async () => {
    const resourceOf = async (options: ThreadlineOptions) => {
      const { handle } = start({ exporter: 'none', ...options });
      await handle.shutdown();
      return handle.resourceAttributes;
    };
    const keys = async (options: ThreadlineOptions) =>
      Object.keys(await resourceOf(options)).filter((k) => /^(host|os|process)\./.test(k));
    expect(await keys({ env: { OTEL_NODE_RESOURCE_DETECTORS: 'none' } })).toEqual([]);
    expect(await keys({ env: { OTEL_NODE_RESOURCE_DETECTORS: 'env,host' } })).toEqual([
      'host.name',
      'host.arch',
    ]);
    expect(
      await keys({ resourceDetectors: [], env: { OTEL_NODE_RESOURCE_DETECTORS: 'all' } }),
    ).toEqual([]);
    expect(await keys({ resourceDetectors: ['os'] })).toEqual(['os.type', 'os.version']);
    expect((await resourceOf({ resourceAttributes: { 'host.name': 'web-1' } }))['host.name']).toBe(
      'web-1',
    );
    expect(() => resolveConfig({ resourceDetectors: ['gcp'] as never })).toThrow(
      /option "resourceDetectors" must be an array of "host", "os", "process"/,
    );
    expect(resolveConfig({ env: { OTEL_NODE_RESOURCE_DETECTORS: 'host,bogus' } }).warnings).toEqual(
      ['OTEL_NODE_RESOURCE_DETECTORS: "bogus" not known; ignored'],
    );
  });
});
