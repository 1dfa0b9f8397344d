import { noaTsup } from '../../config/tsup.preset.ts'

// The CLI is an app, not a library: one ESM entry that bin/noa.mjs imports, no types.
export default noaTsup({ cli: 'src/cli.ts' }, { format: ['esm'], dts: false })
