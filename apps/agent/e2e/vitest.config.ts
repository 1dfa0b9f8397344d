import { noaVitest } from '../../../config/vitest.preset.ts'

// The agent's end-to-end suite (`pnpm e2e`): the built agent as a real process with the demo
// fleet, driven from outside. Not part of `test`.
export default noaVitest({
  include: ['e2e/**/*.e2e.test.ts'],
  testTimeout: 300_000,
  hookTimeout: 120_000,
  fileParallelism: false,
})
