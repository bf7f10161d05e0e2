import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The end-to-end tests and the fault suite are workspace packages of their own.
  test: { exclude: ['e2e/**', 'faults/**', '**/node_modules/**'] },
});
