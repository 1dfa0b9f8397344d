/** Options shared by noa's error classes. */
export interface NoaErrorOptions {
  /** A stable, machine-readable code such as `ERR_CONFIG`. @default 'ERR_NOA' */
  code?: string
  cause?: unknown
}

// The key under which a branded error class keeps its brand. Registered symbols (Symbol.for) are
// the same in every copy of a package, so an error thrown by the CommonJS build of a package, or
// by a second installed copy, still passes `instanceof` and the guards of the ESM build.
const BRAND_KEY = Symbol.for('noa.errorBrand')

type ErrorClass = abstract new (...args: never[]) => Error

/**
 * Gives an error class a brand, `Symbol.for('noa.<name>')`, set on its prototype and read by
 * `instanceof` (see {@link NoaError}), so the class is recognised across copies of its package
 * (ESM and CJS builds, two installed versions). Call it once per class, in a static block.
 *
 * @example
 * ```ts
 * export class StoreError extends NoaError {
 *   static {
 *     brandError(StoreError, 'StoreError')
 *   }
 * }
 * ```
 */
export function brandError(errorClass: ErrorClass, name: string): void {
  const brand = Symbol.for(`noa.${name}`)
  Object.defineProperty(errorClass, BRAND_KEY, { value: brand })
  Object.defineProperty(errorClass.prototype, brand, { value: true })
}

/** `instanceof` by brand for a branded class, by prototype chain for any other. */
function isInstance(errorClass: ErrorClass, value: unknown): boolean {
  if (!Object.hasOwn(errorClass, BRAND_KEY))
    return Function.prototype[Symbol.hasInstance].call(errorClass, value)
  const brand = (errorClass as unknown as Record<symbol, symbol>)[BRAND_KEY] as symbol
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
}

/**
 * Base class of every error noa throws on purpose. `instanceof` a branded class (NoaError,
 * ConfigError, TimeoutError, StoreError, ...) checks its brand, not the prototype chain.
 */
export class NoaError extends Error {
  static {
    brandError(NoaError, 'NoaError')
  }

  static override [Symbol.hasInstance]<T extends Error>(
    this: abstract new (
      ...args: never[]
    ) => T,
    value: unknown,
  ): value is T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about, a subclass too.
    return isInstance(this, value)
  }

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
  static {
    brandError(ConfigError, 'ConfigError')
  }

  readonly issues: readonly ConfigIssue[]
  constructor(issues: readonly ConfigIssue[], options: Omit<NoaErrorOptions, 'code'> = {}) {
    super(formatIssues(issues), { ...options, code: 'ERR_CONFIG' })
    this.issues = issues
  }
}

/** Thrown when work did not finish within its time limit. */
export class TimeoutError extends NoaError {
  static {
    brandError(TimeoutError, 'TimeoutError')
  }

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
  /** The kind of problem; `unrecognized_keys` (an object with keys it does not allow) becomes one issue per key. */
  readonly code?: string
  /** With `unrecognized_keys`: the keys that are not allowed. */
  readonly keys?: readonly string[]
  /** With `unrecognized_keys`: the keys that are, when known (see {@link recordKnownKeys}). */
  readonly knownKeys?: readonly string[]
}

/**
 * An error map for zod (`schema.safeParse(value, { reportInput: true, error: recordKnownKeys })`):
 * when an object meets keys it does not allow, it notes the keys it does allow on the issue,
 * so {@link toConfigIssues} can suggest the closest one. It leaves every message to zod.
 *
 * @example
 * ```ts
 * const parsed = z.strictObject({ interval: z.number() }).safeParse({ intervall: 5 }, { error: recordKnownKeys })
 * toConfigIssues(parsed.error.issues, 'healthChecks') // [{ path: 'healthChecks.intervall', message: 'unknown key; did you mean interval?' }]
 * ```
 */
export function recordKnownKeys(issue: {
  code?: string
  inst?: unknown
  knownKeys?: readonly string[]
}): undefined {
  if (issue.code !== 'unrecognized_keys') return undefined
  const shape = (issue.inst as { shape?: unknown } | undefined)?.shape
  if (shape !== null && typeof shape === 'object') issue.knownKeys = Object.keys(shape)
  return undefined
}

/** Edit distance where swapping two neighbouring letters counts as one edit (`autoRestrat`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  return d[a.length]![b.length]!
}

/**
 * The known key closest to `key`, when one is close enough to be a typo of it: at most one
 * edit per three letters (case ignored), the nearest first.
 *
 * @example
 * ```ts
 * closestKey('autoRestrat', ['autoRestart', 'maxRestarts']) // 'autoRestart'
 * ```
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  const lower = key.toLowerCase()
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined
}

function unknownKeyMessage(key: string, known: readonly string[] | undefined): string {
  if (known === undefined) return 'unknown key'
  if (known.length === 0) return 'unknown key; this object takes no keys'
  const near = closestKey(key, known)
  return near === undefined
    ? `unknown key; allowed: ${known.join(', ')}`
    : `unknown key; did you mean ${near}?`
}

function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

/**
 * Turns schema issues into {@link ConfigIssue}s: a dot path (under `prefix`) and a message
 * that says what is allowed and, when known, what was found. Keys an object does not allow
 * give one issue each, at the key's own path, with the closest allowed key when one is near
 * (`selfHealing.autoRestrat: unknown key; did you mean autoRestart?`); their values are never
 * shown.
 *
 * @example
 * ```ts
 * const parsed = schema.safeParse(options, { reportInput: true })
 * if (!parsed.success) throw new ConfigError(toConfigIssues(parsed.error.issues, 'services.api'))
 * ```
 */
export function toConfigIssues(issues: readonly SchemaIssueLike[], prefix = ''): ConfigIssue[] {
  return issues.flatMap((issue) => {
    const parts = [prefix, ...issue.path.map(String)].filter((p) => p !== '')
    if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0)
      return issue.keys.map((key) => ({
        path: [...parts, key].join('.'),
        message: unknownKeyMessage(key, issue.knownKeys),
      }))
    const found =
      'input' in issue && !issue.message.includes('received') ? `; found ${describeFound(issue.input)}` : ''
    return [{ path: parts.join('.'), message: `${issue.message}${found}` }]
  })
}
