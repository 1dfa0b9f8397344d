import { ConfigError, toConfigIssues } from '@noa/core'
import type { z } from 'zod'

/** Validates options against a schema, throwing one ConfigError that lists every problem under `path`. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, path: string): z.output<S> {
  const parsed = schema.safeParse(input, { reportInput: true })
  if (!parsed.success) throw new ConfigError(toConfigIssues(parsed.error.issues, path))
  return parsed.data
}
