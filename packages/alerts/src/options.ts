import { ConfigError, recordKnownKeys, toConfigIssues } from '@noa/core'
import type { z } from 'zod'

/** Option keys whose values are secrets: their values never appear in an error. */
const SECRET_KEYS = new Set(['url', 'secret', 'password', 'routingKey', 'headers'])

/**
 * Validates options against a schema, throwing one ConfigError that lists every problem
 * under `path`. The value found is shown, except for secret keys, where it is redacted.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, path: string): z.output<S> {
  const parsed = schema.safeParse(input, { reportInput: true, error: recordKnownKeys })
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((issue) =>
    issue.path.some((p) => SECRET_KEYS.has(String(p))) ? { ...issue, input: '[redacted]' } : issue,
  )
  throw new ConfigError(toConfigIssues(issues, path))
}
