import { noaTsup } from '../../config/tsup.preset.ts'

export default noaTsup({
  index: 'src/index.ts',
  hono: 'src/hono.ts',
  'remote-write': 'src/remote-write.ts',
  otlp: 'src/otlp.ts',
  opentelemetry: 'src/opentelemetry.ts',
})
