import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'tools/doc-tests', 'tools/inspector'],
    reporters: ['default', './tools/vitest/counts-reporter.ts'],
  },
});
