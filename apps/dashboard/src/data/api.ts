/**
 * The one way the dashboard talks to the agent: every call answers an envelope, never
 * throws, so a component only has to look at `ok`.
 */

/** What a call answered: the data, or why there is none. */
export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | {
      ok: false
      /** HTTP status, 0 when the agent could not be reached. */
      status: number
      /** A sentence a user can act on. */
      error: string
      /** True when trying again later may work (network, 5xx, 429). */
      retryable: boolean
    }

import { readToken } from './token.ts'

/** Options of {@link createApiClient}. */
export interface ApiClientOptions {
  /**
   * The token sent with reads (an agent that listens beyond loopback needs a viewer's).
   * @default the token entered in this tab
   */
  token?: () => string
  /** Prefix of every path. @default '' (same origin as the page) */
  baseUrl?: string
  /** @default globalThis.fetch */
  fetch?: typeof fetch
  /** A call that takes longer is abandoned. @default 10000 */
  timeoutMs?: number
}

/** Calls of the agent's API. */
export interface ApiClient {
  readonly baseUrl: string
  /** The fetch underneath, for the event stream. */
  readonly fetch: typeof fetch
  /** The headers that carry the read token, for the event stream ({} without one). */
  readAuth(): Record<string, string>
  get<T>(path: string, signal?: AbortSignal): Promise<ApiResult<T>>
  post<T>(path: string, body: unknown, token: string): Promise<ApiResult<T>>
  delete<T>(path: string, token: string): Promise<ApiResult<T>>
}

function explain(status: number, message: string | undefined): string {
  if (status === 401)
    return message === 'a valid bearer token is required' && !readToken()
      ? 'This agent needs an API token to be read: enter one (a viewer token or above).'
      : 'The API token was refused. Check the token you entered.'
  if (status === 403)
    return message ?? 'The agent has no API token configured (set NOA_API_TOKEN), so actions are closed.'
  if (status === 429) return 'Too many requests; try again in a moment.'
  return message ?? `The agent answered HTTP ${status}.`
}

/**
 * Builds the API client.
 *
 * @example
 * ```ts
 * const api = createApiClient()
 * const res = await api.get<StatusBody>('/api/status')
 * if (res.ok) show(res.data)
 * else warn(res.error)
 * ```
 */
export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = options.baseUrl ?? ''
  const timeoutMs = options.timeoutMs ?? 10_000
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  async function call<T>(method: string, path: string, init: RequestInit): Promise<ApiResult<T>> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    const outer = init.signal
    const onAbort = () => controller.abort()
    outer?.addEventListener('abort', onAbort)
    let response: Response
    try {
      response = await doFetch(`${baseUrl}${path}`, { ...init, method, signal: controller.signal })
    } catch (error) {
      const aborted = controller.signal.aborted && !outer?.aborted
      return {
        ok: false,
        status: 0,
        error: aborted
          ? `The agent did not answer within ${timeoutMs / 1000} s.`
          : `The agent is unreachable (${error instanceof Error ? error.message : String(error)}).`,
        retryable: true,
      }
    } finally {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onAbort)
    }
    let body: unknown
    try {
      const text = await response.text()
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      return {
        ok: false,
        status: response.status,
        error: `The agent answered HTTP ${response.status} with a body that is not JSON.`,
        retryable: response.status >= 500,
      }
    }
    if (!response.ok) {
      const message =
        body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
          ? (body as { error: string }).error
          : undefined
      return {
        ok: false,
        status: response.status,
        error: explain(response.status, message),
        retryable: response.status >= 500 || response.status === 429,
      }
    }
    return { ok: true, status: response.status, data: body as T }
  }

  const auth = (token: string) => ({ authorization: `Bearer ${token}` })
  const token = options.token ?? readToken
  const readAuth = () => {
    const t = token()
    return t ? auth(t) : {}
  }
  return {
    baseUrl,
    fetch: doFetch,
    readAuth,
    get: (path, signal) =>
      call('GET', path, { headers: { accept: 'application/json', ...readAuth() }, signal: signal ?? null }),
    post: (path, body, token) =>
      call('POST', path, {
        headers: { 'content-type': 'application/json', accept: 'application/json', ...auth(token) },
        body: JSON.stringify(body ?? {}),
      }),
    delete: (path, token) =>
      call('DELETE', path, { headers: { accept: 'application/json', ...auth(token) } }),
  }
}
