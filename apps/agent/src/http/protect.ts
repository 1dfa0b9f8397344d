import { networkInterfaces } from 'node:os'
import type { MiddlewareHandler } from 'hono'

/**
 * Headers of every answer, API and dashboard alike. The dashboard build is one module
 * script and one stylesheet from `./assets/` (no inline script or style element, no eval),
 * and it talks only to this origin, so everything is `'self'`; no page may frame it.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
})

/** Adds {@link SECURITY_HEADERS} to every answer that does not set them itself. */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeadersMiddleware(c, next) {
    await next()
    // An answer written on the raw socket (SSE) sets them there; its marker must stay untouched.
    if (c.res.headers.has('x-hono-already-sent')) return
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      if (!c.res.headers.has(name)) c.res.headers.set(name, value)
  }
}

/** Where the agent listens, and the names it may be reached by. */
export interface HostPolicy {
  /** The bind address (`dashboard.host`): `0.0.0.0` and `::` stand for every local address. */
  bindHost: string
  /** `api.allowedHosts`: `name`, `name:port`, `[v6]`, `[v6]:port` or `.domain` (the name and its subdomains). */
  allowedHosts: readonly string[]
  /** The machine's addresses, for a wildcard bind. @default those of `os.networkInterfaces()` */
  localAddresses?: readonly string[]
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']

/** Splits a Host header (or URL authority) into a lower-case host, IPv6 in brackets, and its port. */
function splitHost(value: string): { host: string; port?: string } | undefined {
  const text = value.trim().toLowerCase()
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text)
  if (!m) return undefined
  const host = m[1]!.replace(/\.$/, '')
  return m[2] === undefined ? { host } : { host, port: m[2] }
}

const bracket = (address: string) => (address.includes(':') ? `[${address}]` : address)

function machineAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address))
}

/**
 * Decides whether a Host header names this agent: the bind address, localhost, 127.0.0.1 and
 * [::1] on any port; with a wildcard bind (`0.0.0.0`, `::`) also every address of the machine
 * (what a Kubernetes probe or a Prometheus scrape of the pod's IP sends); and each of
 * `allowedHosts`. DNS rebinding needs a name the attacker controls, and no such name is
 * here, so a page that rebinds its name to the agent cannot read it.
 *
 * @example
 * ```ts
 * const allowed = hostMatcher({ bindHost: '0.0.0.0', allowedHosts: ['noa.example.com', '.svc.cluster.local'] })
 * allowed('noa.example.com:9300') // true
 * allowed('attacker.example:9300') // false
 * ```
 */
export function hostMatcher(policy: HostPolicy): (host: string) => boolean {
  const names = new Set(LOOPBACK)
  const bind = policy.bindHost
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
  // The bind address itself, even a wildcard: `noa status` on the same machine connects to it.
  if (bind !== '') names.add(bracket(bind))
  if (bind === '0.0.0.0' || bind === '::' || bind === '')
    for (const address of policy.localAddresses ?? machineAddresses())
      names.add(bracket(address.toLowerCase()))
  const exact = new Set<string>()
  const suffixes: Array<{ domain: string; port?: string }> = []
  for (const entry of policy.allowedHosts) {
    const parsed = splitHost(entry.replace(/^\./, ''))
    if (!parsed) continue
    if (entry.startsWith('.'))
      suffixes.push({ domain: parsed.host, ...(parsed.port ? { port: parsed.port } : {}) })
    else if (parsed.port) exact.add(`${parsed.host}:${parsed.port}`)
    else names.add(parsed.host)
  }
  return (value) => {
    const parsed = splitHost(value)
    if (!parsed) return false
    const { host, port } = parsed
    if (names.has(host)) return true
    if (port !== undefined && exact.has(`${host}:${port}`)) return true
    return suffixes.some(
      (s) =>
        (host === s.domain || host.endsWith(`.${s.domain}`)) && (s.port === undefined || s.port === port),
    )
  }
}

/**
 * Answers 421 with a JSON error to a request whose Host header (or absolute request target)
 * does not name this agent, before any route runs.
 */
export function requireKnownHost(allowed: (host: string) => boolean): MiddlewareHandler {
  return async function requireKnownHostMiddleware(c, next) {
    const header = c.req.header('host')
    const target = new URL(c.req.url).host
    for (const host of header === undefined ? [target] : [header, target])
      if (!allowed(host))
        return c.json(
          {
            error: `this agent does not answer for host ${JSON.stringify(host.slice(0, 255))}; add the name to api.allowedHosts if it is one of the agent's`,
          },
          421,
        )
    await next()
  }
}
