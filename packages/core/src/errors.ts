/** Options shared by noa's error classes. */
export interface NoaErrorOptions {
  /** A stable, machine-readable code such as `ERR_CONFIG`. @default 'ERR_NOA' */
  code?: string
  cause?: unknown
}

/** Base class of every error noa throws on purpose. */
export class NoaError extends Error {
  readonly code: string
  constructor(message: string, options: NoaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? 'ERR_NOA'
  }
}

/** One problem found in a configuration: where it is and what is wrong. */
export interface ConfigIssue {
  /** Dot path in the configuration, e.g. `services.api.interval`. */
  path: string
  /** What was found and what is allowed. */
  message: string
}

/** Thrown when options or a configuration are invalid; lists every problem at once. */
export class ConfigError extends NoaError {
  readonly issues: readonly ConfigIssue[]
  constructor(issues: readonly ConfigIssue[], options: Omit<NoaErrorOptions, 'code'> = {}) {
    super(formatIssues(issues), { ...options, code: 'ERR_CONFIG' })
    this.issues = issues
  }
}

/** Thrown when work did not finish within its time limit. */
export class TimeoutError extends NoaError {
  readonly timeoutMs: number
  constructor(timeoutMs: number, what = 'operation', options: Omit<NoaErrorOptions, 'code'> = {}) {
    super(`${what} timed out after ${timeoutMs} ms`, { ...options, code: 'ERR_TIMEOUT' })
    this.timeoutMs = timeoutMs
  }
}

/** Renders issues one per line as `path: message`. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n')
}

export function isNoaError(value: unknown): value is NoaError {
  return value instanceof NoaError
}

export function isConfigError(value: unknown): value is ConfigError {
  return value instanceof ConfigError
}

export function isTimeoutError(value: unknown): value is TimeoutError {
  return value instanceof TimeoutError
}

/** The message of anything thrown, for logs and results. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message
  return typeof value === 'string' ? value : String(value)
}

/** The shape of a schema validation issue (zod's, for one), without depending on a schema library. */
export interface SchemaIssueLike {
  readonly path: readonly PropertyKey[]
  readonly message: string
  /** The value found, when the validator reports it (zod: `safeParse(v, { reportInput: true })`). */
  readonly input?: unknown
}

function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

/**
 * Turns schema issues into {@link ConfigIssue}s: a dot path (under `prefix`) and a message
 * that says what is allowed and, when known, what was found.
 *
 * @example
 * ```ts
 * const parsed = schema.safeParse(options, { reportInput: true })
 * if (!parsed.success) throw new ConfigError(toConfigIssues(parsed.error.issues, 'services.api'))
 * ```
 */
export function toConfigIssues(issues: readonly SchemaIssueLike[], prefix = ''): ConfigIssue[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.')
    const found =
      'input' in issue && !issue.message.includes('received') ? `; found ${describeFound(issue.input)}` : ''
    return { path, message: `${issue.message}${found}` }
  })
}
