/**
 * Guards every healing passes before it acts: a cooldown between restarts, a restart budget
 * (at most `maxRestarts` restarts of a service within a window, at most `maxConsecutive`
 * without a recovery) and one circuit per service.
 *
 * The circuit opens when the budget is spent or when `circuitThreshold` healings in a row
 * failed. While it is open nothing acts on the service but its scheduled retries, which come
 * with exponential backoff (`retryInitialMs`, doubling, at most `retryMaxMs`), as Kubernetes'
 * CrashLoopBackOff does, and a person's own healing. It closes once the service has stayed
 * healthy for `stablePeriodMs`. With `onBudgetSpent: 'stop'` a circuit opened by a spent budget
 * schedules no retry: the service waits for a person.
 */

/** Options of {@link Guards}. */
export interface GuardOptions {
  /** @default 5 */
  maxRestarts: number
  /** Window of `maxRestarts`, in ms. @default 3600000 */
  restartWindowMs: number
  /** @default 3 */
  maxConsecutive: number
  /** Failed healings of one service in a row that open its circuit. @default 3 */
  circuitThreshold: number
  /** Wait before the first retry of an open circuit, in ms. @default 10000 */
  retryInitialMs: number
  /** Longest wait between two retries, in ms. @default 300000 */
  retryMaxMs: number
  /** How long a service must stay healthy to close its circuit and reset its counters, in ms. @default 60000 */
  stablePeriodMs: number
  /** What an open circuit does once the restart budget is spent. @default 'backoff' */
  onBudgetSpent: 'backoff' | 'stop'
}

/** Why a circuit is open. */
export type CircuitCause = 'budget-spent' | 'failures'

/** Whether an action may run now, and when it may not, why (typed) and whether this opened the circuit. */
export type GuardVerdict =
  | { allowed: true }
  | {
      allowed: false
      skip: 'cooldown' | 'budget-spent' | 'circuit-open'
      reason: string
      /** True on the refusal that opened the circuit: the caller escalates once. */
      opened?: boolean
    }

/** What an action asks of the guards. */
export interface GuardRequest {
  now: number
  /** The action restarts the service: the cooldown and the budget apply. */
  restarts: boolean
  /** Pause required since the last restart. @default 0 */
  cooldownMs?: number
  /** The circuit's own scheduled retry: allowed while the circuit is open. */
  retry?: boolean
  /** A person asked: nothing refuses it. */
  manual?: boolean
}

/** The guards of one service, for the API, the rules and tests. */
export interface GuardSnapshot {
  restartsInWindow: number
  consecutive: number
  lastRestartAt?: number
  /** Healings that failed in a row. */
  failures: number
  circuit: 'closed' | 'open'
  /** Set while the circuit is open. */
  cause?: CircuitCause
  openedAt?: number
  /** Retries made since the circuit opened. */
  retries: number
  /** When the next retry is due; absent when none is scheduled. */
  nextRetryAt?: number
}

interface Circuit {
  cause: CircuitCause
  openedAt: number
  retries: number
  nextRetryAt?: number
}

interface ServiceGuards {
  restarts: number[]
  consecutive: number
  failures: number
  lastRestartAt?: number
  circuit?: Circuit
  healthySince?: number
}

/**
 * In-memory guard state of every service; time comes from the caller so it runs in fake time.
 */
export interface Guards {
  /** Decides whether an action may run on `service` now. Spending the budget opens the circuit. */
  check(service: string, request: GuardRequest): GuardVerdict
  /** Counts a restart of `service` at `now`. */
  countRestart(service: string, now: number): void
  /** The service recovered (verified healthy, or a run longer than the stable period): the consecutive count starts over. */
  recovered(service: string): void
  /** Records how a healing ended; returns true when this failure opened the circuit. */
  settle(service: string, ok: boolean, now: number): boolean
  /**
   * Schedules the next retry of an open circuit: the wait doubles from `retryInitialMs` up to
   * `retryMaxMs`. Returns when it is due, or undefined when the circuit is closed or waits for a person.
   */
  scheduleRetry(service: string, now: number): number | undefined
  /** The service is healthy (from `now` if it was not already). */
  healthy(service: string, now: number): void
  /** The service is down: its stable period starts over at its next healthy result. */
  down(service: string): void
  /**
   * Closes the circuit and resets the counters once the service has been healthy for the
   * stable period. Returns true when this closed an open circuit.
   */
  closeIfStable(service: string, now: number): boolean
  /** When a healthy service will have been stable long enough, if it is healthy now. */
  stableAt(service: string): number | undefined
  /** True when there is nothing for a stable period to reset (no count, no open circuit). */
  settled(service: string): boolean
  /** True when nothing was ever counted of `service` (no restart, no failure, no circuit): its snapshot is all zeros. */
  untouched(service: string): boolean
  isOpen(service: string): boolean
  snapshot(service: string, now: number): GuardSnapshot
}

/**
 * Creates the guards of every service.
 *
 * @example
 * ```ts
 * const guards = createGuards({ ...defaults, maxRestarts: 5 })
 * const verdict = guards.check('api', { now: clock.now(), restarts: true, cooldownMs: 60_000 })
 * ```
 */
export function createGuards(options: GuardOptions): Guards {
  const services = new Map<string, ServiceGuards>()

  function stateOf(name: string): ServiceGuards {
    let s = services.get(name)
    if (!s) {
      s = { restarts: [], consecutive: 0, failures: 0 }
      services.set(name, s)
    }
    return s
  }

  function open(s: ServiceGuards, cause: CircuitCause, now: number): void {
    s.circuit = { cause, openedAt: now, retries: 0 }
  }

  function openReason(service: string, c: Circuit, now: number): string {
    const why = c.cause === 'budget-spent' ? 'its restart budget is spent' : 'its healings keep failing'
    const next =
      c.nextRetryAt === undefined
        ? 'no retry is scheduled: a person must act'
        : `next retry in ${Math.max(0, c.nextRetryAt - now)} ms`
    return `circuit of ${service} is open (${why}); ${next}`
  }

  function prune(s: ServiceGuards, now: number): void {
    const from = now - options.restartWindowMs
    if (s.restarts.length > 0 && s.restarts[0]! <= from) s.restarts = s.restarts.filter((t) => t > from)
  }

  return {
    check(service: string, request: GuardRequest): GuardVerdict {
      if (request.manual) return { allowed: true }
      const s = stateOf(service)
      if (s.circuit) {
        if (request.retry) return { allowed: true }
        return {
          allowed: false,
          skip: 'circuit-open',
          reason: openReason(service, s.circuit, request.now),
        }
      }
      if (!request.restarts) return { allowed: true }
      prune(s, request.now)
      const { maxRestarts, restartWindowMs, maxConsecutive } = options
      const spent =
        s.restarts.length >= maxRestarts
          ? `${service} was restarted ${s.restarts.length} times within ${restartWindowMs} ms (max ${maxRestarts})`
          : s.consecutive >= maxConsecutive
            ? `${service} was restarted ${s.consecutive} times in a row without recovering (max ${maxConsecutive})`
            : undefined
      if (spent) {
        open(s, 'budget-spent', request.now)
        return { allowed: false, skip: 'budget-spent', reason: spent, opened: true }
      }
      const cooldown = request.cooldownMs ?? 0
      if (cooldown > 0 && s.lastRestartAt !== undefined && request.now - s.lastRestartAt < cooldown)
        return {
          allowed: false,
          skip: 'cooldown',
          reason: `${service} was restarted ${request.now - s.lastRestartAt} ms ago; cooldown is ${cooldown} ms`,
        }
      return { allowed: true }
    },
    countRestart(service: string, now: number): void {
      const s = stateOf(service)
      s.restarts.push(now)
      s.consecutive++
      s.lastRestartAt = now
    },
    recovered(service: string): void {
      stateOf(service).consecutive = 0
    },
    settle(service: string, ok: boolean, now: number): boolean {
      const s = stateOf(service)
      if (ok) {
        s.failures = 0
        return false
      }
      s.failures++
      if (s.circuit || s.failures < options.circuitThreshold) return false
      open(s, 'failures', now)
      return true
    },
    scheduleRetry(service: string, now: number): number | undefined {
      const c = stateOf(service).circuit
      if (!c) return undefined
      if (c.cause === 'budget-spent' && options.onBudgetSpent === 'stop') return undefined
      const { retryInitialMs, retryMaxMs } = options
      const wait = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(c.retries, 30))
      c.retries++
      c.nextRetryAt = now + wait
      return c.nextRetryAt
    },
    healthy(service: string, now: number): void {
      const s = stateOf(service)
      s.healthySince ??= now
    },
    down(service: string): void {
      stateOf(service).healthySince = undefined
    },
    closeIfStable(service: string, now: number): boolean {
      const s = stateOf(service)
      if (s.healthySince === undefined || now - s.healthySince < options.stablePeriodMs) return false
      s.consecutive = 0
      s.failures = 0
      if (!s.circuit) return false
      s.circuit = undefined
      return true
    },
    stableAt(service: string): number | undefined {
      const since = stateOf(service).healthySince
      return since === undefined ? undefined : since + options.stablePeriodMs
    },
    settled(service: string): boolean {
      const s = services.get(service)
      return !s || (s.consecutive === 0 && s.failures === 0 && !s.circuit)
    },
    untouched(service: string): boolean {
      const s = services.get(service)
      return (
        !s ||
        (s.restarts.length === 0 &&
          s.consecutive === 0 &&
          s.failures === 0 &&
          !s.circuit &&
          s.lastRestartAt === undefined)
      )
    },
    isOpen(service: string): boolean {
      return stateOf(service).circuit !== undefined
    },
    snapshot(service: string, now: number): GuardSnapshot {
      const s = stateOf(service)
      prune(s, now)
      const snap: GuardSnapshot = {
        restartsInWindow: s.restarts.length,
        consecutive: s.consecutive,
        failures: s.failures,
        circuit: s.circuit ? 'open' : 'closed',
        retries: s.circuit?.retries ?? 0,
      }
      if (s.lastRestartAt !== undefined) snap.lastRestartAt = s.lastRestartAt
      if (s.circuit) {
        snap.cause = s.circuit.cause
        snap.openedAt = s.circuit.openedAt
        if (s.circuit.nextRetryAt !== undefined) snap.nextRetryAt = s.circuit.nextRetryAt
      }
      return snap
    },
  }
}
