import { useCallback } from 'react'
import type { ApiResult } from './api.ts'
import { useLive } from './sse.ts'
import { useToken } from './token.ts'
import type { AlertRecord, Approval, HealingRecord, MaintenanceWindow, Silence } from './types.ts'
import { CAN_NOTHING, type Can, useWhoami } from './whoami.ts'

/** The role each write needs (the agent's API.md, Roles). */
const NEEDS: Record<keyof Can, 'operator' | 'admin'> = {
  heal: 'operator',
  silence: 'operator',
  approve: 'operator',
  maintenance: 'operator',
  acknowledge: 'operator',
  reload: 'admin',
  drill: 'admin',
}

const noToken = { ok: false, status: 0, error: 'Enter an API token first.', retryable: false } as const

/** The write actions of the API, each sent with the session's token. */
export interface Actions {
  /** True when a token has been entered. */
  canAct: boolean
  /** What the token may do, as the agent says (`GET /api/whoami`): show only those buttons. */
  can: Can
  /** Why this tab cannot `ability`, in a sentence for where its button would be; `doing` is e.g. 'heal now'. */
  cannot(ability: keyof Can, doing: string): string
  heal(service: string): Promise<ApiResult<{ healing: HealingRecord }>>
  decide(
    id: string,
    decision: 'approve' | 'reject',
    comment?: string,
  ): Promise<ApiResult<{ approval: Approval }>>
  silence(alert: AlertRecord, minutes: number, comment: string): Promise<ApiResult<{ silence: Silence }>>
  /** Opens a maintenance window on a service for `minutes`. */
  startMaintenance(
    service: string,
    minutes: number,
    reason: string,
  ): Promise<ApiResult<{ maintenance: MaintenanceWindow }>>
  /** Ends a maintenance window now. */
  endMaintenance(id: string): Promise<ApiResult<{ maintenance: MaintenanceWindow }>>
}

/**
 * Heal now, approve or reject, silence: the dashboard's only writes, with what the token may do.
 *
 * @example
 * ```ts
 * const { canAct, heal } = useActions()
 * if (canAct) await heal('api')
 * ```
 */
export function useActions(): Actions {
  const { api } = useLive()
  const [token] = useToken()
  const { whoami, refused } = useWhoami()
  const can = token && whoami ? whoami.can : CAN_NOTHING
  const cannot = useCallback(
    (ability: keyof Can, doing: string) => {
      if (!token) return `Enter an API token to ${doing}.`
      if (refused) return `The agent refused the token: enter another to ${doing}.`
      if (!whoami) return `Checking what the token may do…`
      const needs = NEEDS[ability]
      return `The token of ${whoami.name ?? 'this tab'} (${whoami.role}) cannot ${doing}: it takes ${needs === 'admin' ? 'an admin' : 'an operator'} token.`
    },
    [token, refused, whoami],
  )
  const heal = useCallback(
    async (service: string) =>
      token
        ? api.post<{ healing: HealingRecord }>(
            `/api/heal/${encodeURIComponent(service)}`,
            { trigger: 'manual' },
            token,
          )
        : noToken,
    [api, token],
  )
  const decide = useCallback(
    async (id: string, decision: 'approve' | 'reject', comment?: string) =>
      token
        ? api.post<{ approval: Approval }>(
            `/api/approvals/${encodeURIComponent(id)}/${decision}`,
            // who decided is the token's name, which the agent records itself
            comment ? { comment } : {},
            token,
          )
        : noToken,
    [api, token],
  )
  const silence = useCallback(
    async (alert: AlertRecord, minutes: number, comment: string) => {
      if (!token) return noToken
      const now = Date.now()
      const matchers = Object.entries({ alertname: alert.rule, ...alert.labels }).map(([name, value]) => ({
        name,
        value,
      }))
      return api.post<{ silence: Silence }>(
        '/api/silences',
        { matchers, startsAt: now, endsAt: now + minutes * 60_000, comment },
        token,
      )
    },
    [api, token],
  )
  const startMaintenance = useCallback(
    async (service: string, minutes: number, reason: string) =>
      token
        ? api.post<{ maintenance: MaintenanceWindow }>(
            '/api/maintenance',
            { services: [service], endsAt: Date.now() + minutes * 60_000, reason },
            token,
          )
        : noToken,
    [api, token],
  )
  const endMaintenance = useCallback(
    async (id: string) =>
      token
        ? api.delete<{ maintenance: MaintenanceWindow }>(`/api/maintenance/${encodeURIComponent(id)}`, token)
        : noToken,
    [api, token],
  )
  return { canAct: token !== '', can, cannot, heal, decide, silence, startMaintenance, endMaintenance }
}
