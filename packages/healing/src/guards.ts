/**
 * Guards every healing passes before it acts: cooldown between restarts, at most
 * `maxRestarts` restarts of a service within a window, at most `maxConsecutive` restarts
 * without a verified recovery, and a circuit breaker per service and action.
 */

/** Options of {@link Guards}. */
export interface GuardOptions {
  /** @default 5 */
  maxRestarts: number
  /** Window of `maxRestarts`, in ms. @default 3600000 */
  restartWindowMs: number
  /** @default 3 */
  maxConsecutive: number
  /** Failed healings of one service and action that open its circuit. @default 3 */
  circuitThreshold: number
  /** How long an open circuit stays open before one trial is allowed, in ms. @default 300000 */
  circuitCoolOffMs: number
}

/** Why a guard refused, or that it allowed the action. */
export type GuardVerdict =
  | { allowed: true; halfOpen?: boolean }
  | {
      allowed: false
      guard: 'cooldown' | 'max-restarts' | 'max-consecutive' | 'circuit-open'
      reason: string
    }

/** The state of one circuit. */
export type CircuitState = 'closed' | 'open' | 'half-open'

interface ServiceState {
  restarts: number[]
  consecutive: number
  lastRestartAt?: number
}

interface Circuit {
  failures: number
  openedAt?: number
  trial: boolean
}

/** A snapshot of the guards of one service, for the API and tests. */
export interface GuardSnapshot {
  restartsInWindow: number
  consecutive: number
  lastRestartAt?: number
  circuits: Record<string, CircuitState>
}

/**
 * In-memory guard state; time comes from the caller so it runs in fake time.
 *
 * @example
 * ```ts
 * const guards = new Guards({ maxRestarts: 5, restartWindowMs: 3_600_000, maxConsecutive: 3, circuitThreshold: 3, circuitCoolOffMs: 300_000 })
 * const verdict = guards.check('api', 'service-restart', { now: clock.now(), cooldownMs: 60_000, restarts: true })
 * ```
 */
export class Guards {
  readonly #options: GuardOptions
  readonly #services = new Map<string, ServiceState>()
  readonly #circuits = new Map<string, Circuit>()

  constructor(options: GuardOptions) {
    this.#options = options
  }

  #service(name: string): ServiceState {
    let s = this.#services.get(name)
    if (!s) {
      s = { restarts: [], consecutive: 0 }
      this.#services.set(name, s)
    }
    return s
  }

  #circuit(service: string, action: string): Circuit {
    const key = `${service}\u0000${action}`
    let c = this.#circuits.get(key)
    if (!c) {
      c = { failures: 0, trial: false }
      this.#circuits.set(key, c)
    }
    return c
  }

  circuitState(service: string, action: string, now: number): CircuitState {
    const c = this.#circuit(service, action)
    if (c.openedAt === undefined) return 'closed'
    return now - c.openedAt >= this.#options.circuitCoolOffMs ? 'half-open' : 'open'
  }

  /**
   * Decides whether `action` may run on `service` now. `restarts` marks actions that restart
   * the service (they count against the restart limits); `cooldownMs` is the pause required
   * since the last restart (0 for none).
   */
  check(
    service: string,
    action: string,
    opts: { now: number; restarts: boolean; cooldownMs?: number },
  ): GuardVerdict {
    if (opts.restarts) {
      const s = this.#service(service)
      this.#prune(s, opts.now)
      if (s.restarts.length >= this.#options.maxRestarts)
        return {
          allowed: false,
          guard: 'max-restarts',
          reason: `${service} was restarted ${s.restarts.length} times within ${this.#options.restartWindowMs} ms (max ${this.#options.maxRestarts})`,
        }
      if (s.consecutive >= this.#options.maxConsecutive)
        return {
          allowed: false,
          guard: 'max-consecutive',
          reason: `${service} was restarted ${s.consecutive} times in a row without recovering (max ${this.#options.maxConsecutive})`,
        }
      const cooldown = opts.cooldownMs ?? 0
      if (cooldown > 0 && s.lastRestartAt !== undefined && opts.now - s.lastRestartAt < cooldown)
        return {
          allowed: false,
          guard: 'cooldown',
          reason: `${service} was restarted ${opts.now - s.lastRestartAt} ms ago; cooldown is ${cooldown} ms`,
        }
    }
    const circuit = this.circuitState(service, action, opts.now)
    if (circuit === 'open' || (circuit === 'half-open' && this.#circuit(service, action).trial)) {
      return {
        allowed: false,
        guard: 'circuit-open',
        reason: `circuit of ${action} on ${service} is open after ${this.#circuit(service, action).failures} failed healings`,
      }
    }
    if (circuit === 'half-open') {
      this.#circuit(service, action).trial = true
      return { allowed: true, halfOpen: true }
    }
    return { allowed: true }
  }

  /** Counts a restart of `service` at `now`. */
  countRestart(service: string, now: number): void {
    const s = this.#service(service)
    s.restarts.push(now)
    s.consecutive++
    s.lastRestartAt = now
  }

  /** The service recovered: resets the consecutive counter. */
  recovered(service: string): void {
    this.#service(service).consecutive = 0
  }

  /**
   * Records how a healing ended for the circuit; returns true when this failure opened it.
   */
  settle(service: string, action: string, ok: boolean, now: number): boolean {
    const c = this.#circuit(service, action)
    if (ok) {
      c.failures = 0
      c.trial = false
      delete c.openedAt
      return false
    }
    c.failures++
    const wasTrial = c.trial
    c.trial = false
    if (wasTrial || c.failures >= this.#options.circuitThreshold) {
      c.openedAt = now
      return true
    }
    return false
  }

  snapshot(service: string, now: number): GuardSnapshot {
    const s = this.#service(service)
    this.#prune(s, now)
    const circuits: Record<string, CircuitState> = {}
    for (const key of this.#circuits.keys()) {
      const [svc, action] = key.split('\u0000') as [string, string]
      if (svc === service) circuits[action] = this.circuitState(svc, action, now)
    }
    const snap: GuardSnapshot = { restartsInWindow: s.restarts.length, consecutive: s.consecutive, circuits }
    if (s.lastRestartAt !== undefined) snap.lastRestartAt = s.lastRestartAt
    return snap
  }

  #prune(s: ServiceState, now: number): void {
    const from = now - this.#options.restartWindowMs
    s.restarts = s.restarts.filter((t) => t > from)
  }
}
