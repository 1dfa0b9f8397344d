import { useMemo } from 'react'
import { useResource } from './resource.ts'
import type { SlosBody } from './types.ts'

/** The most services with a spent budget the tiles mark (the API's page limit). */
const SPENT_LIMIT = 1000

/**
 * The services whose error budget is spent (`GET /api/slos?spent=true`), for the tiles' marker;
 * empty while unknown or when the agent has no SLOs.
 *
 * @example
 * ```ts
 * const spent = useSpentBudgets()
 * spent.has('api') // true while api's budget is spent
 * ```
 */
export function useSpentBudgets(): ReadonlySet<string> {
  const { data } = useResource<SlosBody>(`/api/slos?spent=true&limit=${SPENT_LIMIT}`)
  return useMemo(() => new Set(data?.slos.map((s) => s.service) ?? []), [data])
}
