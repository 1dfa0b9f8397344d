import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { extname } from 'node:path'
import { channelOptionsSchema } from '@noa/alerts'
import { ConfigError, type ConfigIssue, toConfigIssues } from '@noa/core'
import { parseServiceChecks } from '@noa/health'
import { interpolateEnv } from './interpolate.ts'
import { type AgentConfig, type AgentService, configShapeSchema, serviceExtrasSchema } from './schema.ts'

/** Keys whose values are secrets: they must come from the environment (`${NAME}`), never the file. */
const SECRET_KEY = /(password|secret|token|apikey|api_key|routingkey|connectionstring|webhookurl)$/i
/** Channel types whose `url` carries a secret (a Slack or Discord webhook URL is a credential). */
const SECRET_URL_CHANNELS = new Set(['webhook', 'slack', 'discord'])

/** Result of {@link validateConfig}: the config when valid, else every problem. */
export type Validated = { ok: true; config: AgentConfig } | { ok: false; issues: ConfigIssue[] }

/** Environment variables that change the configuration (the seed's and noa's). */
export interface ConfigEnv {
  [name: string]: string | undefined
}

const truthy = (v: string) => /^(1|true|yes|on)$/i.test(v)

// The YAML parser is loaded for YAML files only: the daemon of a JSON config keeps its
// modules (about 1 MB of heap) out of memory.
const require = createRequire(import.meta.url)
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text)

/** Parses the text of a config file: YAML for .yaml/.yml, else JSON (with a line and column on error). */
export function parseConfigText(text: string, file: string): { value?: unknown; issues: ConfigIssue[] } {
  const yaml = /\.ya?ml$/i.test(extname(file))
  try {
    return { value: yaml ? parseYaml(text) : JSON.parse(text), issues: [] }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { issues: [{ path: '', message: `${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${message}` }] }
  }
}

function walkSecrets(value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkSecrets(v, `${path}.${i}`, out)
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k
      if (typeof v === 'string' && SECRET_KEY.test(k)) out.push(p)
      else walkSecrets(v, p, out)
    }
}

function isDisabled(root: unknown, path: string): boolean {
  let node: unknown = root
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return false
    if ((node as { enabled?: unknown }).enabled === false) return true
    node = (node as Record<string, unknown>)[part]
  }
  return false
}

/**
 * Validates a parsed configuration: `${ENV}` interpolation, every section, every service
 * (paths name the service: `services.mcp-server.check.url`), every enabled alert channel,
 * and that secrets come from the environment. Returns every problem at once.
 */
export function validateConfig(input: unknown, env: ConfigEnv = {}): Validated {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, issues: [{ path: '', message: 'expected a JSON object with the config sections' }] }
  const interpolated = interpolateEnv(input, env)
  const raw = interpolated.value as Record<string, unknown>
  // A disabled channel or integration may name a variable that is not set.
  const issues: ConfigIssue[] = interpolated.issues.filter((i) => !isDisabled(raw, i.path))

  const secretPaths: string[] = []
  walkSecrets(raw, '', secretPaths)
  const channels = (raw.alerting as { channels?: Record<string, unknown> } | undefined)?.channels
  if (channels && typeof channels === 'object')
    for (const [name, entry] of Object.entries(channels)) {
      const e = entry as { type?: unknown; url?: unknown } | null
      if (typeof e?.url === 'string' && SECRET_URL_CHANNELS.has(String(e.type ?? name)))
        secretPaths.push(`alerting.channels.${name}.url`)
    }
  for (const path of secretPaths)
    if (!interpolated.fromEnv.has(path) && !isDisabled(raw, path))
      issues.push({
        path,
        message: `is a secret and must come from the environment: write $\{NAME}; found a literal value`,
      })

  const parsed = configShapeSchema.safeParse(raw, { reportInput: true })
  if (!parsed.success) issues.push(...redactIssues(toConfigIssues(parsed.error.issues), interpolated.fromEnv))

  const config = parsed.success ? parsed.data : undefined
  const services: AgentService[] = []
  const rawServices = Array.isArray(raw.services) ? [...raw.services] : []
  const hc = (config?.healthChecks ?? {}) as Partial<AgentConfig['healthChecks']>
  for (const e of hc.endpoints ?? [])
    rawServices.push({
      name: e.name,
      critical: e.critical,
      dependsOn: e.dependsOn,
      check: { type: 'http', url: e.url },
    })
  // Per-service defaults come from the healthChecks section, as in the seed.
  const withDefaults = rawServices.map((s) =>
    s !== null && typeof s === 'object'
      ? {
          interval: hc.interval,
          timeout:
            hc.timeout === undefined
              ? undefined
              : Math.min(hc.timeout, (s as { interval?: number }).interval ?? hc.interval ?? hc.timeout),
          retries: hc.retries,
          ...s,
        }
      : s,
  )
  let checks: ReturnType<typeof parseServiceChecks> = []
  try {
    checks = parseServiceChecks(withDefaults)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    issues.push(...redactIssues(error.issues, interpolated.fromEnv))
  }
  withDefaults.forEach((s, i) => {
    const name = (s as { name?: unknown })?.name
    const prefix = `services.${typeof name === 'string' && name ? name : i}`
    const extras = serviceExtrasSchema.safeParse(s, { reportInput: true })
    if (!extras.success)
      issues.push(...redactIssues(toConfigIssues(extras.error.issues, prefix), interpolated.fromEnv))
    else {
      const check = checks.find((c) => c.name === name)
      if (check) services.push({ ...check, ...extras.data } as AgentService)
    }
  })

  // Every enabled channel is checked against its type's options, even when other sections fail.
  for (const [name, entry] of Object.entries(channels && typeof channels === 'object' ? channels : {})) {
    if (entry === null || typeof entry !== 'object' || (entry as { enabled?: unknown }).enabled === false)
      continue
    const { enabled: _e, minSeverity: _m, sendResolved: _s, ...options } = entry as Record<string, unknown>
    const result = channelOptionsSchema.safeParse(
      { ...options, type: options.type ?? name },
      { reportInput: true },
    )
    if (!result.success)
      issues.push(
        ...redactIssues(
          toConfigIssues(result.error.issues, `alerting.channels.${name}`),
          interpolated.fromEnv,
        ),
      )
  }
  if (issues.length > 0 || !config) return { ok: false, issues }
  return { ok: true, config: applyEnv({ ...config, services } as AgentConfig, env) }
}

/** The seed's environment variables and noa's overrides, applied after validation. */
function applyEnv(config: AgentConfig, env: ConfigEnv): AgentConfig {
  const out = structuredClone(config)
  if (env.LOG_LEVEL && ['debug', 'info', 'warn', 'error'].includes(env.LOG_LEVEL))
    out.logs.level = env.LOG_LEVEL as AgentConfig['logs']['level']
  else if (env.NODE_ENV === 'development') out.logs.level = 'debug'
  if (env.METRICS_ENABLED) out.metrics.enabled = truthy(env.METRICS_ENABLED)
  if (env.AUDIT_ENABLED) out.logs.audit = truthy(env.AUDIT_ENABLED)
  if (env.NOA_HOST) out.dashboard.host = env.NOA_HOST
  if (env.NOA_PORT && /^\d+$/.test(env.NOA_PORT) && Number(env.NOA_PORT) <= 65_535)
    out.dashboard.port = Number(env.NOA_PORT)
  return out
}

/** A value that came from the environment is never echoed in an error. */
function redactIssues(issues: readonly ConfigIssue[], fromEnv: ReadonlySet<string>): ConfigIssue[] {
  return issues.map((i) =>
    fromEnv.has(i.path)
      ? { path: i.path, message: i.message.replace(/; found .*$/s, '; found a value from the environment') }
      : i,
  )
}

/** Reads, parses and validates a config file. */
export function loadConfigFile(file: string, env: ConfigEnv = {}): Validated {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {
      ok: false,
      issues: [
        { path: '', message: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : String(code)}` },
      ],
    }
  }
  const { value, issues } = parseConfigText(text, file)
  if (issues.length > 0) return { ok: false, issues }
  return validateConfig(value, env)
}

/** One line per problem: `path: message` (the file itself when the path is empty). */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
}
