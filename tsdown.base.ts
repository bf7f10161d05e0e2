// One build for every package: each package's tsdown.config.ts re-exports
// this. ESM + CJS, each with its own types; dependencies stay external.
import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node22.15',
  dts: true,
  sourcemap: true,
  clean: true,
});
