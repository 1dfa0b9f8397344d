import type { Resource } from './resource.ts'
import { upsert, useResource } from './resource.ts'
import { useSseEvent } from './sse.ts'
import type { AlertsBody } from './types.ts'

/**
 * `/api/alerts` with its silences; each `alert` event updates the list by fingerprint.
 *
 * @example
 * ```ts
 * const firing = useAlerts().data?.alerts.filter((a) => a.state === 'firing')
 * ```
 */
export function useAlerts(): Resource<AlertsBody> {
  const resource = useResource<AlertsBody>('/api/alerts', { refreshMs: 30_000 })
  useSseEvent('alert', (alert) =>
    resource.mutate((body) =>
      body ? { ...body, alerts: upsert(body.alerts, alert, (a) => a.fingerprint) } : body,
    ),
  )
  return resource
}
