import { isDown } from '@noa/core'
import type { FleetService, HealthState, ServicesDeltaEvent } from './types.ts'

/** What the service list asks `GET /api/services` for; every field narrows the list. */
export interface FleetQuery {
  q?: string
  states?: readonly HealthState[]
  tag?: string
  group?: string
}

/** The `/api/services` path of a query; `cursor` and `limit` page through it. */
export function fleetPath(query: FleetQuery, page: { limit: number; cursor?: string | null }): string {
  const params = new URLSearchParams()
  if (query.states && query.states.length > 0) params.set('state', query.states.join(','))
  if (query.tag) params.set('tag', query.tag)
  if (query.group) params.set('group', query.group)
  const q = query.q?.trim()
  if (q) params.set('q', q.slice(0, 64))
  params.set('limit', String(page.limit))
  if (page.cursor) params.set('cursor', page.cursor)
  return `/api/services?${params.toString()}`
}

/** Whether a service passes a query, as the agent judges it (a case-insensitive part of the name). */
export function matchesQuery(s: FleetService, query: FleetQuery): boolean {
  if (query.states && query.states.length > 0 && !query.states.includes(s.state)) return false
  if (query.tag && !s.tags.includes(query.tag)) return false
  if (query.group && s.group !== query.group) return false
  const q = query.q?.trim().toLowerCase()
  return !q || s.name.toLowerCase().includes(q)
}

/** A list after a `services` event: what it changed, and whether the list must be fetched again. */
export interface Patched {
  services: FleetService[]
  /** How much `total` moved: services that came into or left the query. */
  totalDelta: number
  refetch: boolean
}

/**
 * Applies a delta to a list in name order: changed services are replaced, or dropped when they
 * no longer pass the query; new ones that pass are put in their place when the whole list is
 * loaded (a partial list gets them with its later pages). A truncated delta asks for a refetch.
 */
export function applyDelta(
  list: readonly FleetService[],
  delta: ServicesDeltaEvent,
  query: FleetQuery,
  complete: boolean,
): Patched {
  if (delta.truncated) return { services: list as FleetService[], totalDelta: 0, refetch: true }
  const gone = new Set(delta.removed)
  const changed = new Map(delta.services.map((s) => [s.name, s]))
  let totalDelta = 0
  const next: FleetService[] = []
  for (const s of list) {
    if (gone.has(s.name)) {
      totalDelta--
      continue
    }
    const update = changed.get(s.name)
    if (!update) {
      next.push(s)
      continue
    }
    changed.delete(s.name)
    if (matchesQuery(update, query)) next.push(update)
    else totalDelta--
  }
  // What is left was not on the list: new to the query (a state that now matches) or new to the fleet.
  for (const s of changed.values()) {
    if (!matchesQuery(s, query)) continue
    totalDelta++
    if (complete) next.splice(upperBound(next, s.name), 0, s)
  }
  return { services: next, totalDelta, refetch: false }
}

/** A row of the grouped list: a group's heading, or a service. */
export type FleetRow =
  | {
      kind: 'group'
      key: string
      name: string
      count: number
      /** Down and not in maintenance, as the agent counts a group's `down`. */
      down: number
      /** In a maintenance window, whatever their state. */
      maintenance: number
    }
  | { kind: 'service'; key: string; service: FleetService }

/** The name under which services without a group are listed (last). */
export const UNGROUPED = 'Ungrouped'

/**
 * The rows of the list: services under a heading per group (groups by name, services without
 * one last), each group in name order; no headings when no service has a group.
 */
export function groupRows(services: readonly FleetService[]): FleetRow[] {
  const groups = new Map<string, FleetService[]>()
  let anyGroup = false
  for (const s of services) {
    const name = s.group ?? ''
    if (s.group !== undefined) anyGroup = true
    let list = groups.get(name)
    if (!list) {
      list = []
      groups.set(name, list)
    }
    list.push(s)
  }
  if (!anyGroup) return services.map((s) => ({ kind: 'service', key: s.name, service: s }))
  const names = [...groups.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0))
  const rows: FleetRow[] = []
  for (const name of names) {
    const members = groups.get(name)!
    // The agent's rule (API.md, "Maintenance and the overall status"): planned work is not down.
    const down = members.filter((s) => isDown(s.state) && s.maintenance === undefined).length
    const maintenance = members.filter((s) => s.maintenance !== undefined).length
    rows.push({
      kind: 'group',
      key: `group:${name}`,
      name: name || UNGROUPED,
      count: members.length,
      down,
      maintenance,
    })
    for (const s of members) rows.push({ kind: 'service', key: s.name, service: s })
  }
  return rows
}

/** Index of the first service whose name is greater than `name` (the agent's code-unit order). */
function upperBound(list: readonly FleetService[], name: string): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid]!.name <= name) lo = mid + 1
    else hi = mid
  }
  return lo
}
