import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'tools/inspector'],
    reporters: ['default', './tools/vitest/counts-reporter.ts'],
  },
});
