import { StoreError } from './errors.ts'
import type { MaintenanceWindowQuery, MaintenanceWindowRecord } from './store.ts'

/** Bounds of a maintenance window the stores keep: a window over them is refused, naming the field. */
export const MAINTENANCE_WINDOW_LIMITS = Object.freeze({
  /** Characters of an id. */
  id: 128,
  /** Services, and tags, one window names. */
  names: 1000,
  /** Characters of a service name or a tag. */
  name: 256,
  /** Characters of the reason. */
  reason: 2000,
  /** Characters of who opened or ended it. */
  actor: 256,
})

/** The time a window is over: its early end when a person ended it, else its planned end. */
export function windowEnd(w: MaintenanceWindowRecord): number {
  return w.endedEarlyAt === undefined ? w.endsAt : Math.min(w.endsAt, w.endedEarlyAt)
}

/** Refuses a window that cannot be stored or is over its bounds, naming the field. */
export function checkMaintenanceWindow(w: MaintenanceWindowRecord): void {
  const where = 'saveWindow: window'
  const text = (value: unknown, path: string, max: number) => {
    if (typeof value !== 'string' || value === '')
      throw new StoreError(`${where}.${path} must be a non-empty string`)
    if (value.length > max)
      throw new StoreError(`${where}.${path} must be at most ${max} characters, got ${value.length}`)
  }
  const time = (value: unknown, path: string) => {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new StoreError(`${where}.${path} must be epoch ms, got ${String(value)}`)
  }
  const L = MAINTENANCE_WINDOW_LIMITS
  text(w?.id, 'id', L.id)
  for (const key of ['services', 'tags'] as const) {
    const list = w[key]
    if (!Array.isArray(list)) throw new StoreError(`${where}.${key} must be a list of strings`)
    if (list.length > L.names)
      throw new StoreError(`${where}.${key} must hold at most ${L.names} names, got ${list.length}`)
    for (const [i, name] of list.entries()) text(name, `${key}[${i}]`, L.name)
  }
  if (w.services.length === 0 && w.tags.length === 0)
    throw new StoreError(`${where} must name at least one service or tag`)
  time(w.startsAt, 'startsAt')
  time(w.endsAt, 'endsAt')
  if (w.endsAt <= w.startsAt) throw new StoreError(`${where}.endsAt must be after startsAt`)
  if (typeof w.reason !== 'string' || w.reason.length > L.reason)
    throw new StoreError(`${where}.reason must be a string of at most ${L.reason} characters`)
  text(w.createdBy, 'createdBy', L.actor)
  time(w.createdAt, 'createdAt')
  if (w.endedEarlyAt !== undefined) time(w.endedEarlyAt, 'endedEarlyAt')
  if (w.endedBy !== undefined) text(w.endedBy, 'endedBy', L.actor)
}

/** The times of a windows query, refused when they are not times. */
export function windowQueryOf(q: MaintenanceWindowQuery | undefined): MaintenanceWindowQuery {
  for (const key of ['endsAfter', 'endedAt'] as const) {
    const at = q?.[key]
    if (at !== undefined && !Number.isFinite(at))
      throw new StoreError(`windows: ${key} must be epoch ms, got ${String(at)}`)
  }
  return q ?? {}
}

/** Latest start first, then id descending (byte-wise): the order of every backend. */
export function windowOrder(a: MaintenanceWindowRecord, b: MaintenanceWindowRecord): number {
  return b.startsAt - a.startsAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}
