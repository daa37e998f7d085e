import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    reporters: ['default'],
    env: { LOG_LEVEL: 'error' },
  },
});
