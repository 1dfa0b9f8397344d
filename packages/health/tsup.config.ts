import { noaTsup } from '../../config/tsup.preset.ts'

// `endpoint` is its own entry so a service that only serves /health loads no checker and no zod.
export default noaTsup({ index: 'src/index.ts', endpoint: 'src/endpoint.ts' })
