import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The end-to-end tests, the fault suite and the README blocks are workspace packages of their own.
  test: { exclude: ['e2e/**', 'faults/**', 'readme/**', '**/node_modules/**'] },
});
