import type { ActionResult } from './executor.ts'
import { trimOutput } from './executor.ts'

/** One HTTP call: an admin endpoint, a state hook, a read-only switch. */
export interface HttpCall {
  url: string
  /** @default 'POST' */
  method?: string
  /** Sent as is; never logged or recorded (they may hold tokens). */
  headers?: Record<string, string>
  body?: string
  /** @default 10000 */
  timeoutMs?: number
  /**
   * `never`: a 3xx answer is a failure, not retried, whose error names where it points (a
   * moved endpoint is a configuration problem). `same-origin`: redirects within the URL's own
   * origin are followed, up to `maxRedirects`; one to another origin still fails. Headers and
   * the body never go to another origin. @default 'never'
   */
  followRedirects?: 'never' | 'same-origin'
  /** Redirects followed with `followRedirects: 'same-origin'` before the call fails. @default 3 */
  maxRedirects?: number
  /**
   * The URL itself is a secret (a webhook URL with a token in its path): results name only its
   * origin, and a redirect's path hides every segment it shares with the URL. @default false
   */
  secretUrl?: boolean
}

/**
 * Calls an endpoint; a 2xx answer is a success. Never throws. Headers are not echoed
 * into the result, so a token in them cannot leak into the audit. Redirects are handled by
 * hand (fetch would follow up to 20, to any origin, with every header and the body): none
 * is followed unless `followRedirects` is `same-origin`, and never one to another origin.
 *
 * @example
 * ```ts
 * const result = await httpRequest({ url: 'http://127.0.0.1:8001/admin/restart', headers: { authorization: `Bearer ${token}` } })
 * if (!result.ok) console.error(result.error) // "POST http://127.0.0.1:8001/admin/restart answered 503"
 * ```
 */
export async function httpRequest(call: HttpCall, signal?: AbortSignal): Promise<ActionResult> {
  const timeout = AbortSignal.timeout(call.timeoutMs ?? 10_000)
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout
  let method = call.method ?? 'POST'
  const where = `${method} ${call.secretUrl ? originOf(call.url) : redactUrl(call.url)}`
  const maxRedirects = call.maxRedirects ?? 3
  try {
    const origin = new URL(call.url).origin
    let url = call.url
    let body = call.body
    for (let redirects = 0; ; redirects++) {
      const init: RequestInit = { method, signal: combined, redirect: 'manual' }
      if (call.headers) init.headers = call.headers
      if (body !== undefined) init.body = body
      const res = await fetch(url, init)
      if (res.status >= 300 && res.status < 400) {
        await res.arrayBuffer().catch(() => undefined)
        const location = res.headers.get('location')
        const target = location === null ? undefined : locationOf(location, url)
        const to =
          location === null
            ? 'nowhere'
            : target
              ? `${target.origin}${call.secretUrl ? hideShared(target.pathname, call.url) : target.pathname}`
              : 'an invalid location'
        const refused = (why: string): ActionResult => ({
          ok: false,
          error: `${where} answered ${res.status}, a redirect to ${to} (${why})`,
          retryable: false,
        })
        if (call.followRedirects !== 'same-origin')
          return refused('not followed: set the url to it, or followRedirects: "same-origin"')
        if (target?.origin !== origin) return refused('another origin: not followed')
        if (redirects >= maxRedirects)
          return {
            ok: false,
            error: `${where} failed: more than ${maxRedirects} redirects`,
            retryable: false,
          }
        // As browsers do: a 303 (and a 301 or 302 after a POST) asks for a GET without the body.
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET'
          body = undefined
        }
        url = target.toString()
        continue
      }
      const text = trimOutput(await res.text(), 2000)
      if (res.ok) return { ok: true, output: `${where}: ${res.status}${text ? ` ${text}` : ''}` }
      return {
        ok: false,
        error: `${where} answered ${res.status}`,
        retryable: res.status >= 500 || res.status === 409 || res.status === 429,
        output: text,
      }
    }
  } catch (error) {
    const reason = timeout.aborted ? `timed out after ${call.timeoutMs ?? 10_000} ms` : networkError(error)
    return { ok: false, error: `${where} failed: ${reason}`, retryable: true }
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return '(invalid url)'
  }
}

// Receivers that moved often repeat the token of the old path in the new one (Slack, Discord).
function hideShared(path: string, secret: string): string {
  const base = new URL(secret)
  const known = new Set(
    [...base.pathname.split('/'), ...[...base.searchParams].flat()].filter((s) => s.length >= 4),
  )
  return path
    .split('/')
    .map((s) => (known.has(s) ? '[redacted]' : s))
    .join('/')
}

function locationOf(location: string, current: string): URL | undefined {
  try {
    return new URL(location, current)
  } catch {
    return undefined
  }
}

// fetch's messages can carry the URL, which may hold credentials: say what failed and its code.
function networkError(error: unknown): string {
  const message = (error as Error)?.message ?? String(error)
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return `${redactSecretsIn(message)} (${code})`
  }
  return redactSecretsIn(message)
}

const redactSecretsIn = (text: string) => text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1')

/** Drops credentials and the query string from a URL before it is shown anywhere. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    u.search = ''
    return u.toString()
  } catch {
    return '(invalid url)'
  }
}
