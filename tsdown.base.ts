// One build for every package: each package's tsdown.config.ts re-exports
// this. ESM + CJS, each with its own types; dependencies stay external. The
// CJS build is on purpose (apps that `require()` us), so tsdown's advice to
// drop it (`checks.legacyCjs`) is turned off rather than printed per package.
import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node22.15',
  dts: true,
  sourcemap: true,
  clean: true,
  checks: { legacyCjs: false },
});
