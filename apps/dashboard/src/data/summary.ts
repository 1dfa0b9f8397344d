import type { Resource } from './resource.ts'
import { useResource } from './resource.ts'
import { useSseEvent } from './sse.ts'
import type { SummaryBody } from './types.ts'

/**
 * `/api/summary`: the fleet in counts, replaced by each `summary` event (every refresh
 * interval, 5 s); polled only while the stream is down.
 *
 * @example
 * ```ts
 * const { data } = useSummary()
 * data?.counts.unhealthy
 * ```
 */
export function useSummary(): Resource<SummaryBody> {
  const resource = useResource<SummaryBody>('/api/summary', { pollWhenOffline: true })
  useSseEvent('summary', (body) => resource.mutate(() => body))
  return resource
}
