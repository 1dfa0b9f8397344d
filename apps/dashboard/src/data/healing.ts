import type { Resource } from './resource.ts'
import { upsert, useResource } from './resource.ts'
import { useSseEvent } from './sse.ts'
import type { HealingBody } from './types.ts'

/**
 * `/api/healing` (optionally of one service); `healing` and `approval` events update it by id.
 *
 * @example
 * ```ts
 * const pending = useHealing().data?.approvals.filter((a) => a.status === 'pending')
 * ```
 */
export function useHealing(service?: string): Resource<HealingBody> {
  const query = service ? `?service=${encodeURIComponent(service)}&limit=50` : '?limit=50'
  const resource = useResource<HealingBody>(`/api/healing${query}`, { refreshMs: 30_000 })
  useSseEvent('healing', (record) => {
    if (service && record.service !== service) return
    resource.mutate((body) =>
      body ? { ...body, healings: upsert(body.healings, record, (h) => h.id) } : body,
    )
  })
  useSseEvent('approval', (approval) => {
    if (service && approval.service !== service) return
    resource.mutate((body) =>
      body ? { ...body, approvals: upsert(body.approvals, approval, (a) => a.id) } : body,
    )
  })
  return resource
}
