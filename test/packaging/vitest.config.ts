import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Packs every package and installs the tarballs into one app, once per run.
    globalSetup: ['./src/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
