import { defineConfig } from 'tsdown';
import base from '../../tsdown.base.ts';

// The library and the `threadline` command.
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/cli.ts'] });
