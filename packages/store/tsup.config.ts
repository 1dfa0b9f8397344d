import { noaTsup } from '../../config/tsup.preset.ts'

export default noaTsup({
  index: 'src/index.ts',
  sqlite: 'src/sqlite.ts',
  testing: 'src/testing/index.ts',
})
