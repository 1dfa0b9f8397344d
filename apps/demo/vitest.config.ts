import { noaVitest } from '../../config/vitest.preset.ts'

export default noaVitest()
