import { useCallback, useState } from 'react'
import type { Resource } from './resource.ts'
import { upsert, useResource } from './resource.ts'
import { useLive, useSseEvent } from './sse.ts'
import type { DrillOutcome, DrillRun, DrillsBody } from './types.ts'

/** Runs asked for per page: the agent's default page. */
export const DRILLS_PAGE = 50

/** The drill runs of the Drills page: the newest page kept live by `drill` events, older pages on demand. */
export interface Drills {
  /** Newest first, without repeats. */
  runs: DrillRun[]
  first: Resource<DrillsBody>
  /** Whether the agent has runs older than those shown. */
  hasOlder: boolean
  loadingOlder: boolean
  olderError?: string
  loadOlder(): void
}

/**
 * `/api/drills`: the newest page, a `drill` event puts a new run first (or, for a run sent without
 * its results, fetches the page again), and `loadOlder` follows
 * the `nextCursor` of the last page shown.
 *
 * @example
 * ```ts
 * const { runs, hasOlder, loadOlder } = useDrills()
 * ```
 */
export function useDrills(): Drills {
  const { api } = useLive()
  const first = useResource<DrillsBody>(`/api/drills?limit=${DRILLS_PAGE}`, {
    refreshMs: 30_000,
    pollWhenOffline: true,
  })
  useSseEvent('drill', ({ omittedResults, ...run }) => {
    // A big run comes without its results: the page is fetched again to have them.
    if (omittedResults !== undefined) first.reload()
    else first.mutate((body) => (body ? { ...body, drills: upsert(body.drills, run, (d) => d.id) } : body))
  })
  const [older, setOlder] = useState<{ runs: DrillRun[]; cursor?: string; loading: boolean; error?: string }>(
    {
      runs: [],
      loading: false,
    },
  )
  const cursor = older.runs.length > 0 ? older.cursor : first.data?.nextCursor
  const loadOlder = useCallback(() => {
    if (!cursor) return
    setOlder((o) => ({ ...o, loading: true }))
    void api
      .get<DrillsBody>(`/api/drills?limit=${DRILLS_PAGE}&cursor=${encodeURIComponent(cursor)}`)
      .then((res) =>
        setOlder((o) =>
          res.ok
            ? {
                runs: [...o.runs, ...res.data.drills],
                loading: false,
                ...(res.data.nextCursor ? { cursor: res.data.nextCursor } : {}),
              }
            : { ...o, loading: false, error: res.error },
        ),
      )
  }, [api, cursor])
  const seen = new Set<string>()
  const runs = [...(first.data?.drills ?? []), ...older.runs].filter((r) => !seen.has(r.id) && seen.add(r.id))
  return {
    runs,
    first,
    hasOlder: cursor !== undefined,
    loadingOlder: older.loading,
    ...(older.error ? { olderError: older.error } : {}),
    loadOlder,
  }
}

/** The middle and the worst of some times, and how many were never reached (null). */
export interface TimeSpread {
  median: number | undefined
  max: number | undefined
  missing: number
}

/** What one run adds up to, for its row on the Drills page. */
export interface DrillSummary {
  faults: string[]
  services: string[]
  outcomes: Record<DrillOutcome, number>
  detect: TimeSpread
  alert: TimeSpread
  repair: TimeSpread
  doubleActions: number
  falseAlerts: number
}

function spread(values: ReadonlyArray<number | null>): TimeSpread {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b)
  const mid = known.length >> 1
  return {
    median:
      known.length === 0 ? undefined : known.length % 2 ? known[mid] : (known[mid - 1]! + known[mid]!) / 2,
    max: known.at(-1),
    missing: values.length - known.length,
  }
}

/** Faults and services in the order they were drilled, outcome counts, time spreads and sums. */
export function summarizeDrill(run: DrillRun): DrillSummary {
  const outcomes: Record<DrillOutcome, number> = { healed: 0, escalated: 0, failed: 0 }
  let doubleActions = 0
  let falseAlerts = 0
  for (const r of run.results) {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1
    doubleActions += r.doubleActions
    falseAlerts += r.falseAlerts
  }
  return {
    faults: [...new Set(run.results.map((r) => r.fault))],
    services: [...new Set(run.results.map((r) => r.service))],
    outcomes,
    detect: spread(run.results.map((r) => r.detectMs)),
    alert: spread(run.results.map((r) => r.alertMs)),
    repair: spread(run.results.map((r) => r.repairMs)),
    doubleActions,
    falseAlerts,
  }
}
