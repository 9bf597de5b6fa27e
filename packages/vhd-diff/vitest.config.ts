import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vhd-diff',
    include: ['test/**/*.test.ts'],
  },
});
