import type { HealthState } from '@noa/core'
import { countsAsDown } from '../fleet-health.ts'
import type { FleetCounts, FleetGroupCount, FleetService, FleetServicesBody } from './api-types.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'

/** The states a service can be in, in the order answers list them. */
export const HEALTH_STATES: readonly HealthState[] = ['healthy', 'unhealthy', 'error', 'unknown']

/** What `GET /api/services` filters by; every field narrows the list, and all of them must hold. */
export interface FleetFilter {
  /** Any of these states. */
  states?: ReadonlySet<HealthState>
  critical?: boolean
  /** Every one of these tags. */
  tags?: readonly string[]
  group?: string
  /** A case-insensitive part of the name. */
  q?: string
}

/** What the index knows of a service from the configuration. */
export interface FleetMember {
  name: string
  critical: boolean
  group?: string | undefined
  tags?: readonly string[] | undefined
  /** Its direct dependencies: their changes reach its `blockedBy`. */
  dependsOn?: readonly string[] | undefined
  /** How often it is checked, ms (the dashboard marks an older last check stale). */
  intervalMs?: number | undefined
}

/** Fields of a service that change as it is checked and healed. */
export type FleetPatch = Partial<Omit<FleetService, 'name' | 'group' | 'tags'>>

/** Changed services since the last `takeChanges`, at most `max` of them. */
export interface FleetChanges {
  services: FleetService[]
  removed: string[]
  /** More changed than `max`: the list is left out and a client fetches again. */
  truncated: boolean
  /** How many services changed, the left-out ones included. */
  changed: number
}

// Fields that only move with every check: kept current for answers, but a service is not sent
// as changed for them, or every check of 10,000 services would be an event.
const QUIET: ReadonlySet<string> = new Set(['latencyMs', 'lastCheckAt'])

/** The opaque `next` of a page: the name it ends with. */
export const encodeServiceCursor = (name: string): string => encodeCursor('n', name)

/** The name a cursor ends after, or undefined when it is not one this API made. */
export const decodeServiceCursor = (cursor: string): string | undefined => decodeCursor('n', cursor)

interface Entry {
  service: FleetService
  /** The name in lower case, for `q`. */
  lower: string
}

/**
 * The fleet as the API lists it: every service's current status in one map, and the names in
 * one sorted array made when the services are (re)configured, so a page is a walk from the
 * cursor's place rather than a sort of 10,000 services per request. Changes are kept as a set
 * of names until the event stream takes them, so a burst of changes becomes one event.
 *
 * @example
 * ```ts
 * const index = new FleetIndex()
 * index.configure([{ name: 'api', critical: true, group: 'web', tags: ['eu'] }])
 * index.update('api', { state: 'healthy' })
 * index.query({ group: 'web' }, { limit: 100 }) // { services: [api], total: 1, next: null }
 * ```
 */
export class FleetIndex {
  readonly #entries = new Map<string, Entry>()
  #names: string[] = []
  readonly #changed = new Set<string>()
  readonly #removed = new Set<string>()
  #version = 0
  #counts: { version: number; value: FleetCounts; bound: number } | undefined

  /** Number of services. */
  get size(): number {
    return this.#names.length
  }

  /** Increases with every change of any service. */
  get version(): number {
    return this.#version
  }

  /**
   * Takes the configured services: kept ones keep their status (their group and tags may
   * change), new ones start unknown, and removed ones are reported as removed.
   */
  configure(members: readonly FleetMember[]): void {
    const next = new Set<string>()
    for (const m of members) {
      next.add(m.name)
      const old = this.#entries.get(m.name)
      const tags = [...(m.tags ?? [])]
      const service: FleetService = old
        ? { ...old.service, critical: m.critical, tags }
        : {
            name: m.name,
            state: 'unknown',
            critical: m.critical,
            flapping: false,
            tags,
            blockedBy: [],
            latencyMs: null,
            circuit: 'closed',
            degraded: false,
          }
      if (m.group === undefined) delete service.group
      else service.group = m.group
      if (m.intervalMs === undefined) delete service.intervalMs
      else service.intervalMs = m.intervalMs
      if (!old || JSON.stringify(old.service) !== JSON.stringify(service)) this.#changed.add(m.name)
      this.#entries.set(m.name, { service, lower: m.name.toLowerCase() })
      this.#removed.delete(m.name)
    }
    for (const name of this.#names)
      if (!next.has(name)) {
        this.#entries.delete(name)
        this.#changed.delete(name)
        this.#removed.add(name)
      }
    // Code-unit order, not locale order: it is what the cursor's binary search compares with.
    this.#names = [...next].sort()
    this.#version++
  }

  /** Every service's name, in order. */
  names(): readonly string[] {
    return this.#names
  }

  /** The current status of one service. */
  get(name: string): FleetService | undefined {
    return this.#entries.get(name)?.service
  }

  /** Applies what changed of a service; returns whether it changed in a way clients are told of. */
  update(name: string, patch: FleetPatch): boolean {
    const entry = this.#entries.get(name)
    if (!entry) return false
    const service = entry.service as unknown as Record<string, unknown>
    let loud = false
    let any = false
    for (const [key, value] of Object.entries(patch)) {
      const before = service[key]
      const same = Array.isArray(value)
        ? Array.isArray(before) &&
          before.length === value.length &&
          value.every((v: unknown, i: number) => before[i] === v)
        : before === value
      if (same) continue
      any = true
      if (!QUIET.has(key)) loud = true
      if (value === undefined) delete service[key]
      else service[key] = value
    }
    if (any) this.#version++
    if (loud) this.#changed.add(name)
    return loud
  }

  /**
   * One page of the services that pass `filter`, in name order, after the name `after`;
   * `total` counts every service that passes. One walk over the names: no sort per request.
   */
  query(filter: FleetFilter, page: { limit: number; after?: string }): FleetServicesBody {
    const names = this.#names
    const start = page.after === undefined ? 0 : upperBound(names, page.after)
    const q = filter.q?.toLowerCase()
    const services: FleetService[] = []
    let total = 0
    let more = false
    for (let i = 0; i < names.length; i++) {
      const entry = this.#entries.get(names[i]!)!
      const s = entry.service
      if (filter.states && !filter.states.has(s.state)) continue
      if (filter.critical !== undefined && s.critical !== filter.critical) continue
      if (filter.group !== undefined && s.group !== filter.group) continue
      if (filter.tags && !filter.tags.every((t) => s.tags.includes(t))) continue
      if (q && !entry.lower.includes(q)) continue
      total++
      if (i < start) continue
      if (services.length < page.limit) services.push(s)
      else more = true
    }
    const last = services.at(-1)
    return { services, total, next: more && last ? encodeServiceCursor(last.name) : null }
  }

  /**
   * Counts of the fleet, per state, group and tag; at most `bound` groups and tags (the biggest).
   * `counts` is by state as checked; `down`, `criticalDown` and a group's or tag's `down` leave
   * out the services a maintenance window covers (countsAsDown), which `maintenance` counts.
   */
  counts(bound = 100): FleetCounts {
    if (this.#counts && this.#counts.version === this.#version && this.#counts.bound === bound)
      return this.#counts.value
    const counts: Record<HealthState, number> = { healthy: 0, unhealthy: 0, error: 0, unknown: 0 }
    const groups = new Map<string, FleetGroupCount>()
    const tags = new Map<string, FleetGroupCount>()
    let down = 0
    let criticalDown = 0
    let maintenance = 0
    let flapping = 0
    let degraded = 0
    let ungrouped = 0
    const add = (into: Map<string, FleetGroupCount>, name: string, s: FleetService) => {
      let c = into.get(name)
      if (!c) {
        c = { name, total: 0, down: 0, unknown: 0, maintenance: 0 }
        into.set(name, c)
      }
      c.total++
      if (countsAsDown(s.state, s.maintenance !== undefined)) c.down++
      else if (s.state === 'unknown') c.unknown++
      if (s.maintenance !== undefined) c.maintenance++
    }
    for (const { service: s } of this.#entries.values()) {
      counts[s.state]++
      if (countsAsDown(s.state, s.maintenance !== undefined)) {
        down++
        if (s.critical) criticalDown++
      }
      if (s.maintenance !== undefined) maintenance++
      if (s.flapping) flapping++
      if (s.degraded) degraded++
      if (s.group === undefined) ungrouped++
      else add(groups, s.group, s)
      for (const t of s.tags) add(tags, t, s)
    }
    const top = (m: Map<string, FleetGroupCount>) =>
      [...m.values()]
        .sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1))
        .slice(0, bound)
        .sort((a, b) => (a.name < b.name ? -1 : 1))
    const value: FleetCounts = {
      total: this.#names.length,
      counts,
      down,
      criticalDown,
      maintenance,
      flapping,
      degraded,
      groups: top(groups),
      ungrouped,
      tags: top(tags),
      omitted: { groups: Math.max(0, groups.size - bound), tags: Math.max(0, tags.size - bound) },
    }
    this.#counts = { version: this.#version, value, bound }
    return value
  }

  /** The services that changed since the last call (at most `max`, else none and `truncated`). */
  takeChanges(max: number): FleetChanges {
    const changed = this.#changed.size + this.#removed.size
    const removed = [...this.#removed].slice(0, max)
    const truncated = changed > max
    const services: FleetService[] = []
    if (!truncated)
      for (const name of [...this.#changed].sort()) {
        const s = this.#entries.get(name)?.service
        if (s) services.push(s)
      }
    this.#changed.clear()
    this.#removed.clear()
    return { services, removed: truncated ? [] : removed, truncated, changed }
  }
}

/** The index of the first name greater than `name`. */
function upperBound(names: readonly string[], name: string): number {
  let lo = 0
  let hi = names.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (names[mid]! <= name) lo = mid + 1
    else hi = mid
  }
  return lo
}
