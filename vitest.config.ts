import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'tools/doc-tests'],
    reporters: ['default', './tools/vitest/counts-reporter.ts'],
  },
});
