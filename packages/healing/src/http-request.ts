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
}

/**
 * Calls an endpoint; a 2xx answer is a success. Never throws. Headers are not echoed
 * into the result, so a token in them cannot leak into the audit.
 */
export async function httpRequest(call: HttpCall, signal?: AbortSignal): Promise<ActionResult> {
  const timeout = AbortSignal.timeout(call.timeoutMs ?? 10_000)
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout
  const method = call.method ?? 'POST'
  const where = `${method} ${redactUrl(call.url)}`
  try {
    const init: RequestInit = { method, signal: combined }
    if (call.headers) init.headers = call.headers
    if (call.body !== undefined) init.body = call.body
    const res = await fetch(call.url, init)
    const text = trimOutput(await res.text(), 2000)
    if (res.ok) return { ok: true, output: `${where}: ${res.status}${text ? ` ${text}` : ''}` }
    return {
      ok: false,
      error: `${where} answered ${res.status}`,
      retryable: res.status >= 500 || res.status === 409 || res.status === 429,
      output: text,
    }
  } catch (error) {
    const reason = timeout.aborted
      ? `timed out after ${call.timeoutMs ?? 10_000} ms`
      : (error as Error).message
    return { ok: false, error: `${where} failed: ${reason}`, retryable: true }
  }
}

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
