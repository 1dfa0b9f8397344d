import { noaTsup } from '../../config/tsup.preset.ts'

export default noaTsup({ index: 'src/index.ts', testing: 'src/testing/index.ts', config: 'src/schemas.ts' })
