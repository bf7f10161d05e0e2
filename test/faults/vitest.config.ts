import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Latency is compared with a healthy run: one scenario at a time, nothing else in this process.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
