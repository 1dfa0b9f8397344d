import type { AlertEngine } from '@noa/alerts'
import type { Clock, OverallStatus, Timer } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import type { HealthMonitor, ServiceStatus } from '@noa/health'
import { addDependents, directDependents } from './dependents.ts'
import { countsAsDown, overallOf } from './fleet-health.ts'
import type { StatusBody, StatusService } from './http/api-types.ts'
import type { MetricsRound } from './metrics/round.ts'

/** What the status body is made of; everything is read from memory, so `/api/status` stays fast. */
export interface StatusSources {
  health: HealthMonitor
  healing: HealingEngine
  alerts: AlertEngine
  round: MetricsRound
  clock: Clock
  runningHealings(): number
  pendingApprovals(): number
  /**
   * Whether a maintenance window covers the service now: it is marked, and not counted down in
   * the overall status. Say when this changes with {@link StatusView.touch}. @default never
   */
  inMaintenance?: (service: string) => boolean
}

/** Options of {@link StatusView}. */
export interface StatusViewOptions {
  /**
   * The longest a service's latency (or anything no event announces) may be stale, ms: once
   * started, the view reads the services checked since, and a turn of the sweep, this often.
   * @default 1000
   */
  maxAgeMs?: number
  /**
   * Services read again at each `maxAgeMs` refresh whatever the events said, in turns: what
   * changes without an event (a result another agent got, the next retry of an open circuit)
   * shows within `fleet / sweep` refreshes. A fleet this size or smaller is read whole each time.
   * @default 500
   */
  sweep?: number
}

/** One service of the list, with its JSON and what the overall status counts of it. */
interface Slot {
  service: StatusService
  json: string
  /** Its JSON's length in UTF-8. */
  bytes: number
  /** Down and not in maintenance: what the overall status counts (countsAsDown). */
  down: boolean
  critical: boolean
  unknown: boolean
}

/** The fleet part of the body, kept service by service. */
interface Fleet {
  /** The monitor's service list it was built from (replaced by a reload). */
  from: HealthMonitor['services']
  slots: Slot[]
  position: Map<string, number>
  /** Each service's dependents, direct ones: a change reaches their `blockedBy`. */
  dependents: Map<string, string[]>
  counts: { down: number; criticalDown: number; unknown: number }
  /** The services' JSON in UTF-8, commas between them included. */
  bytes: number
  /** Increases whenever a service's entry changed. */
  version: number
  /** Positions of the slots changed since the last JSON body was made of this fleet. */
  dirty: Set<number>
}

/** A body's bytes held by who writes them (an answer): not reused for a later body until released. */
export interface HeldBytes {
  bytes: Uint8Array<ArrayBuffer>
  release(): void
}

/** Spare buffers kept for the next bodies: one being written while the next is made is the usual case. */
const SPARES = 2

/** The last JSON body, and where each service's JSON starts in it, for the next body to copy from. */
interface Body {
  fleet: Fleet
  version: number
  key: string
  latest: unknown
  /** The body's buffer, a little larger than the body so the next ones fit when reused. */
  buffer: Buffer<ArrayBuffer>
  /** The body: the start of `buffer`. */
  bytes: Buffer<ArrayBuffer>
  /** `starts[i]`: the offset of service i's JSON; `starts[n]`: the end of the list. */
  starts: Uint32Array
}

const COMMA = 0x2c

/**
 * The `/api/status` body and `status` event, kept per service instead of rebuilt whole. Each
 * service's entry and its JSON are made again only when it may have changed: a result (its
 * latency), a state change (its dependents' `blockedBy` too), a flap or a healing event of it.
 * A change, a flap or a healing event shows at the next body; latencies at most `maxAgeMs`
 * late, and what no event announces within a few refreshes (`sweep`). At 10,000 services
 * rebuilding the whole list and its 1.4 MB of JSON every second took 50-250 ms of the event
 * loop each time, and held `/api/status` requests behind it; now a refresh reads the few
 * hundred services checked since the last one (and the sweep's) and writes the JSON pieces
 * into the body's buffer. Those refreshes run on the view's own timer ({@link start}), not in
 * a request: one that found the refresh due read 800 services before it could answer.
 */
export class StatusView {
  readonly #sources: StatusSources
  readonly #maxAgeMs: number
  readonly #sweep: number
  #fleet: Fleet | undefined
  /** Services to read again at the next body: changed, flapped or healed. */
  readonly #changed = new Set<string>()
  /** Services to read again at the next `maxAgeMs` refresh: checked. */
  readonly #checked = new Set<string>()
  #sweepFrom = 0
  #timer: Timer | undefined
  #list: { version: number; services: StatusService[] } | undefined
  #json: Body | undefined
  /** Holds on bodies' buffers by answers being written, by buffer. */
  readonly #holds = new Map<Buffer, number>()
  /** Buffers handed out without a hold (`json()`): never written again. */
  readonly #pinned = new WeakSet<Buffer>()
  /** Buffers of replaced bodies nothing holds any more, for the next bodies. */
  #spares: Buffer<ArrayBuffer>[] = []
  #builds = 0
  #reads = 0

  constructor(sources: StatusSources, options: StatusViewOptions = {}) {
    this.#sources = sources
    this.#maxAgeMs = options.maxAgeMs ?? 1000
    this.#sweep = options.sweep ?? 500
    const { health, healing } = sources
    const changed = ({ service }: { service: string }) => this.#changed.add(service)
    health.on('result', (result) => this.#checked.add(result.service))
    health.on('change', (change) => {
      this.#changed.add(change.service)
      this.#dependentsOf(change.service)
    })
    health.on('flapping', changed)
    healing.on('healing-started', changed)
    healing.on('healing-step', ({ record }) => changed(record))
    healing.on('healing-finished', changed)
    healing.on('escalation', changed)
    healing.on('recovered', changed)
  }

  /** Marks services to read again at the next body: something no event of the monitor says changed (a maintenance window). */
  touch(services: readonly string[]): void {
    for (const name of services) this.#changed.add(name)
  }

  /** How many times the whole list was built (at the first body and after a reload). */
  get builds(): number {
    return this.#builds
  }

  /** How many service entries were read from the monitor and healing, whole builds included. */
  get reads(): number {
    return this.#reads
  }

  /**
   * The body as JSON bytes, made again only when it would differ (a service's entry changed,
   * an alert, healing or approval count or the metrics snapshot changed); its `timestamp` is
   * when it was made. The services' part is each entry's JSON, serialized when it changed: the
   * entries that changed since the last body are written into the new body's buffer, the runs
   * of unchanged ones between them copied from the last body in one piece each (no 1.4 MB
   * string at 10,000 services: serializing the body whole took 15-20 ms, joining the entries
   * 6 ms, and writing each entry's string 4-5 ms). The bytes handed out here stay as they are.
   */
  json(): Uint8Array<ArrayBuffer> {
    const body = this.#body()
    this.#pinned.add(body.buffer)
    return body.bytes
  }

  /**
   * The body as {@link json} makes it, held until `release()` (an answer written to its
   * socket). A released body's buffer takes a later body: writing 1.4 MB into fresh memory
   * took 4-6 ms of page faults on the machines noa was measured on, into reused memory 0.1 ms.
   */
  heldJson(): HeldBytes {
    const body = this.#body()
    const { buffer } = body
    this.#holds.set(buffer, (this.#holds.get(buffer) ?? 0) + 1)
    let released = false
    return {
      bytes: body.bytes,
      release: () => {
        if (released) return
        released = true
        const holds = this.#holds.get(buffer)! - 1
        if (holds > 0) this.#holds.set(buffer, holds)
        else {
          this.#holds.delete(buffer)
          this.#spare(buffer)
        }
      },
    }
  }

  #body(): Body {
    const fleet = this.#current()
    const { round } = this.#sources
    const key = this.#countsKey()
    const last = this.#json
    if (
      last &&
      last.fleet === fleet &&
      last.version === fleet.version &&
      last.key === key &&
      last.latest === round.latest
    )
      return last
    const { timestamp, health, metrics, alerts, healing } = this.#figures(fleet)
    // The same text as JSON.stringify(body()): the keys in the body's order, services in the middle.
    const head = JSON.stringify({ timestamp, health, services: [] }).slice(0, -2)
    const tail = `],${JSON.stringify({ metrics, alerts, healing }).slice(1)}`
    const headBytes = Buffer.byteLength(head)
    const size = headBytes + fleet.bytes + Buffer.byteLength(tail)
    const buffer = this.#bufferOf(size)
    const bytes = buffer.subarray(0, size)
    bytes.write(head)
    const starts = writeServices(bytes, headBytes, fleet, last?.fleet === fleet ? last : undefined)
    bytes.write(tail, headBytes + fleet.bytes)
    this.#json = { fleet, version: fleet.version, key, latest: round.latest, buffer, bytes, starts }
    if (last) this.#spare(last.buffer)
    return this.#json
  }

  /** A buffer for a body of `size` bytes: a spare one that fits, else a new one with room to grow. */
  #bufferOf(size: number): Buffer<ArrayBuffer> {
    const fits = this.#spares.findIndex((b) => b.length >= size)
    if (fits >= 0) return this.#spares.splice(fits, 1)[0]!
    return Buffer.allocUnsafeSlow(size + (size >> 3))
  }

  /** Keeps `buffer` for a later body when nothing uses it any more: not the current body, not held, never handed out. */
  #spare(buffer: Buffer): void {
    if (buffer === this.#json?.buffer || this.#holds.has(buffer) || this.#pinned.has(buffer)) return
    if (this.#spares.length < SPARES && !this.#spares.includes(buffer as Buffer<ArrayBuffer>))
      this.#spares.push(buffer as Buffer<ArrayBuffer>)
  }

  /** Refreshes the view every `maxAgeMs` until {@link stop}. */
  start(): void {
    if (this.#timer) return
    const { clock } = this.#sources
    const tick = () => {
      this.refresh()
      this.#timer = clock.setTimeout(tick, this.#maxAgeMs)
    }
    this.#timer = clock.setTimeout(tick, this.#maxAgeMs)
  }

  stop(): void {
    this.#timer?.cancel()
    this.#timer = undefined
  }

  /**
   * Reads again the services checked since the last refresh and the sweep's next turn, without
   * making a body: what no event announces (a latency, a retry time) shows at the next body.
   */
  refresh(): void {
    const fleet = this.#current()
    for (const name of this.#checked) this.#changed.add(name)
    this.#checked.clear()
    this.#sweepInto(fleet, this.#changed)
    this.#readChanged(fleet)
  }

  body(): StatusBody {
    const fleet = this.#current()
    const { timestamp, health, metrics, alerts, healing } = this.#figures(fleet)
    return { timestamp, health, services: this.#services(fleet), metrics, alerts, healing }
  }

  /** Everything in the body but the list of services. */
  #figures(fleet: Fleet): Omit<StatusBody, 'services'> {
    const { alerts, round, clock } = this.#sources
    const latest = round.latest
    const app = latest?.application
    let firing = 0
    let pending = 0
    for (const a of alerts.alerts()) {
      if (a.state === 'firing') firing++
      else if (a.state === 'pending') pending++
    }
    return {
      timestamp: new Date(clock.now()).toISOString(),
      health: overall(fleet),
      metrics: {
        cpu: latest?.system.cpu?.usage?.average ?? null,
        memory: latest?.system.memory?.usagePercent ?? null,
        errorRate: app?.requests?.errorRate ?? null,
        latency: app?.latency?.average ?? null,
        ...(latest ? { at: Date.parse(latest.timestamp) } : {}),
        ...(typeof round.intervalMs === 'number' ? { intervalMs: round.intervalMs } : {}),
      },
      alerts: { firing, pending },
      healing: {
        running: this.#sources.runningHealings(),
        pendingApprovals: this.#sources.pendingApprovals(),
      },
    }
  }

  #countsKey(): string {
    let firing = 0
    let pending = 0
    for (const a of this.#sources.alerts.alerts()) {
      if (a.state === 'firing') firing++
      else if (a.state === 'pending') pending++
    }
    return `${firing} ${pending} ${this.#sources.runningHealings()} ${this.#sources.pendingApprovals()}`
  }

  /** The list of the body: one array per version, so a body handed out never changes under its holder. */
  #services(fleet: Fleet): StatusService[] {
    if (this.#list?.version !== fleet.version)
      this.#list = { version: fleet.version, services: fleet.slots.map((s) => s.service) }
    return this.#list.services
  }

  /** The fleet, the services events named read again; built whole at the first call and after a reload. */
  #current(): Fleet {
    const { health } = this.#sources
    const fleet = this.#fleet
    if (!fleet || fleet.from !== health.services) {
      this.#fleet = this.#build()
      return this.#fleet
    }
    this.#readChanged(fleet)
    return fleet
  }

  #readChanged(fleet: Fleet): void {
    for (const name of this.#changed) {
      const at = fleet.position.get(name)
      if (at !== undefined) this.#refresh(fleet, at, name)
    }
    this.#changed.clear()
  }

  /** Adds the next `sweep` services, in turns, to the ones to read again. */
  #sweepInto(fleet: Fleet, into: Set<string>): void {
    const n = fleet.slots.length
    const count = Math.min(this.#sweep, n)
    for (let k = 0; k < count; k++) into.add(fleet.slots[(this.#sweepFrom + k) % n]!.service.name)
    this.#sweepFrom = n === 0 ? 0 : (this.#sweepFrom + count) % n
  }

  /** Marks the services whose `blockedBy` may follow a change of `service` (dependents of dependents too). */
  #dependentsOf(service: string): void {
    if (this.#fleet) addDependents(this.#fleet.dependents, service, this.#changed)
  }

  #refresh(fleet: Fleet, at: number, name: string): void {
    const before = fleet.slots[at]!
    const service = this.#entry(this.#sources.health.status(name))
    // Most services read again are as they were (a sweep, a result as fast as the last one).
    if (sameEntry(service, before.service)) return
    const slot = slotOf(service)
    fleet.slots[at] = slot
    const c = fleet.counts
    c.down += Number(slot.down) - Number(before.down)
    c.criticalDown += Number(slot.down && slot.critical) - Number(before.down && before.critical)
    c.unknown += Number(slot.unknown) - Number(before.unknown)
    fleet.bytes += slot.bytes - before.bytes
    fleet.version++
    fleet.dirty.add(at)
  }

  #build(): Fleet {
    const { health } = this.#sources
    this.#builds++
    const from = health.services
    const dependents = directDependents(from)
    const slots = health.summary().services.map((s) => slotOf(this.#entry(s)))
    const counts = { down: 0, criticalDown: 0, unknown: 0 }
    let bytes = Math.max(0, slots.length - 1)
    for (const s of slots) {
      bytes += s.bytes
      if (s.down) counts.down++
      if (s.down && s.critical) counts.criticalDown++
      if (s.unknown) counts.unknown++
    }
    const position = new Map(slots.map((s, i) => [s.service.name, i]))
    this.#changed.clear()
    this.#checked.clear()
    this.#sweepFrom = 0
    const version = (this.#fleet?.version ?? 0) + 1
    return { from, slots, position, dependents, counts, bytes, version, dirty: new Set() }
  }

  #entry(s: ServiceStatus): StatusService {
    this.#reads++
    const guard = this.#sources.healing.guardState(s.service)
    return {
      name: s.service,
      state: s.state,
      critical: s.critical,
      flapping: s.flapping,
      blockedBy: [...s.blockedBy],
      latencyMs: s.lastResult?.durationMs ?? null,
      circuit: guard.circuit,
      degraded: guard.degraded,
      ...(guard.nextRetryAt === undefined ? {} : { nextRetryAt: guard.nextRetryAt }),
      ...(this.#sources.inMaintenance?.(s.service) ? { maintenance: true as const } : {}),
    }
  }
}

/**
 * Writes the services' JSON, comma-separated, into `bytes` from `at`, and answers where each
 * starts. With the last body of the same fleet, only the slots changed since are written; the
 * runs between them are copied from it, each in one piece (with its commas).
 */
function writeServices(bytes: Buffer, at: number, fleet: Fleet, last: Body | undefined): Uint32Array {
  const { slots, dirty } = fleet
  const n = slots.length
  const starts = new Uint32Array(n + 1)
  const write = (i: number) => {
    starts[i] = at
    at += bytes.write(slots[i]!.json, at)
    if (i < n - 1) bytes[at++] = COMMA
  }
  if (!last) for (let i = 0; i < n; i++) write(i)
  else {
    const changed = [...dirty].sort((a, b) => a - b)
    changed.push(n)
    let from = 0
    for (const next of changed) {
      if (next > from) {
        // slots from..next-1 as they were, and the comma before `next` when there is one
        const shift = at - last.starts[from]!
        for (let i = from; i < next; i++) starts[i] = last.starts[i]! + shift
        at += last.bytes.copy(bytes, at, last.starts[from]!, last.starts[next]!)
      }
      if (next < n) write(next)
      from = next + 1
    }
  }
  dirty.clear()
  starts[n] = at
  return starts
}

function slotOf(service: StatusService): Slot {
  const json = JSON.stringify(service)
  return {
    service,
    json,
    bytes: Buffer.byteLength(json),
    down: countsAsDown(service.state, service.maintenance === true),
    critical: service.critical,
    unknown: service.state === 'unknown',
  }
}

function sameEntry(a: StatusService, b: StatusService): boolean {
  return (
    a.state === b.state &&
    a.latencyMs === b.latencyMs &&
    a.flapping === b.flapping &&
    a.circuit === b.circuit &&
    a.degraded === b.degraded &&
    a.nextRetryAt === b.nextRetryAt &&
    a.maintenance === b.maintenance &&
    a.critical === b.critical &&
    a.blockedBy.length === b.blockedBy.length &&
    a.blockedBy.every((name, i) => b.blockedBy[i] === name)
  )
}

/** The overall status from the counts kept as services change (a service in maintenance is not down). */
function overall(fleet: Fleet): OverallStatus {
  return overallOf({ total: fleet.slots.length, ...fleet.counts })
}
