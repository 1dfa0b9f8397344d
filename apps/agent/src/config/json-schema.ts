import { z } from 'zod'
import { configSchema } from './schema.ts'

/**
 * The JSON Schema of config/monitoring-config.json, generated from the zod schema so editors
 * complete and check the file. Runtime-only fields (a pg pool, a process handle) appear as `{}`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  })
  return {
    ...schema,
    $id: 'https://github.com/noa/noa/config/monitoring-config.schema.json',
    title: 'noa monitoring configuration',
    description: 'config/monitoring-config.json of the noa agent (times in milliseconds)',
  }
}

/** The file's text: pretty JSON with a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`
}
