import { noaTsup } from '../../config/tsup.preset.ts'

export default noaTsup({
  index: 'src/index.ts',
  sqlite: 'src/sqlite.ts',
  postgres: 'src/postgres.ts',
  testing: 'src/testing/index.ts',
})
