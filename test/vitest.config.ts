import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The end-to-end tests are a workspace package of their own (test/e2e).
  test: { exclude: ['e2e/**', '**/node_modules/**'] },
});
