import type { ConfigIssue } from '@noa/core'
import { SERVICE_NAME } from '@noa/health/config'

/** Keys whose values are secrets: they must come from the environment (`${NAME}`), never the file. */
const SECRET_KEY = /(password|secret|token|apikey|api_key|routingkey|connectionstring|webhookurl)$/i
/** Header names whose values are credentials (`authorization`, `x-api-key`, `private-token`...). */
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie)$|auth|token|secret|passw|api[-_]?key|(^|[-_])key$|session|signature|credential/i
/** Query parameters whose values are credentials (`?token=`, `?api_key=`, `?sig=`). */
const CREDENTIAL_PARAM = /token|secret|passw|api[-_]?key|^key$|^sig(nature)?$|^auth$/i
/** Channel types whose `url` is itself a secret (a Slack or Discord webhook URL is a credential). */
const SECRET_URL_CHANNELS = new Set(['webhook', 'slack', 'discord'])
const REFERENCE = '$' + '{'

const fromEnvMessage = `is a secret and must come from the environment: write ${REFERENCE}NAME}; found a literal value`

/** What the walk found: the problems, and every path that holds a secret (never echoed in errors). */
export interface SecretScan {
  issues: ConfigIssue[]
  secretPaths: Set<string>
}

/**
 * Finds the secrets written into a configuration instead of taken from the environment:
 * values of secret keys (`password`, `token`, `connectionString`...), credential headers in
 * any `headers` map, passwords in URLs (`scheme://user:password@host`), credential query
 * parameters (`?token=`), and whole webhook URLs (alert webhook, Slack and Discord channels,
 * webhook hooks). Walks the file as written, before `${NAME}` is replaced; a section with
 * `enabled: false` is skipped. Paths name services by their name, like every other problem.
 */
export function findLiteralSecrets(input: Record<string, unknown>): SecretScan {
  const issues: ConfigIssue[] = []
  const secretPaths = new Set<string>()
  const wholeUrls = secretUrlPaths(input)
  const walk = (value: unknown, path: string, key: string, inHeaders: boolean): void => {
    if (typeof value === 'string') {
      const wholeSecret =
        SECRET_KEY.test(key) || (inHeaders && CREDENTIAL_HEADER.test(key)) || wholeUrls.has(path)
      const problem = wholeSecret
        ? value.includes(REFERENCE)
          ? undefined
          : fromEnvMessage
        : urlCredential(value)
      // Every header value is kept out of errors, credential or not, as @noa/alerts does.
      if (wholeSecret || inHeaders || problem !== undefined) secretPaths.add(path)
      if (problem !== undefined) issues.push({ path, message: problem })
      return
    }
    if (value === null || typeof value !== 'object') return
    if ((value as { enabled?: unknown }).enabled === false) return
    const entries = Array.isArray(value) ? value.entries() : Object.entries(value)
    for (const [k, v] of entries) walk(v, path ? `${path}.${k}` : String(k), String(k), key === 'headers')
  }
  for (const [section, value] of Object.entries(input)) {
    if (section === 'services' && Array.isArray(value))
      for (const [i, service] of value.entries())
        walk(service, `services.${serviceLabel(service, i)}`, '', false)
    else walk(value, section, section, false)
  }
  // The remote-write URL may carry credentials (Grafana Cloud, a path token): never echoed.
  secretPaths.add('integrations.prometheus.remoteWrite.url')
  // So may the OTLP endpoint's path (a tenant token).
  secretPaths.add('integrations.otlp.url')
  return { issues, secretPaths }
}

/** Paths whose whole value is a secret URL: webhook, Slack and Discord channel URLs, webhook hooks. */
function secretUrlPaths(input: Record<string, unknown>): Set<string> {
  const paths = new Set<string>()
  const channels = (input.alerting as { channels?: unknown } | undefined)?.channels
  if (isObject(channels))
    for (const [name, entry] of Object.entries(channels))
      if (isObject(entry) && SECRET_URL_CHANNELS.has(String(entry.type ?? name)))
        paths.add(`alerting.channels.${name}.url`)
  if (Array.isArray(input.hooks)) for (const i of input.hooks.keys()) paths.add(`hooks.${i}.webhook`)
  return paths
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/** A service is named by its name in problem paths, or by its index when it has no valid one. */
export function serviceLabel(service: unknown, index: number): string {
  const name = (service as { name?: unknown } | null)?.name
  return typeof name === 'string' && SERVICE_NAME.test(name) ? name : String(index)
}

/** Why a URL as written holds a literal credential, or undefined. Works on the text, `${NAME}` included. */
function urlCredential(text: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]*)([^?#\s]*)(\?[^#\s]*)?/i.exec(text)
  if (!m) return undefined
  const [, scheme, authority = '', , query] = m
  const at = authority.lastIndexOf('@')
  if (at >= 0) {
    const userinfo = authority.slice(0, at)
    const colon = userinfo.indexOf(':')
    const password = colon >= 0 ? userinfo.slice(colon + 1) : ''
    if (password !== '' && !password.includes(REFERENCE))
      return `holds a password, which must come from the environment: write ${scheme}://user:${REFERENCE}NAME}@host; found a literal one`
  }
  for (const pair of (query ?? '').slice(1).split('&')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    const name = safeDecode(pair.slice(0, eq))
    const value = pair.slice(eq + 1)
    if (value !== '' && CREDENTIAL_PARAM.test(name) && !value.includes(REFERENCE))
      return `holds a credential in its query (${name}=), which must come from the environment: write ${name}=${REFERENCE}NAME}; found a literal one`
  }
  return undefined
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
