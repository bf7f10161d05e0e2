/**
 * Host, operating-system and process attributes for the Resource, as the
 * OpenTelemetry SDK's `hostDetector`, `osDetector` and `processDetector` give
 * them, read synchronously once at start-up. The process's command-line
 * arguments are left out: they may hold secrets, and the Resource goes out
 * with every batch.
 */
import os from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import type { ResourceDetectorName } from '../types.js';

// Node's names, mapped to the semantic conventions' values as the SDK maps them.
const ARCH: Record<string, string> = { arm: 'arm32', ppc: 'ppc32', x64: 'amd64' };
const OS_TYPE: Record<string, string> = { sunos: 'solaris', win32: 'windows' };

export function detectResource(detectors: readonly ResourceDetectorName[]): Attributes {
  const out: Attributes = {};
  if (detectors.includes('host')) {
    out['host.name'] = os.hostname();
    out['host.arch'] = ARCH[os.arch()] ?? os.arch();
  }
  if (detectors.includes('os')) {
    out['os.type'] = OS_TYPE[os.platform()] ?? os.platform();
    out['os.version'] = os.release();
  }
  if (detectors.includes('process')) {
    out['process.pid'] = process.pid;
    out['process.executable.name'] = process.title;
    out['process.executable.path'] = process.execPath;
    if (process.argv[1] !== undefined) out['process.command'] = process.argv[1];
    out['process.runtime.name'] = 'nodejs';
    out['process.runtime.version'] = process.versions.node;
    out['process.runtime.description'] = 'Node.js';
    try {
      out['process.owner'] = os.userInfo().username;
    } catch {
      // No user entry for this uid (a container's arbitrary uid): left out, as the SDK does.
    }
  }
  return out;
}
