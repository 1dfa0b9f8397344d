/**
 * A new unique id: time-ordered (sortable as text) and random enough to never collide
 * between agents sharing a store.
 *
 * @example
 * ```ts
 * const id = createId('heal') // 'heal_0192f3a1b2c4_6f1c9a2e...'
 * ```
 */
export function createId(prefix?: string, now: number = Date.now()): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0')
  // globalThis.crypto (not node:crypto) keeps core usable in the dashboard's browser bundle.
  const random = globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 16)
  return prefix ? `${prefix}_${time}_${random}` : `${time}_${random}`
}
