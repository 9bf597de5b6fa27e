import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'inspector',
    include: ['test/**/*.test.ts'],
    // Starting chromium and reading a 2040 GiB image's 4 MiB table takes seconds on a loaded machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
