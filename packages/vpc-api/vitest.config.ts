import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'vpc-api',
    include: ['test/**/*.test.ts'],
  },
});
