import { ConfigError, recordKnownKeys, type SchemaIssueLike, toConfigIssues } from './errors.ts'

/**
 * A schema as {@link parseOptions} uses it: zod's `safeParse`, described by shape so that
 * @noa/core depends on no schema library (any zod 4 schema fits).
 */
export interface OptionsSchema<T> {
  safeParse(
    value: unknown,
    params?: { reportInput?: boolean; error?: typeof recordKnownKeys },
  ): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssueLike[] } }
}

/** Options of {@link parseOptions}. */
export interface ParseOptionsOptions {
  /** Keys whose values are secrets (a URL with a token, a password): never shown in an error. */
  secretKeys?: ReadonlySet<string>
}

/**
 * Validates options against a schema and returns them with defaults applied, or throws one
 * {@link ConfigError} listing every problem under `path` (`path.field: rule; found value`, an
 * unknown key with the known key it is a typo of). The one option parser of noa's packages.
 *
 * @example
 * ```ts
 * const o = parseOptions(webhookSchema, input, 'channels.ops', { secretKeys: new Set(['url']) })
 * ```
 */
export function parseOptions<T>(
  schema: OptionsSchema<T>,
  value: unknown,
  path: string,
  options: ParseOptionsOptions = {},
): T {
  const parsed = schema.safeParse(value, { reportInput: true, error: recordKnownKeys })
  if (parsed.success) return parsed.data
  const secret = options.secretKeys
  const issues =
    secret === undefined
      ? parsed.error.issues
      : parsed.error.issues.map((issue) =>
          issue.path.some((p) => secret.has(String(p))) && 'input' in issue
            ? { ...issue, input: '[redacted]' }
            : issue,
        )
  throw new ConfigError(toConfigIssues(issues, path))
}
