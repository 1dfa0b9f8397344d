import type { AlertEngine } from '@noa/alerts'
import type { Clock, OverallStatus } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import type { HealthMonitor } from '@noa/health'
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
}

/** The fleet part of the body: one entry per service, the O(fleet) part. */
interface Fleet {
  overall: OverallStatus
  services: StatusService[]
  builtAt: number
  /** The monitor's service list it was built from (replaced by a reload). */
  from: HealthMonitor['services']
}

/**
 * The `/api/status` body and `status` event. The list of services is built from the fleet at
 * most once per burst of changes, and at least every `maxAgeMs` for latencies and guards:
 * rebuilding 10,000 entries for every request made `/api/status` as slow as the fleet is big
 * (and every SSE tick, and every dashboard poll). A change, a flap, a healing event or a
 * reload makes the next body a fresh one; the rest of the body is read at every call.
 */
export class StatusView {
  readonly #sources: StatusSources
  readonly #maxAgeMs: number
  #fleet: Fleet | undefined
  #json: { fleet: Fleet; key: string; latest: unknown; bytes: Uint8Array<ArrayBuffer> } | undefined
  #builds = 0

  constructor(sources: StatusSources, maxAgeMs = 1000) {
    this.#sources = sources
    this.#maxAgeMs = maxAgeMs
    const invalidate = () => {
      this.#fleet = undefined
    }
    const { health, healing } = sources
    health.on('change', invalidate)
    health.on('flapping', invalidate)
    healing.on('healing-started', invalidate)
    healing.on('healing-step', invalidate)
    healing.on('healing-finished', invalidate)
    healing.on('escalation', invalidate)
    healing.on('recovered', invalidate)
  }

  /** How many times the list of services was built (for tests). */
  get builds(): number {
    return this.#builds
  }

  /**
   * The body as JSON bytes, made again only when it would differ (the fleet list was rebuilt,
   * an alert, healing or approval count or the metrics snapshot changed); its `timestamp` is
   * when it was made. At 10,000 services the body is 1.4 MB: serializing and encoding it for
   * every request took 15-20 ms of the event loop, answering it from here takes none.
   */
  json(): Uint8Array<ArrayBuffer> {
    const fleet = this.#current()
    const { round } = this.#sources
    const key = this.#countsKey()
    const cached = this.#json
    if (cached && cached.fleet === fleet && cached.key === key && cached.latest === round.latest)
      return cached.bytes
    const bytes = Buffer.from(JSON.stringify(this.body()))
    this.#json = { fleet, key, latest: round.latest, bytes }
    return bytes
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

  body(): StatusBody {
    const { alerts, round, clock } = this.#sources
    const fleet = this.#current()
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
      health: fleet.overall,
      services: fleet.services,
      metrics: {
        cpu: latest?.system.cpu?.usage?.average ?? null,
        memory: latest?.system.memory?.usagePercent ?? null,
        errorRate: app?.requests?.errorRate ?? null,
        latency: app?.latency?.average ?? null,
      },
      alerts: { firing, pending },
      healing: {
        running: this.#sources.runningHealings(),
        pendingApprovals: this.#sources.pendingApprovals(),
      },
    }
  }

  #current(): Fleet {
    const { health, clock } = this.#sources
    const fleet = this.#fleet
    if (fleet && fleet.from === health.services && clock.monotonic() - fleet.builtAt < this.#maxAgeMs)
      return fleet
    this.#fleet = this.#build()
    return this.#fleet
  }

  #build(): Fleet {
    const { health, healing, clock } = this.#sources
    this.#builds++
    const from = health.services
    const summary = health.summary()
    const services = summary.services.map((s): StatusService => {
      const guard = healing.guardState(s.service)
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
      }
    })
    return { overall: summary.overall, services, builtAt: clock.monotonic(), from }
  }
}
