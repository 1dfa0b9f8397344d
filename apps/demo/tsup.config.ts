import { noaTsup } from '../../config/tsup.preset.ts'

// One runnable file per service process; ESM only, no types (nothing imports the demo).
export default noaTsup({ service: 'src/service.ts' }, { format: ['esm'], dts: false })
