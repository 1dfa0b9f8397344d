import { useCallback, useEffect, useRef, useState } from 'react'
import { useLive } from './sse.ts'

/** A resource fetched from the agent; the last good data stays when a refresh fails. */
export interface Resource<T> {
  data: T | undefined
  /** The last refresh's error; `data` may still hold older values. */
  error: string | undefined
  loading: boolean
  /** Epoch ms of the last successful fetch or event. */
  updatedAt: number | undefined
  reload(): void
  /** Replaces the data (an event patched it). */
  mutate(update: (data: T | undefined) => T | undefined): void
}

/** Options of {@link useResource}. */
export interface ResourceOptions {
  /** Fetch again every this many ms; 0 never. @default the provider's refreshMs */
  refreshMs?: number
  /** Poll only while no event arrives (events keep the data fresh otherwise). @default false */
  pollWhenOffline?: boolean
}

/**
 * Fetches `path` (null: nothing) and keeps it fresh.
 *
 * @example
 * ```ts
 * const alerts = useResource<AlertsBody>('/api/alerts')
 * ```
 */
export function useResource<T>(path: string | null, options: ResourceOptions = {}): Resource<T> {
  const live = useLive()
  const { api } = live
  const [state, setState] = useState<{
    data?: T
    error?: string
    loading: boolean
    updatedAt?: number
    path: string | null
  }>({ loading: path !== null, path })
  const [tick, setTick] = useState(0)
  const generation = useRef(0)

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` asks for a refetch
  useEffect(() => {
    if (path === null) return
    const controller = new AbortController()
    const mine = ++generation.current
    // Another path is another resource: its predecessor's data must not show under its name.
    setState((s) => (s.path === path ? { ...s, loading: true } : { loading: true, path }))
    void api.get<T>(path, controller.signal).then((res) => {
      if (controller.signal.aborted || mine !== generation.current) return
      if (res.ok) setState({ data: res.data, loading: false, updatedAt: Date.now(), path })
      else setState((s) => ({ ...s, error: res.error, loading: false }))
    })
    return () => controller.abort()
  }, [api, path, tick])

  const refreshMs = options.refreshMs ?? live.refreshMs
  const polling = refreshMs > 0 && (!options.pollWhenOffline || !live.connection.live)
  useEffect(() => {
    if (!polling || path === null) return
    const timer = setInterval(() => setTick((t) => t + 1), refreshMs)
    return () => clearInterval(timer)
  }, [polling, refreshMs, path])

  const reload = useCallback(() => setTick((t) => t + 1), [])
  const mutate = useCallback((update: (data: T | undefined) => T | undefined) => {
    setState((s) => ({ ...s, data: update(s.data), error: undefined, updatedAt: Date.now() }))
  }, [])
  const current = state.path === path
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: current ? state.loading : path !== null,
    updatedAt: current ? state.updatedAt : undefined,
    reload,
    mutate,
  }
}

/** Replaces the item with the same key, or puts it first. */
export function upsert<T>(list: readonly T[], item: T, key: (x: T) => string): T[] {
  const k = key(item)
  const index = list.findIndex((x) => key(x) === k)
  if (index === -1) return [item, ...list]
  const copy = list.slice()
  copy[index] = item
  return copy
}
