import { defineConfig } from 'tsdown';
import base from '../../tsdown.base.ts';

// The library, the `threadline` command, and the receiver's decoding thread.
export default defineConfig({
  ...base,
  entry: ['src/index.ts', 'src/cli.ts', 'src/decode-worker.ts'],
});
