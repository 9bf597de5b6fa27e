import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vhd-format',
    include: ['test/**/*.test.ts'],
  },
});
