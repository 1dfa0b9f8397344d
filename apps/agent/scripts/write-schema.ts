// Writes config/monitoring-config.schema.json at the repository root from the zod schema.
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { configJsonSchemaText } from '../src/config/json-schema.ts'

const file = resolve(import.meta.dirname, '..', '..', '..', 'config', 'monitoring-config.schema.json')
writeFileSync(file, configJsonSchemaText())
console.log(`wrote ${file}`)
