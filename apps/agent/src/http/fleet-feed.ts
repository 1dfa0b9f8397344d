import type { Clock, Timer } from '@noa/core'
import { yieldToLoop } from '@noa/core'
import type { HealthChange, HealthMonitor } from '@noa/health'
import type { Registry } from '@noa/metrics'
import { addDependents, directDependents } from '../dependents.ts'
import { overallOf } from '../fleet-health.ts'
import type { FleetService, StatusBody, SummaryBody } from './api-types.ts'
import type { FleetIndex, FleetMember, FleetPatch } from './fleet-index.ts'
import type { SseHub } from './sse-hub.ts'

/** What healing tells the feed: the guard of a service, and when it changes. */
export interface FleetHealing {
  guardState(service: string): { circuit: 'closed' | 'open'; degraded: boolean; nextRetryAt?: number }
  on(event: 'escalation' | 'recovered', listener: (info: { service: string }) => void): unknown
}

/** Options of {@link FleetFeed}. */
export interface FleetFeedOptions {
  index: FleetIndex
  health: Pick<HealthMonitor, 'on' | 'status'>
  healing: FleetHealing
  sse: Pick<SseHub, 'publish'>
  clock: Clock
  /** The parts of the summary that are not the fleet's: metrics, alerts and healings. */
  extras(): Pick<StatusBody, 'metrics' | 'alerts' | 'healing'>
  /** How long a change waits for others before it is sent, ms. @default 250 */
  coalesceMs?: number
  /** Most services in one `services` event; over it the event says `truncated`. @default 500 */
  maxDelta?: number
  /** Most `change` events a second; further changes go out only in the `services` event. @default 100 */
  maxChangeEventsPerSecond?: number
  /** Services a tick reconciles before it lets the event loop run (requests wait no longer). @default 500 */
  tickSlice?: number
  /**
   * Services each tick reads again whatever the events said, in turns, besides those with an
   * open circuit or degraded: what changes without an event shows within `fleet / sweep`
   * ticks. A fleet this size or smaller is read whole each tick. @default 500
   */
  sweep?: number
}

/**
 * Keeps the fleet index current from the health monitor's and healing's events, and sends the
 * fleet to event-stream clients as deltas: a change waits `coalesceMs` for the others of its
 * burst, then goes out as one `service` event (one service) or one `services` event (several,
 * bounded), so 10,000 changes at once are one frame, not 10,000. A state change reads its
 * dependents again (their `blockedBy`). Each tick sends the `summary` (counts only) and reads
 * again what no event announces: the services whose circuit is open or that run degraded (the
 * next retry moves), and `sweep` others in turns. At 10,000 services reading every service each
 * tick was the agent's largest periodic cost (~60 ms of CPU every 5 s, and its garbage).
 */
export class FleetFeed {
  readonly #o: FleetFeedOptions
  readonly #coalesceMs: number
  readonly #maxDelta: number
  readonly #maxChanges: number
  readonly #tickSlice: number
  readonly #sweep: number
  /** Each service's direct dependents: a change reaches their `blockedBy`. */
  #dependents = new Map<string, string[]>()
  /** Services to read again at the next flush: dependents of a changed service. */
  readonly #pending = new Set<string>()
  /** Services whose guard is not at rest (open circuit, degraded, a retry due): read every tick. */
  readonly #guarded = new Set<string>()
  #sweepFrom = 0
  #closed = false
  #flushTimer: Timer | undefined
  #changeWindow = { start: 0, sent: 0 }
  /** `change` events left out because of the rate bound, for the log and tests. */
  suppressedChanges = 0

  constructor(options: FleetFeedOptions) {
    this.#o = options
    this.#coalesceMs = options.coalesceMs ?? 250
    this.#maxDelta = options.maxDelta ?? 500
    this.#maxChanges = options.maxChangeEventsPerSecond ?? 100
    this.#tickSlice = options.tickSlice ?? 500
    this.#sweep = options.sweep ?? 500
    const { health, healing, index } = options
    health.on('result', (result) => {
      const down = result.state !== 'healthy'
      index.update(result.service, {
        latencyMs: result.durationMs,
        lastCheckAt: result.at,
        ...(down ? {} : { message: undefined }),
      })
    })
    health.on('change', (change) => {
      this.#applyChange(change)
      this.#dependentsOf(change.service)
    })
    health.on('flapping', (e) => this.#touch(e.service, { flapping: e.flapping, state: e.state }))
    const guard = ({ service }: { service: string }) => this.#touch(service, this.#guard(service))
    healing.on('escalation', guard)
    healing.on('recovered', guard)
  }

  /** Takes the configured services (start and reload). */
  configure(members: readonly FleetMember[]): void {
    this.#o.index.configure(members)
    this.#dependents = directDependents(members)
    // a service the reload removed is read no more
    const names = new Set(members.map((m) => m.name))
    for (const name of this.#guarded) if (!names.has(name)) this.#guarded.delete(name)
    this.#scheduleFlush()
  }

  /**
   * Sends a `change` event unless this second already had `maxChangeEventsPerSecond` of them;
   * the `services` event carries every change anyway.
   */
  publishChange(change: HealthChange): void {
    const now = this.#o.clock.now()
    if (now - this.#changeWindow.start >= 1000) this.#changeWindow = { start: now, sent: 0 }
    if (this.#changeWindow.sent >= this.#maxChanges) {
      this.suppressedChanges++
      return
    }
    this.#changeWindow.sent++
    this.#o.sse.publish('change', change)
  }

  /**
   * Every refresh interval: reconcile the guarded services and this tick's turn of the sweep,
   * send what changed, then the summary. The walk goes `tickSlice` services at a time and lets
   * the event loop run between slices, so requests that come meanwhile wait for one slice at
   * most. A walk of one slice is reconciled and sent before this returns.
   */
  async tick(): Promise<void> {
    const walk = this.#walk()
    for (let from = 0; from < walk.length; from += this.#tickSlice) {
      if (from > 0) {
        await yieldToLoop()
        if (this.#closed) return
      }
      const to = Math.min(walk.length, from + this.#tickSlice)
      for (let i = from; i < to; i++) this.#reconcile(walk[i]!)
    }
    this.flush()
    this.#o.sse.publish('summary', this.summary())
  }

  /** This tick's services: the whole fleet when it fits the sweep, else the guarded ones and the sweep's turn. */
  #walk(): readonly string[] {
    const names = this.#o.index.names()
    if (names.length <= this.#sweep) return names
    const walk = new Set(this.#guarded)
    if (this.#sweepFrom >= names.length) this.#sweepFrom = 0
    const end = this.#sweepFrom + this.#sweep
    for (let i = this.#sweepFrom; i < end; i++) walk.add(names[i % names.length]!)
    this.#sweepFrom = end % names.length
    return [...walk]
  }

  /** Catches what no event announced of a service (a dependent's `blockedBy`, a circuit's next retry). */
  #reconcile(name: string): void {
    const { index, health, healing } = this.#o
    let status: ReturnType<typeof health.status>
    try {
      status = health.status(name)
    } catch {
      return // removed between the configuration and this tick
    }
    const guard = healing.guardState(name)
    this.#noteGuard(name, guard)
    const known = index.get(name)
    // Most services are as the index has them: no patch to make and compare.
    if (
      known &&
      known.state === status.state &&
      known.flapping === status.flapping &&
      known.since === status.since &&
      known.circuit === guard.circuit &&
      known.degraded === guard.degraded &&
      known.nextRetryAt === guard.nextRetryAt &&
      sameNames(known.blockedBy, status.blockedBy)
    )
      return
    index.update(name, {
      state: status.state,
      flapping: status.flapping,
      blockedBy: [...status.blockedBy],
      since: status.since,
      circuit: guard.circuit,
      degraded: guard.degraded,
      nextRetryAt: guard.nextRetryAt,
    })
  }

  /**
   * Marks a service as in maintenance (the window that covers it) or not: for the tiles, and
   * for the counts, where a service in maintenance is not down (countsAsDown). The agent calls
   * it for every service a window's `coverage` event names.
   */
  setMaintenance(
    service: string,
    window: { id: string; reason: string; endsAt: number | null } | undefined,
  ): void {
    this.#touch(service, {
      maintenance: window ? { id: window.id, reason: window.reason, endsAt: window.endsAt } : undefined,
    })
  }

  /** Sends the changes gathered so far, if any. */
  flush(): void {
    this.#flushTimer?.cancel()
    this.#flushTimer = undefined
    for (const name of this.#pending) this.#reconcile(name)
    this.#pending.clear()
    const changes = this.#o.index.takeChanges(this.#maxDelta)
    if (changes.changed === 0) return
    const [only] = changes.services
    if (changes.changed === 1 && only) this.#o.sse.publish('service', only)
    else this.#o.sse.publish('services', changes)
  }

  /** The `/api/summary` body. */
  summary(): SummaryBody {
    const counts = this.#o.index.counts()
    return {
      timestamp: new Date(this.#o.clock.now()).toISOString(),
      health: overallOf({ ...counts, unknown: counts.counts.unknown }),
      ...counts,
      ...this.#o.extras(),
    }
  }

  /** Stops the pending flush and a tick in progress. */
  close(): void {
    this.#closed = true
    this.#flushTimer?.cancel()
    this.#flushTimer = undefined
  }

  #applyChange(change: HealthChange): void {
    const r = change.result
    this.#touch(change.service, {
      state: change.to,
      since: change.at,
      critical: change.critical,
      blockedBy: [...change.blockedBy],
      latencyMs: r.durationMs,
      lastCheckAt: r.at,
      message: change.to === 'healthy' ? undefined : r.message,
    })
  }

  #touch(service: string, patch: FleetPatch): void {
    if (this.#o.index.update(service, patch)) this.#scheduleFlush()
  }

  #guard(service: string): Pick<FleetService, 'circuit' | 'degraded' | 'nextRetryAt'> {
    const g = this.#o.healing.guardState(service)
    this.#noteGuard(service, g)
    return { circuit: g.circuit, degraded: g.degraded, nextRetryAt: g.nextRetryAt }
  }

  /** Keeps the services whose guard may move without an event (a retry's time) in the walk of every tick. */
  #noteGuard(service: string, g: ReturnType<FleetHealing['guardState']>): void {
    if (g.circuit === 'open' || g.degraded || g.nextRetryAt !== undefined) this.#guarded.add(service)
    else this.#guarded.delete(service)
  }

  /** Marks the services whose `blockedBy` may follow a change of `service` (dependents of dependents too). */
  #dependentsOf(service: string): void {
    if (addDependents(this.#dependents, service, this.#pending) > 0) this.#scheduleFlush()
  }

  #scheduleFlush(): void {
    if (this.#flushTimer) return
    this.#flushTimer = this.#o.clock.setTimeout(() => {
      this.#flushTimer = undefined
      this.flush()
    }, this.#coalesceMs)
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The feed's own counter: `change` events left out by its rate bound are counted, not lost silently. */
export function registerFeedMetrics(registry: Registry, feed: FleetFeed): void {
  registry.counter({
    name: 'noa_sse_changes_skipped_total',
    help: 'change events not sent because more came in a second than the bound; the services event carries them',
    collect: (counter) => counter.inc(feed.suppressedChanges - (counter.get() ?? 0)),
  })
}
