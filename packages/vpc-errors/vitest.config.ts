import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vpc-errors',
    include: ['test/**/*.test.ts'],
  },
});
