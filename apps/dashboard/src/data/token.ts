import { useCallback, useSyncExternalStore } from 'react'

const KEY = 'noa.apiToken'
const listeners = new Set<() => void>()

/** The token of this tab, or '' (for code outside React: the API client sends it with reads). */
export function readToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? ''
  } catch {
    return ''
  }
}

/**
 * The API token for actions, kept in sessionStorage (gone when the tab closes, never
 * in localStorage or a cookie).
 *
 * @example
 * ```ts
 * const [token, setToken] = useToken()
 * ```
 */
export function useToken(): [string, (token: string) => void] {
  const token = useSyncExternalStore(
    (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    readToken,
    () => '',
  )
  const set = useCallback((next: string) => {
    try {
      if (next) sessionStorage.setItem(KEY, next)
      else sessionStorage.removeItem(KEY)
    } catch {
      // storage refused (private mode): the token lives only as long as this page
    }
    for (const listener of listeners) listener()
  }, [])
  return [token, set]
}
