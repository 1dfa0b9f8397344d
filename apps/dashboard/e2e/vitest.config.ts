import { defineConfig } from 'vitest/config'

// The browser suite: real agent, real demo fleet, real Chromium. Not part of `test`.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
