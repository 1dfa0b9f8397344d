import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, resolve } from 'node:path'
import { compileRules } from '@noa/alerts'
import { CHANNEL_TYPES } from '@noa/alerts/config'
import { ConfigError, type ConfigIssue, closestKey, recordKnownKeys, toConfigIssues } from '@noa/core'
import { parseServiceChecks, serviceCheckSchema } from '@noa/health/config'
import type { z } from 'zod'
import { parseApiTokens } from './api-tokens.ts'
import { interpolateEnv } from './interpolate.ts'
import { maintenanceConfigIssues } from './maintenance.ts'
import { configuredRules } from './rules.ts'
import {
  type AgentConfig,
  type AgentService,
  channelEntrySchemas,
  configShapeSchema,
  serviceExtrasSchema,
} from './schema.ts'
import { findLiteralSecrets, serviceLabel } from './secrets.ts'
import { sloIssues } from './slo.ts'
import { expandTemplate } from './templates.ts'

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

function isDisabled(root: unknown, path: string): boolean {
  let node: unknown = root
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return false
    if ((node as { enabled?: unknown }).enabled === false) return true
    node = (node as Record<string, unknown>)[part]
  }
  return false
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

// A service entry holds its health check's fields (@noa/health) and the agent's extras.
const CHECK_KEYS = new Set(Object.keys(serviceCheckSchema.shape))
const EXTRA_KEYS = new Set(Object.keys(serviceExtrasSchema.shape))
const SERVICE_KEYS = [...CHECK_KEYS, ...EXTRA_KEYS]

/** Schema issues as config problems under `prefix`, unknown keys named with the key they are a typo of. */
const issuesOf = (error: z.ZodError, prefix = '') => toConfigIssues(error.issues, prefix)
const parse = <S extends z.ZodType>(schema: S, value: unknown) =>
  schema.safeParse(value, { reportInput: true, error: recordKnownKeys })

/**
 * Validates a parsed configuration: `${ENV}` interpolation, every section, every service
 * (paths name the service: `services.mcp-server.check.url`), every alert channel against
 * its type's options, that no object has a key it does not know (with the key it is a
 * typo of), and that secrets come from the environment. Returns every problem at once.
 */
export function validateConfig(input: unknown, env: ConfigEnv = {}): Validated {
  if (!isObject(input))
    return { ok: false, issues: [{ path: '', message: 'expected a JSON object with the config sections' }] }
  const interpolated = interpolateEnv(input, env)
  const raw = interpolated.value as Record<string, unknown>
  // A disabled channel or integration may name a variable that is not set.
  const issues: ConfigIssue[] = interpolated.issues.filter((i) => !isDisabled(raw, i.path))
  const secrets = findLiteralSecrets(input)
  issues.push(...secrets.issues)
  // The API tokens come from the environment only; a bad list is a problem of this start like any other.
  issues.push(...parseApiTokens(env).issues)
  const fail = (found: readonly ConfigIssue[]) =>
    issues.push(...redactIssues(found, interpolated.fromEnv, secrets.secretPaths))

  const parsed = parse(configShapeSchema, raw)
  if (!parsed.success) fail(issuesOf(parsed.error))

  const config = parsed.success ? parsed.data : undefined
  const rawServices = Array.isArray(raw.services) ? [...raw.services] : []
  config?.serviceTemplates.forEach((t, i) => {
    const made = expandTemplate(t.template, t.targets, `serviceTemplates.${i}`)
    // A template with a hole would only repeat its problem once per service.
    if (made.issues.length > 0) fail(made.issues)
    else rawServices.push(...made.services)
  })
  const hc = (config?.healthChecks ?? {}) as Partial<AgentConfig['healthChecks']>
  for (const e of hc.endpoints ?? [])
    rawServices.push({
      name: e.name,
      critical: e.critical,
      dependsOn: e.dependsOn,
      check: { type: 'http', url: e.url },
    })
  const services = validateServices(rawServices, hc, fail)
  validateChannels(raw, fail)
  if (config?.alerting.rules) validateRules(config.alerting, fail)
  if (config) fail(maintenanceConfigIssues(config.maintenance, services))
  if (config?.cluster.shareChecks && config.store.type !== 'postgres')
    fail([
      {
        path: 'cluster.shareChecks',
        message: 'sharing the checks needs a postgres store that every agent uses',
      },
    ])

  if (issues.length > 0 || !config) return { ok: false, issues }
  const { serviceTemplates: _expanded, ...sections } = config
  return { ok: true, config: applyEnv({ ...sections, services } as AgentConfig, env) }
}

/**
 * Each service: its health check through @noa/health (fields, unique names, known
 * dependencies, no cycle), its extras through the agent's schema, and no key that is
 * neither. Per-service defaults come from the healthChecks section, as in the seed.
 */
function validateServices(
  rawServices: unknown[],
  hc: Partial<AgentConfig['healthChecks']>,
  fail: (issues: readonly ConfigIssue[]) => void,
): AgentService[] {
  const parts = rawServices.map((s, i) => {
    if (!isObject(s)) return { check: s, extras: {}, unknown: [] as string[], prefix: `services.${i}` }
    const withDefaults: Record<string, unknown> = {
      interval: hc.interval,
      timeout:
        hc.timeout === undefined
          ? undefined
          : Math.min(hc.timeout, (s.interval as number | undefined) ?? hc.interval ?? hc.timeout),
      retries: hc.retries,
      ...s,
    }
    const check: Record<string, unknown> = {}
    const extras: Record<string, unknown> = {}
    const unknown: string[] = []
    for (const [key, value] of Object.entries(withDefaults)) {
      if (CHECK_KEYS.has(key)) check[key] = value
      else if (EXTRA_KEYS.has(key)) extras[key] = value
      else unknown.push(key)
    }
    return { check, extras, unknown, prefix: `services.${serviceLabel(s, i)}` }
  })
  let checks: ReturnType<typeof parseServiceChecks> = []
  try {
    checks = parseServiceChecks(parts.map((p) => p.check))
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    fail(error.issues)
  }
  // By name, not a search per service: a fleet of 10,000 would be 10^8 comparisons.
  const checkByName = new Map(checks.map((c) => [c.name, c]))
  const services: AgentService[] = []
  for (const { check, extras, unknown, prefix } of parts) {
    if (unknown.length > 0)
      fail(
        toConfigIssues(
          [{ code: 'unrecognized_keys', path: [], message: '', keys: unknown, knownKeys: SERVICE_KEYS }],
          prefix,
        ),
      )
    const result = parse(serviceExtrasSchema, extras)
    if (!result.success) fail(issuesOf(result.error, prefix))
    else fail(sloIssues(result.data, prefix))
    const name = (check as { name?: unknown }).name
    const found = typeof name === 'string' ? checkByName.get(name) : undefined
    if (found && result.success && unknown.length === 0)
      services.push({ ...found, ...result.data } as AgentService)
  }
  return services
}

/**
 * The rules as the alert engine compiles them at start: unique names, conditions that parse,
 * a scope the condition allows. Without it `noa validate` passed a config the agent refused.
 */
function validateRules(
  alerting: AgentConfig['alerting'],
  fail: (issues: readonly ConfigIssue[]) => void,
): void {
  const { rules, paths } = configuredRules(alerting)
  try {
    compileRules(rules, (index) => paths[index]!)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    fail(error.issues)
  }
}

/**
 * Every channel entry against its type's options (the type defaults to the entry's name),
 * plus `enabled`, `minSeverity` and `sendResolved`. A disabled channel is checked for
 * unknown keys only: its values (a variable that is not set) do not matter while it is off.
 */
function validateChannels(
  raw: Record<string, unknown>,
  fail: (issues: readonly ConfigIssue[]) => void,
): void {
  const channels = isObject(raw.alerting) ? raw.alerting.channels : undefined
  if (!isObject(channels)) return
  for (const [name, entry] of Object.entries(channels)) {
    if (!isObject(entry)) continue
    const path = `alerting.channels.${name}`
    const type = typeof entry.type === 'string' ? entry.type : name
    const schema = channelEntrySchemas[type]
    if (!schema) {
      const near = closestKey(type, CHANNEL_TYPES)
      const allowed = near ? `did you mean ${near}?` : `allowed: ${CHANNEL_TYPES.join(', ')}`
      fail([
        entry.type === undefined
          ? {
              path,
              message: `unknown channel type "${name}" (the type defaults to the entry's name); set type, or ${allowed}`,
            }
          : { path: `${path}.type`, message: `unknown channel type "${type}"; ${allowed}` },
      ])
      continue
    }
    const result = parse(schema, entry)
    if (result.success) continue
    const off = entry.enabled === false || (isObject(raw.alerting) && raw.alerting.enabled === false)
    fail(
      toConfigIssues(
        off ? result.error.issues.filter((i) => i.code === 'unrecognized_keys') : result.error.issues,
        path,
      ),
    )
  }
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

/** A value that came from the environment, or a secret, is never echoed in an error. */
function redactIssues(
  issues: readonly ConfigIssue[],
  fromEnv: ReadonlySet<string>,
  secrets: ReadonlySet<string>,
): ConfigIssue[] {
  return issues.map((i) => {
    if (!fromEnv.has(i.path) && !secrets.has(i.path)) return i
    const found = fromEnv.has(i.path) ? 'a value from the environment' : 'a secret'
    return { path: i.path, message: i.message.replace(/; found .*$/s, `; found ${found}`) }
  })
}

/**
 * Reads, parses and validates a config file, with the services of its `servicesDir` folder
 * (`services.d` next to it by default) added to its own.
 */
export function loadConfigFile(file: string, env: ConfigEnv = {}): Validated {
  const read = readText(file)
  if (typeof read !== 'string') return { ok: false, issues: [read] }
  const { value, issues } = parseConfigText(read, file)
  if (issues.length > 0) return { ok: false, issues }
  if (!isObject(value)) return validateConfig(value, env)
  const dirName = typeof value.servicesDir === 'string' ? value.servicesDir : 'services.d'
  const dir = resolve(dirname(file), dirName)
  const extra = readServicesDir(dir, dirName, value.servicesDir !== undefined)
  if (extra.issues.length > 0) return { ok: false, issues: extra.issues }
  const merged = { ...value }
  if (extra.services.length > 0)
    merged.services = [...(Array.isArray(value.services) ? value.services : []), ...extra.services]
  if (extra.templates.length > 0)
    merged.serviceTemplates = [
      ...(Array.isArray(value.serviceTemplates) ? value.serviceTemplates : []),
      ...extra.templates,
    ]
  return validateConfig(merged, env)
}

function readText(file: string): string | ConfigIssue {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return { path: '', message: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : String(code)}` }
  }
}

/**
 * The services and templates of every `*.yaml`, `*.yml` and `*.json` file of a folder, in name
 * order: each file a list of services or `{ services, serviceTemplates }`. A folder that does
 * not exist is nothing, unless the config named it.
 */
function readServicesDir(
  dir: string,
  shown: string,
  named: boolean,
): { services: unknown[]; templates: unknown[]; issues: ConfigIssue[] } {
  const out = { services: [] as unknown[], templates: [] as unknown[], issues: [] as ConfigIssue[] }
  let files: string[]
  try {
    files = readdirSync(dir)
      .filter((f) => /\.(ya?ml|json)$/i.test(f))
      .sort()
  } catch {
    if (named) out.issues.push({ path: 'servicesDir', message: `cannot read the folder "${shown}"` })
    return out
  }
  for (const f of files) {
    const path = `${shown}/${f}`
    const text = readText(join(dir, f))
    if (typeof text !== 'string') {
      out.issues.push({ path, message: text.message })
      continue
    }
    const { value, issues } = parseConfigText(text, path)
    out.issues.push(...issues)
    if (Array.isArray(value)) out.services.push(...value)
    else if (isObject(value)) {
      const unknown = Object.keys(value).filter((k) => k !== 'services' && k !== 'serviceTemplates')
      for (const key of unknown)
        out.issues.push({
          path: `${path}.${key}`,
          message: `unknown key; a services file holds services and serviceTemplates`,
        })
      if (Array.isArray(value.services)) out.services.push(...value.services)
      if (Array.isArray(value.serviceTemplates)) out.templates.push(...value.serviceTemplates)
    } else if (value !== undefined && value !== null)
      out.issues.push({ path, message: 'expected a list of services or { services, serviceTemplates }' })
  }
  return out
}

/** One line per problem: `path: message` (the file itself when the path is empty). */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
}
