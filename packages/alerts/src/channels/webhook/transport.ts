import { createHmac } from 'node:crypto'
import type { Clock } from '@noa/core'
import { isTimeoutError, timeoutSignal } from '@noa/core'
import { z } from 'zod'
import type { SendContext, SendResult } from '../../channel.ts'

/** Options every HTTP-based channel shares. */
export const httpOptionsSchema = {
  /** Per-attempt time limit in ms. @default 5000 */
  timeout: z.number().int().positive().default(5000),
  /**
   * `never`: a 3xx answer is a failed delivery, not retried, whose error names the Location
   * (a receiver that moved is a configuration problem). `same-origin`: redirects to the
   * URL's own origin are followed, up to `maxRedirects`; one to another origin still fails.
   * Headers, the signature and the body never go to another origin. @default 'never'
   */
  followRedirects: z.enum(['never', 'same-origin']).default('never'),
  /** Redirects followed with `followRedirects: 'same-origin'` before the attempt fails (not retried). @default 3 */
  maxRedirects: z.number().int().min(0).max(10).default(3),
}

/** An http(s) URL; the value is a secret and is never echoed in errors. */
export const secretUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'expected an http or https URL')

/** One JSON POST. */
export interface PostOptions {
  url: string
  body: string
  headers?: Record<string, string>
  /** HMAC-SHA256 of the body, sent as `X-Noa-Signature: sha256=<hex>`. */
  secret?: string
  timeout: number
  /** @default 'never' */
  followRedirects?: 'never' | 'same-origin'
  maxRedirects: number
  clock: Clock
}

const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408

function networkError(error: unknown): string {
  // Only the error code: fetch messages can carry the URL, which may hold a token.
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return `network error ${code}`
  }
  return 'network error'
}

/**
 * A redirect target for an error message: origin and path, without user info, query or
 * fragment, and with every path segment that also appears in the configured URL redacted.
 * The configured URL is a secret, and receivers that moved often repeat its token in the
 * new path (Slack, Discord), so what the two share is never shown.
 */
export function describeLocation(target: URL, configured: string): string {
  const base = new URL(configured)
  const segments = base.pathname.split('/')
  const known = new Set(
    [...segments, ...segments.map(decoded), ...[...base.searchParams].flat()].filter((s) => s.length >= 4),
  )
  const path = target.pathname
    .split('/')
    .map((s) => (known.has(s) || known.has(decoded(s)) ? '[redacted]' : s))
    .join('/')
  return `${target.origin}${path}`
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function locationOf(location: string, current: string): URL | undefined {
  try {
    return new URL(location, current)
  } catch {
    return undefined
  }
}

/**
 * POSTs a JSON body and turns the outcome into a {@link SendResult}: 2xx is success; 5xx,
 * 408, 429, timeouts and network errors are retryable; other 4xx and redirects are not.
 * Redirects are handled by hand (fetch would follow up to 20, to any origin, with every
 * header): by default none is followed; with `same-origin`, only those that stay on the
 * configured URL's origin, keeping the POST.
 */
export async function postJson(options: PostOptions, context: SendContext): Promise<SendResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'noa-alerts',
    'idempotency-key': context.idempotencyKey,
    ...options.headers,
  }
  if (options.secret)
    headers['x-noa-signature'] =
      `sha256=${createHmac('sha256', options.secret).update(options.body).digest('hex')}`
  const timeout = timeoutSignal(options.timeout, {
    parent: context.signal,
    clock: options.clock,
    what: 'webhook request',
  })
  const origin = new URL(options.url).origin
  let url = options.url
  try {
    for (let redirects = 0; ; redirects++) {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: options.body,
        redirect: 'manual',
        signal: timeout.signal,
      })
      await response.arrayBuffer().catch(() => undefined)
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location !== null) {
        const target = locationOf(location, url)
        const to = target ? describeLocation(target, options.url) : 'an invalid location'
        const refused = (why: string): SendResult => ({
          ok: false,
          retryable: false,
          error: `receiver answered ${response.status}, a redirect to ${to} (${why})`,
        })
        if (options.followRedirects !== 'same-origin')
          return refused('not followed: set the channel url to it, or followRedirects: "same-origin"')
        if (target?.origin !== origin) return refused('another origin: not followed')
        if (redirects >= options.maxRedirects)
          return {
            ok: false,
            retryable: false,
            error: `too many redirects (more than ${options.maxRedirects})`,
          }
        url = target.toString()
        continue
      }
      if (response.ok) return { ok: true }
      return {
        ok: false,
        retryable: RETRYABLE_STATUS(response.status),
        error: `receiver answered ${response.status}`,
      }
    }
  } catch (error) {
    const reason = timeout.signal.aborted ? timeout.signal.reason : error
    if (isTimeoutError(reason))
      return { ok: false, retryable: true, error: `timed out after ${options.timeout} ms` }
    if (timeout.signal.aborted) return { ok: false, retryable: true, error: 'aborted' }
    return { ok: false, retryable: true, error: networkError(error) }
  } finally {
    timeout.dispose()
  }
}
