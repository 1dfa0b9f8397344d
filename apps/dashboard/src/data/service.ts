import type { Resource } from './resource.ts'
import { useResource } from './resource.ts'
import { useSseEvent } from './sse.ts'
import type { ServiceDetail } from './types.ts'

/**
 * `/api/services/:name`, fetched again every refresh and at once when the service
 * changes state or is healed.
 *
 * @example
 * ```ts
 * const { data, error } = useService('api')
 * ```
 */
export function useService(name: string): Resource<ServiceDetail> {
  const resource = useResource<ServiceDetail>(`/api/services/${encodeURIComponent(name)}`)
  useSseEvent('change', (change) => {
    if (change.service === name) resource.reload()
  })
  useSseEvent('healing', (record) => {
    if (record.service === name) resource.reload()
  })
  // A window that opens or ends may cover it (by name or by tag): the detail says whether it does.
  useSseEvent('maintenance', () => resource.reload())
  return resource
}
