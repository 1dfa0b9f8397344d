import { type CheckResult, type HealthState, isDown } from '@noa/core'

/** Thresholds and flapping settings of one service's state machine. */
export interface StateMachineOptions {
  failureThreshold: number
  successThreshold: number
  flapping: { windowMs: number; limit: number }
}

/** What applying one result did. Read-only: the empty one (nothing changed) is shared and frozen. */
export interface Transition {
  /** Set when the reported state changed. */
  change?: { from: HealthState; to: HealthState }
  /** Set when the service started (true) or stopped (false) flapping. */
  flapping?: boolean
}

/** What most results do: nothing. Shared, so that a steady service allocates no transition. */
const NOTHING: Transition = Object.freeze({})

/**
 * Turns one service's results into its state, as Kubernetes probes do: `failureThreshold`
 * failures in a row before a healthy service is down, `successThreshold` successes before
 * a down one is healthy. `unknown` until the first result, which decides at once.
 * When `flapping.limit` changes happen within `flapping.windowMs`, the reported state is
 * held and the service is marked flapping until the changes in the window fall below the limit.
 *
 * @example
 * ```ts
 * const machine = new ServiceStateMachine({ failureThreshold: 3, successThreshold: 1, flapping: { windowMs: 600_000, limit: 5 } })
 * machine.apply(result).change // { from: 'unknown', to: 'healthy' }
 * ```
 */
export class ServiceStateMachine {
  /** The reported state (held while flapping). */
  state: HealthState = 'unknown'
  /** The state the thresholds give, flapping or not. */
  actualState: HealthState = 'unknown'
  /** Epoch ms since when `state` holds. */
  since: number | undefined
  consecutiveFailures = 0
  consecutiveSuccesses = 0
  flapping = false
  lastResult: CheckResult | undefined
  readonly #options: StateMachineOptions
  #changes: number[] = []

  constructor(options: StateMachineOptions) {
    this.#options = options
  }

  /**
   * Applies a result. A `decisive` result (a supervisor saw the process exit) skips the
   * thresholds; flapping still holds the state.
   */
  apply(result: CheckResult, decisive = false): Transition {
    this.lastResult = result
    const { failureThreshold, successThreshold } = this.#options
    let next = this.actualState
    if (result.state === 'healthy') {
      this.consecutiveSuccesses++
      this.consecutiveFailures = 0
      if (
        next === 'unknown' ||
        (next !== 'healthy' && (decisive || this.consecutiveSuccesses >= successThreshold))
      )
        next = 'healthy'
    } else {
      this.consecutiveFailures++
      this.consecutiveSuccesses = 0
      if (next === 'unknown' || isDown(next) || decisive || this.consecutiveFailures >= failureThreshold)
        next = result.state
    }
    let transition = NOTHING
    const at = result.at
    if (next !== this.actualState) {
      // The first result is not a change that counts towards flapping.
      if (this.actualState !== 'unknown') this.#changes.push(at)
      this.actualState = next
    }
    this.#prune(at)
    const { limit } = this.#options.flapping
    if (!this.flapping && this.#changes.length >= limit) {
      this.flapping = true
      transition = { flapping: true }
    } else if (this.flapping && this.#changes.length < limit) {
      this.flapping = false
      transition = { flapping: false }
    }
    if (!this.flapping && this.actualState !== this.state) {
      const change = { from: this.state, to: this.actualState }
      transition = transition === NOTHING ? { change } : { ...transition, change }
      this.state = this.actualState
      this.since = at
    }
    return transition
  }

  /** State changes within the flapping window ending at `now`, held ones included: `flapping.limit` of them flap. */
  recentChanges(now: number): number {
    const oldest = now - this.#options.flapping.windowMs
    let count = 0
    for (let i = this.#changes.length - 1; i >= 0 && this.#changes[i]! > oldest; i--) count++
    return count
  }

  #prune(now: number) {
    const oldest = now - this.#options.flapping.windowMs
    let drop = 0
    while (drop < this.#changes.length && this.#changes[drop]! <= oldest) drop++
    if (drop > 0) this.#changes.splice(0, drop)
  }
}
