import { useEffect, useRef } from 'react'
import { useResource } from './resource.ts'
import { useToken } from './token.ts'

/** What a token may write, as `GET /api/whoami` answers. */
export interface Can {
  heal: boolean
  silence: boolean
  approve: boolean
  maintenance: boolean
  acknowledge: boolean
  reload: boolean
  drill: boolean
}

/** `GET /api/whoami`: the token's holder and role (`anonymous` without one) and what it may do. */
export interface Whoami {
  name: string | null
  role: 'anonymous' | 'viewer' | 'operator' | 'admin'
  can: Can
}

/** Nothing is allowed until the agent says otherwise. */
export const CAN_NOTHING: Can = Object.freeze({
  heal: false,
  silence: false,
  approve: false,
  maintenance: false,
  acknowledge: false,
  reload: false,
  drill: false,
})

/** Who the agent says the tab's token is; `refused` when it turned the token down. */
export interface Identity {
  whoami: Whoami | undefined
  /** The token was refused (401): a typo, or a token the agent no longer has. */
  refused: boolean
  loading: boolean
}

/**
 * Asks the agent who the tab's token is, again whenever the token changes (and every minute: a
 * reload may change the tokens).
 *
 * @example
 * ```ts
 * const { whoami } = useWhoami()
 * whoami?.role // 'operator'
 * ```
 */
export function useWhoami(): Identity {
  const [token] = useToken()
  const resource = useResource<Whoami>('/api/whoami', { refreshMs: 60_000 })
  const seen = useRef(token)
  const { reload } = resource
  useEffect(() => {
    if (seen.current === token) return
    seen.current = token
    reload()
  }, [token, reload])
  const refused = resource.error !== undefined && /token/i.test(resource.error) && !resource.loading
  return {
    whoami: refused ? undefined : resource.data,
    refused,
    loading: resource.loading,
  }
}

/**
 * What the tab's token may do, for showing only the buttons that will work: heal, silence,
 * approve (and reject), maintenance, acknowledge (incidents), reload, drill. All false until the agent answers, and
 * without a token.
 *
 * @example
 * ```tsx
 * const can = useCan()
 * {can.heal ? <button onClick={heal}>Heal now</button> : null}
 * ```
 */
export function useCan(): Can {
  return useWhoami().whoami?.can ?? CAN_NOTHING
}
