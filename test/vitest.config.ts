import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The end-to-end tests, the fault suite, the README blocks and the packaging
  // test are workspace packages of their own.
  test: { exclude: ['e2e/**', 'faults/**', 'readme/**', 'packaging/**', '**/node_modules/**'] },
});
