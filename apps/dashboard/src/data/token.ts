import { useCallback, useSyncExternalStore } from 'react'

const KEY = 'noa.apiToken'
const listeners = new Set<() => void>()

function read(): string {
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
    read,
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
