import type { Resource } from './resource.ts'
import { useResource } from './resource.ts'
import { useSseEvent } from './sse.ts'
import type { StatusBody } from './types.ts'

/**
 * `/api/status`, replaced by each `status` event; polled only while the stream is down.
 *
 * @example
 * ```ts
 * const { data } = useStatus()
 * data?.metrics.cpu
 * ```
 */
export function useStatus(): Resource<StatusBody> {
  const resource = useResource<StatusBody>('/api/status', { pollWhenOffline: true })
  useSseEvent('status', (body) => resource.mutate(() => body))
  return resource
}
