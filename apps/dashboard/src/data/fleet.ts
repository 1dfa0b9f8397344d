import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ApiResult } from './api.ts'
import { applyDelta, type FleetQuery, fleetPath } from './fleet-model.ts'
import { useLive, useSseEvent } from './sse.ts'
import type { FleetService, FleetServicesBody, ServicesDeltaEvent } from './types.ts'

/** Options of {@link useFleet}. */
export interface FleetOptions {
  /** Services per request (the agent's maximum is 1000). @default 1000 */
  limit?: number
  /** Services of the first request: a small first page draws sooner. @default `limit` */
  firstLimit?: number
  /** Requests at most: the list holds at most `limit * maxPages` services. @default 20 */
  maxPages?: number
  /**
   * Fetch again at each `summary` event (every refresh interval, 5 s), for fresh latencies and
   * check times, which the deltas leave out. For small lists (the tiles), not for 10,000 rows.
   * @default false
   */
  refreshOnSummary?: boolean
}

/** The services of a query, as far as they are loaded. */
export interface FleetList {
  services: FleetService[]
  /** Services that pass the query on the agent; more than `services.length` while pages load or past the cap. */
  total: number | undefined
  /** Every page is loaded (or the cap is reached). */
  complete: boolean
  loading: boolean
  error: string | undefined
  reload(): void
}

interface State {
  key: string
  services: FleetService[]
  total: number | undefined
  complete: boolean
  loading: boolean
  error?: string
}

/**
 * The services of `query` from `GET /api/services`, page after page up to a cap: the first
 * page shows at once, the others follow. `service` and `services` events patch the list in
 * place; a truncated delta, or the stream being down (every refresh interval), fetches it again.
 *
 * @example
 * ```ts
 * const fleet = useFleet({ q: 'api', states: ['error'] })
 * fleet.services.length // loaded so far; fleet.total on the agent
 * ```
 */
export function useFleet(query: FleetQuery, options: FleetOptions = {}): FleetList {
  const { api, refreshMs, connection } = useLive()
  const limit = options.limit ?? 1000
  const maxPages = options.maxPages ?? 20
  const firstLimit = options.firstLimit ?? limit
  const key = fleetPath(query, { limit })
  const [state, setState] = useState<State>({
    key,
    services: [],
    total: undefined,
    complete: false,
    loading: true,
  })
  const [tick, setTick] = useState(0)
  const current = useRef(state)
  current.current = state
  // The query as of this render, for the event handlers (they outlive a render).
  const queryRef = useRef(query)
  queryRef.current = query

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` asks for a refetch; `key` stands for the query
  useEffect(() => {
    const controller = new AbortController()
    // Nothing of this query on screen yet: show each page as it comes.
    const fresh = current.current.key !== key || current.current.total === undefined
    if (fresh) setState({ key, services: [], total: undefined, complete: false, loading: true })
    else setState((s) => ({ ...s, loading: true }))
    void (async () => {
      let services: FleetService[] = []
      let cursor: string | null = null
      for (let page = 0; page < maxPages; page++) {
        const res: ApiResult<FleetServicesBody> = await api.get<FleetServicesBody>(
          fleetPath(queryRef.current, { limit: page === 0 ? firstLimit : limit, cursor }),
          controller.signal,
        )
        if (controller.signal.aborted) return
        if (!res.ok) {
          setState((s) => ({ ...s, loading: false, error: res.error }))
          return
        }
        services = page === 0 ? res.data.services : services.concat(res.data.services)
        cursor = res.data.next
        const done = cursor === null || page === maxPages - 1
        // A first load shows each page as it comes; a refresh swaps the list once, so it never shrinks meanwhile.
        if (fresh || done) setState({ key, services, total: res.data.total, complete: done, loading: !done })
        if (done) return
      }
    })()
    return () => controller.abort()
  }, [api, key, tick, limit, firstLimit, maxPages])

  const polling = refreshMs > 0 && !connection.live
  useEffect(() => {
    if (!polling) return
    const timer = setInterval(() => setTick((t) => t + 1), refreshMs)
    return () => clearInterval(timer)
  }, [polling, refreshMs])

  const apply = useCallback((delta: ServicesDeltaEvent) => {
    if (delta.truncated) {
      setTick((t) => t + 1)
      return
    }
    // Patched from the state React holds, not the last render's: two events may come between renders.
    setState((prev) => {
      const patched = applyDelta(prev.services, delta, queryRef.current, prev.complete)
      return {
        ...prev,
        services: patched.services,
        total: prev.total === undefined ? undefined : Math.max(0, prev.total + patched.totalDelta),
      }
    })
  }, [])
  useSseEvent('services', apply)
  useSseEvent('service', (service) =>
    apply({ services: [service], removed: [], truncated: false, changed: 1 }),
  )

  const lastRefresh = useRef(0)
  useSseEvent('summary', () => {
    if (!options.refreshOnSummary) return
    const now = Date.now()
    if (now - lastRefresh.current < refreshMs / 2) return
    lastRefresh.current = now
    setTick((t) => t + 1)
  })

  const reload = useCallback(() => setTick((t) => t + 1), [])
  const mine = state.key === key
  return useMemo(
    () => ({
      services: mine ? state.services : [],
      total: mine ? state.total : undefined,
      complete: mine && state.complete,
      loading: !mine || state.loading,
      error: mine ? state.error : undefined,
      reload,
    }),
    [mine, state, reload],
  )
}
