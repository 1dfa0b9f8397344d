import { useRef } from 'react'
import type { Resource } from './resource.ts'
import { useResource } from './resource.ts'
import { useLive, useSseEvent } from './sse.ts'
import type { HealthSummary } from './types.ts'

/**
 * `/api/health`: a `change` event updates the service's state at once, and each
 * `status` event (every refresh interval) fetches the summary again for latencies
 * and last-check times.
 *
 * @example
 * ```ts
 * const { data } = useHealth()
 * data?.services.map((s) => s.state)
 * ```
 */
export function useHealth(): Resource<HealthSummary> {
  const { refreshMs } = useLive()
  const resource = useResource<HealthSummary>('/api/health', { pollWhenOffline: true })
  const lastReload = useRef(0)
  useSseEvent('change', (change) =>
    resource.mutate((summary) =>
      summary
        ? {
            ...summary,
            services: summary.services.map((s) =>
              s.service === change.service
                ? {
                    ...s,
                    state: change.to,
                    since: change.at,
                    critical: change.critical,
                    blockedBy: change.blockedBy,
                    lastResult: change.result,
                  }
                : s,
            ),
          }
        : summary,
    ),
  )
  useSseEvent('status', () => {
    const now = Date.now()
    if (now - lastReload.current < refreshMs / 2) return
    lastReload.current = now
    resource.reload()
  })
  return resource
}
