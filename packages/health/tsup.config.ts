import { noaTsup } from '../../config/tsup.preset.ts'

// `endpoint` is its own entry so a service that only serves /health loads no checker and no zod;
// `config` holds the zod schemas, for programs that validate a configuration file with them.
export default noaTsup({ index: 'src/index.ts', endpoint: 'src/endpoint.ts', config: 'src/schemas.ts' })
