import type { ConfigIssue } from '@noa/core'
import { ConfigError, recordKnownKeys, toConfigIssues } from '@noa/core'
import { z } from 'zod'
import type { HttpCheckOptions } from './checkers/http/schema.ts'
import { CHECK_TYPES, checkSchema } from './checkers/schema.ts'
import { type Condition, parseCondition } from './conditions.ts'
import { redactSecrets } from './redact.ts'

/**
 * What a service may be called: 1 to 64 letters, digits, `.`, `_` and `-`, and neither `.`
 * nor `..`. A name becomes part of file names (a supervisor's `logs/services/<name>.out.log`,
 * a backup folder), metric labels and URL paths, so it can never leave its folder.
 */
export const SERVICE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,64}$/

/** Delay growth between the attempts of one check. */
export const retryBackoffSchema = z.strictObject({
  /** Delay before the first retry, ms. @default 1000 */
  initialMs: z.number().int().min(0).default(1000),
  /** Longest delay, ms. @default 10000 */
  maxMs: z.number().int().min(0).default(10_000),
  /** Growth per retry. @default 2 */
  factor: z.number().min(1).default(2),
  /** Random fraction taken off each delay, 0-1. @default 0.2 */
  jitter: z.number().min(0).max(1).default(0.2),
})

/** One condition on a check's result (see {@link parseCondition}). */
export const conditionSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseCondition(text)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
})

/** Flapping detection: `limit` state changes within `windowMs` hold the state and mark the service flapping. */
export const flappingSchema = z.strictObject({
  /** @default 600000 (10 minutes) */
  windowMs: z.number().int().positive().default(600_000),
  /** Changes within the window that make a service flapping. @default 5 */
  limit: z.number().int().min(2).default(5),
})

/**
 * One monitored service: what to check and how often, how many failures make it down,
 * whether it is critical and what it depends on. Exported so the agent can compose it
 * into its configuration schema.
 *
 * @example
 * ```ts
 * serviceCheckSchema.parse({ name: 'mcp-server', check: { type: 'http', url: 'http://localhost:8001/health' } })
 * ```
 */
export const serviceCheckSchema = z
  .strictObject({
    /** The service's name, e.g. `mcp-server` (see {@link SERVICE_NAME}). */
    name: z
      .string()
      .regex(SERVICE_NAME, 'expected 1 to 64 letters, digits, ".", "_" or "-", not "." or ".."'),
    /** What to check; `type` selects the checker. */
    check: checkSchema,
    /** Time between checks, ms. @default 30000 */
    interval: z.number().int().positive().default(30_000),
    /** Time limit of one attempt, ms; must not exceed `interval`. @default 5000 */
    timeout: z.number().int().positive().default(5_000),
    /** Retries after a failed attempt, with backoff and jitter between them. @default 3 */
    retries: z.number().int().min(0).max(20).default(3),
    /** Delays between attempts. @default { initialMs: 1000, maxMs: 10000, factor: 2, jitter: 0.2 } */
    backoff: retryBackoffSchema.default({ initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.2 }),
    /** A critical service down makes the overall status `unhealthy`; a non-critical one `degraded`. @default true */
    critical: z.boolean().default(true),
    /** Names of the services this one needs. @default [] */
    dependsOn: z.array(z.string().min(1)).default([]),
    /** Consecutive failed results before healthy turns down (Kubernetes probes' failureThreshold). @default 1 */
    failureThreshold: z.number().int().min(1).default(1),
    /** Consecutive healthy results before a down service is healthy again. @default 1 */
    successThreshold: z.number().int().min(1).default(1),
    /** Flapping detection. @default { windowMs: 600000, limit: 5 } */
    flapping: flappingSchema.default({ windowMs: 600_000, limit: 5 }),
    /**
     * Conditions a healthy answer must also meet, as Gatus writes them: `[RESPONSE_TIME] < 300`,
     * `[STATUS] == 200`, `[CERTIFICATE_EXPIRATION] > 7d`, `[DETAILS].<key> >= 1`. Each that
     * fails is named in the result. @default []
     */
    conditions: z.array(conditionSchema).max(32).default([]),
  })
  .refine((s) => !(s.interval > 0 && s.timeout > 0) || s.timeout <= s.interval, {
    path: ['timeout'],
    error: (issue) => {
      const s = issue.input as { timeout: number; interval: number }
      return `must not be longer than interval (${s.interval} ms); found ${s.timeout}`
    },
    abort: true,
  })
  .refine((s) => s.backoff.maxMs >= s.backoff.initialMs, {
    path: ['backoff', 'maxMs'],
    message: 'must be >= backoff.initialMs',
  })

/** A validated service check, with every default applied. */
export type ServiceCheck = z.output<typeof serviceCheckSchema>
/** A service check as written in config. */
export type ServiceCheckInput = z.input<typeof serviceCheckSchema>

/**
 * A condition on `[BODY]` reads the answer's body, which only the http checker has: its check is
 * told to hand the body over (it is read, up to `maxBodyBytes`, only then); on another checker
 * the condition is refused, naming its index.
 */
function handBodyToConditions(service: ServiceCheck): { index: number; message: string } | undefined {
  const index = service.conditions.findIndex((text) => (parseCondition(text) as Condition).readsBody)
  if (index < 0) return undefined
  const { check } = service
  if (check.type !== 'http' && check.type !== 'https')
    return { index, message: `[BODY] needs an http or https check; this one is ${check.type}` }
  const withBody: HttpCheckOptions = { ...check, readBody: true }
  service.check = withBody
  return undefined
}

// A name that is not a valid one is shown by its index: it could be anything, even a path.
const nameOf = (raw: unknown, index: number): string => {
  const name = (raw as { name?: unknown } | null)?.name
  return typeof name === 'string' && SERVICE_NAME.test(name) ? name : String(index)
}

function rawDependsOn(raw: unknown): string[] {
  const deps = (raw as { dependsOn?: unknown } | null)?.dependsOn
  return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : []
}

function findCycles(deps: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const cycles: string[][] = []
  const visit = (name: string) => {
    state.set(name, 'visiting')
    stack.push(name)
    for (const dep of deps.get(name) ?? []) {
      if (!deps.has(dep)) continue
      const seen = state.get(dep)
      if (seen === 'visiting') cycles.push([...stack.slice(stack.indexOf(dep)), dep])
      else if (seen === undefined) visit(dep)
    }
    stack.pop()
    state.set(name, 'done')
  }
  for (const name of deps.keys()) if (!state.has(name)) visit(name)
  return cycles
}

/**
 * Validates a list of service checks as a whole: each service's fields, unique names, known
 * dependencies and no dependency cycle. Throws one {@link ConfigError} listing every problem,
 * each as `services.<name>.<field>: message`.
 *
 * @example
 * ```ts
 * const services = parseServiceChecks([
 *   { name: 'claude-flow', check: { type: 'http', url: 'http://localhost:9100/health' } },
 *   { name: 'mcp-server', check: { type: 'http', url: 'http://localhost:8001/health' }, dependsOn: ['claude-flow'] },
 * ])
 * ```
 */
export function parseServiceChecks(input: unknown, prefix = 'services'): ServiceCheck[] {
  if (!Array.isArray(input))
    throw new ConfigError([{ path: prefix, message: 'expected an array of services' }])
  const issues: ConfigIssue[] = []
  const services: ServiceCheck[] = []
  input.forEach((raw, index) => {
    const name = nameOf(raw, index)
    const parsed = serviceCheckSchema.safeParse(raw, { reportInput: true, error: recordKnownKeys })
    if (parsed.success) {
      const problem = handBodyToConditions(parsed.data)
      if (problem)
        issues.push({ path: `${prefix}.${name}.conditions.${problem.index}`, message: problem.message })
      else services.push(parsed.data)
      return
    }
    const type = (raw as { check?: { type?: unknown } } | null)?.check?.type
    const zodIssues = parsed.error.issues.map((issue) => {
      if (issue.path.join('.') === 'check.type')
        return {
          path: issue.path,
          message: `unknown checker type ${JSON.stringify(type)}; allowed: ${CHECK_TYPES.join(', ')}`,
        }
      // A refinement sees the whole object: its message names the value, so drop the input.
      return issue.code === 'custom' ? { path: issue.path, message: issue.message } : issue
    })
    for (const issue of toConfigIssues(zodIssues, `${prefix}.${name}`))
      issues.push({ path: issue.path, message: redactSecrets(issue.message) })
  })
  const names = new Set<string>()
  for (const s of services) {
    if (names.has(s.name))
      issues.push({ path: `${prefix}.${s.name}.name`, message: `duplicate service name "${s.name}"` })
    names.add(s.name)
  }
  // A beat names its check by the token alone: two push checks sharing one could not be told apart.
  const pushTokens = new Map<string, string>()
  for (const s of services) {
    if (s.check.type !== 'push') continue
    const first = pushTokens.get(s.check.token)
    if (first !== undefined)
      issues.push({
        path: `${prefix}.${s.name}.check.token`,
        message: `the same token as service "${first}": each push check needs its own`,
      })
    else pushTokens.set(s.check.token, s.name)
  }
  const deps = new Map<string, string[]>()
  input.forEach((raw, index) => {
    const name = nameOf(raw, index)
    deps.set(name, [...(deps.get(name) ?? []), ...rawDependsOn(raw)])
  })
  for (const [name, dependsOn] of deps)
    dependsOn.forEach((dep, i) => {
      if (!deps.has(dep))
        issues.push({
          path: `${prefix}.${name}.dependsOn.${i}`,
          message: `unknown service "${dep}"; known: ${[...deps.keys()].join(', ')}`,
        })
    })
  for (const cycle of findCycles(deps))
    issues.push({
      path: `${prefix}.${cycle[0]}.dependsOn`,
      message: `dependency cycle ${cycle.join(' -> ')}`,
    })
  if (issues.length > 0) throw new ConfigError(issues)
  return services
}

/** Monitor-wide settings (the services come separately). */
export const monitorSettingsSchema = z.object({
  /** Check attempts running at once, across all services. @default 64 */
  concurrency: z.number().int().positive().default(64),
  /** The first run of each service waits a random delay up to this (bounded by its interval), ms. @default 1000 */
  firstRunJitterMs: z.number().int().min(0).default(1000),
  /**
   * First checks started per second, on average, when more services start at once than one
   * second (or `firstRunJitterMs`, if longer) holds at this rate: their first checks are then spread evenly over
   * `services / firstRunRate` seconds, never longer than 90 % of each one's interval, so that a large
   * fleet runs at its steady rate from the start instead of in one burst per interval.
   * @default 100
   */
  firstRunRate: z.number().positive().default(100),
  /**
   * Scheduled checks start on a grid of this many ms (up to one tick after their interval),
   * together with the others due in the same tick; 0 starts each at its own time. @default 100
   */
  scheduleTickMs: z.number().int().min(0).max(1000).default(100),
})
