import { noaTsup } from '../../config/tsup.preset.ts'

// One runnable file per service process, and the rollback command; ESM only, no types (nothing imports the demo).
export default noaTsup(
  { service: 'src/service.ts', rollback: 'src/rollback.ts' },
  { format: ['esm'], dts: false },
)
