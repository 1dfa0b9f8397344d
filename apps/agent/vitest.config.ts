import { noaVitest } from '../../config/vitest.preset.ts'

export default noaVitest({ testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false })
