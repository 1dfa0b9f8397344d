import type { ReactNode } from 'react'
import { createContext, createElement, useContext, useEffect, useMemo, useRef, useState } from 'react'
import type { ApiClient } from './api.ts'
import { createApiClient } from './api.ts'
import type { SseState } from './sse-client.ts'
import { SseClient } from './sse-client.ts'
import { useToken } from './token.ts'
import type { SseEventName, SseEvents } from './types.ts'

type Handler = (data: never) => void

/** The live connection as the page sees it. */
export interface LiveConnection {
  state: SseState
  /**
   * True while the stream is open and an event came within {@link LIVE_WINDOW_MS}: the
   * data on screen is pushed. Otherwise resources poll.
   */
  live: boolean
  /** Epoch ms of the last event. */
  lastEventAt?: number
  /** Why the connection closed, when it did. */
  detail?: string
}

/** The agent sends `status` every refresh interval (5 s) and a ping every 15 s; silence longer than this is not live. */
export const LIVE_WINDOW_MS = 16_000

interface LiveContextValue {
  api: ApiClient
  refreshMs: number
  connection: LiveConnection
  subscribe<K extends SseEventName>(event: K, handler: (data: SseEvents[K]) => void): () => void
}

const LiveContext = createContext<LiveContextValue | undefined>(undefined)

/** Options of {@link LiveProvider}. */
export interface LiveProviderProps {
  /** @default createApiClient() */
  api?: ApiClient
  /** How often resources without events are fetched again, ms. @default 5000 (the seed's refresh) */
  refreshMs?: number
  /** Open /api/sse. Off in tests that drive events by hand. @default true */
  live?: boolean
  /** Passed to the stream client (tests use short delays). */
  retryMs?: number
  /**
   * Longest reconnect delay, passed to the stream client: tests keep it short, so how soon the
   * stream comes back does not depend on how long a loaded machine kept the agent away.
   */
  maxRetryMs?: number
  children?: ReactNode
}

/**
 * Holds the API client and the one /api/sse connection that every hook shares; it
 * reconnects with backoff and resumes with `Last-Event-ID`.
 *
 * @example
 * ```tsx
 * <LiveProvider><App /></LiveProvider>
 * ```
 */
export function LiveProvider(props: LiveProviderProps) {
  const api = useMemo(() => props.api ?? createApiClient(), [props.api])
  const live = props.live ?? true
  // A new token opens the stream again with it (beyond loopback the stream needs one).
  const [token] = useToken()
  const handlers = useRef(new Map<string, Set<Handler>>())
  const [connection, setConnection] = useState<LiveConnection>({
    state: live ? 'connecting' : 'closed',
    live: false,
  })

  // biome-ignore lint/correctness/useExhaustiveDependencies: `token` asks for a new connection
  useEffect(() => {
    if (!live) return
    let expiry: ReturnType<typeof setTimeout> | undefined
    const client = new SseClient({
      url: `${api.baseUrl}/api/sse`,
      fetch: api.fetch,
      headers: api.readAuth,
      retryMs: props.retryMs ?? 1000,
      ...(props.maxRetryMs === undefined ? {} : { maxRetryMs: props.maxRetryMs }),
      onState: (state, detail) => {
        if (state !== 'open') clearTimeout(expiry)
        setConnection((prev) => ({
          state,
          live: state === 'open' && prev.live,
          ...(prev.lastEventAt === undefined ? {} : { lastEventAt: prev.lastEventAt }),
          ...(detail ? { detail } : {}),
        }))
      },
      onMessage: (message) => {
        let data: unknown
        try {
          data = JSON.parse(message.data)
        } catch {
          return
        }
        clearTimeout(expiry)
        expiry = setTimeout(() => setConnection((prev) => ({ ...prev, live: false })), LIVE_WINDOW_MS)
        setConnection({ state: 'open', live: true, lastEventAt: Date.now() })
        for (const handler of handlers.current.get(message.event) ?? [])
          (handler as (d: unknown) => void)(data)
      },
    })
    client.start()
    return () => {
      clearTimeout(expiry)
      client.stop()
    }
  }, [api, live, props.retryMs, props.maxRetryMs, token])

  const value = useMemo<LiveContextValue>(
    () => ({
      api,
      refreshMs: props.refreshMs ?? 5000,
      connection,
      subscribe(event, handler) {
        let set = handlers.current.get(event)
        if (!set) {
          set = new Set()
          handlers.current.set(event, set)
        }
        set.add(handler as Handler)
        return () => set.delete(handler as Handler)
      },
    }),
    [api, props.refreshMs, connection],
  )
  return createElement(LiveContext.Provider, { value }, props.children)
}

/** The API client, refresh interval and live connection of the nearest {@link LiveProvider}. */
export function useLive(): LiveContextValue {
  const value = useContext(LiveContext)
  if (!value) throw new Error('useLive needs a <LiveProvider> above it')
  return value
}

/** The state of the /api/sse connection. */
export function useSse(): LiveConnection {
  return useLive().connection
}

/** Calls `handler` with each event named `event`; the latest handler is always used. */
export function useSseEvent<K extends SseEventName>(event: K, handler: (data: SseEvents[K]) => void): void {
  const { subscribe } = useLive()
  const ref = useRef(handler)
  ref.current = handler
  useEffect(() => subscribe(event, (data) => ref.current(data)), [subscribe, event])
}
