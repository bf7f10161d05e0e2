import { defineConfig } from 'tsdown';
import base from '../../tsdown.base.ts';

// The bridge, and the transport pino loads in a worker thread.
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/transport.ts'] });
