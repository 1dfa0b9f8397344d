import { setMaxListeners } from 'node:events'
import type {
  Backoff,
  CheckResult,
  Clock,
  HealthState,
  Logger,
  OverallStatus,
  StateChange,
  Timer,
} from '@noa/core'
import {
  ConfigError,
  createBackoff,
  createEmitter,
  type Emitter,
  isDown,
  jitterDelay,
  NoaError,
  noopLogger,
  type Subscribable,
  systemClock,
} from '@noa/core'
import type { z } from 'zod'
import type { CallbackChecker, Cancellable, Checker, CheckOutcome } from './checker.ts'
import { errorOutcome } from './checker.ts'
import type { ProcessHandle } from './checkers/process/schema.ts'
import { checkerRegistry } from './checkers/registry.ts'
import type { CheckOptions, CheckType } from './checkers/schema.ts'
import { applyConditions, type Condition, parseCondition } from './conditions.ts'
import type { ServiceCheck, ServiceCheckInput } from './config.ts'
import { monitorSettingsSchema, parseServiceChecks } from './config.ts'
import { type DeadlineSlot, Deadlines } from './deadlines.ts'
import { Limiter } from './limiter.ts'
import { overallStatus } from './overall.ts'
import { ServiceStateMachine } from './state.ts'

/** A state change as the monitor emits it: core's StateChange plus what healing needs to order repairs. */
export interface HealthChange extends StateChange {
  critical: boolean
  /** Down dependencies of the service, deepest first (repair these first). */
  blockedBy: readonly string[]
}

/** One service's current status. */
export interface ServiceStatus {
  service: string
  /** Reported state; held while flapping. */
  state: HealthState
  critical: boolean
  /** Epoch ms since when `state` holds; absent while unknown. */
  since?: number
  flapping: boolean
  /**
   * State changes within the flapping window, the ones held while flapping included: the
   * service flaps at `flapping.limit` of them.
   */
  recentChanges: number
  consecutiveFailures: number
  consecutiveSuccesses: number
  readonly dependsOn: readonly string[]
  /** Down dependencies, deepest first; empty when none is down. */
  readonly blockedBy: readonly string[]
  lastResult?: CheckResult
}

/** The status of every service and of the whole fleet, in the shape of the seed's /api/health. */
export interface HealthSummary {
  /** ISO 8601 time the summary was made. */
  timestamp: string
  overall: OverallStatus
  counts: Record<HealthState, number>
  services: ServiceStatus[]
}

/** Emitted when a service starts or stops flapping. */
export interface FlappingEvent {
  service: string
  flapping: boolean
  /** The state held while flapping (or the state reported once it stopped). */
  state: HealthState
  at: number
}

/** A scheduled check that started late: see {@link HealthEvents.late}. */
export interface LateEvent {
  service: string
  /** How long after it was due the first attempt started, ms. */
  lateMs: number
}

/** Events of a {@link HealthMonitor}, each with one payload. */
export interface HealthEvents {
  /** Every result of every service, after retries. */
  result: CheckResult
  /** A service's reported state changed; carries the result that caused it. */
  change: HealthChange
  /** A service started or stopped flapping. */
  flapping: FlappingEvent
  /** After each `runOnce()` and, when running, after each batch of results that settle together. */
  summary: HealthSummary
  /**
   * A scheduled check started its first attempt `lateMs` after it was due (a busy event loop,
   * or every concurrency slot taken). Emitted only while someone listens.
   */
  late: LateEvent
}

/**
 * Runs the health checks of a set of services, keeps each one's state and emits `result`,
 * `change`, `flapping`, `summary` and `late` (`on` returns the function that stops listening).
 * Continuous mode (`start`) and `runOnce()` share the same code. Build it with
 * {@link createHealthMonitor}.
 */
export interface HealthMonitor extends Subscribable<HealthEvents> {
  /** The validated services, with defaults applied (replaced by {@link HealthMonitor.update}). */
  readonly services: readonly ServiceCheck[]
  /** True between `start()` and `stop()`. */
  readonly running: boolean
  /**
   * Replaces the set of services, as a configuration reload does, validated as a whole first
   * (nothing changes when one is invalid: ConfigError). A service whose settings are unchanged
   * keeps its state, history and schedule; a changed one starts over (`unknown`, checked soon);
   * a removed one stops, and a check of it in flight is abandoned; a new one is scheduled as at
   * start. Returns the names of each kind.
   *
   * @example
   * ```ts
   * const { added, removed, changed } = monitor.update(nextConfig.services)
   * ```
   */
  update(inputs: readonly ServiceCheckInput[]): ServiceUpdate
  /**
   * Starts continuous mode: each service is checked every `interval`, the first time after a
   * small random delay. A `process` check whose handle emits `exit` is reported at once.
   */
  start(): void
  /** Stops continuous mode: cancels timers, aborts checks in flight and releases idle sockets. */
  stop(): Promise<void>
  /**
   * Checks only the services named (several agents share a fleet: each checks its own share)
   * or, with undefined, every service. The others stay known, with the state last observed
   * (see {@link HealthMonitor.observe}); a service that comes back to this monitor is checked soon.
   */
  checkOnly(names: ReadonlySet<string> | undefined): void
  /** Whether this monitor checks the service itself (see {@link HealthMonitor.checkOnly}). */
  checksHere(service: string): boolean
  /**
   * Applies a result another monitor got (an agent sharing the fleet), through the thresholds
   * as one of this monitor's own. A result not newer than the service's latest is ignored.
   */
  observe(result: CheckResult): void
  /**
   * Runs every check now (with retries), applies the results and returns the summary.
   *
   * @example
   * ```ts
   * const summary = await createHealthMonitor({ services }).runOnce()
   * console.log(summary.overall)
   * ```
   */
  runOnce(): Promise<HealthSummary>
  /** Runs one service's check now (joining one already in flight) and returns its result. */
  checkNow(service: string): Promise<CheckResult>
  /**
   * Applies a result pushed from outside, such as a supervisor seeing its process exit, at
   * once instead of at the next interval. Returns the result as recorded.
   *
   * @example
   * ```ts
   * child.on('exit', (code) => monitor.report('api', { state: 'error', message: `exited with code ${code}` }))
   * ```
   */
  report(service: string, outcome: CheckOutcome, options?: ReportOptions): CheckResult
  /** The current status of one service. */
  status(service: string): ServiceStatus
  /** The current status of every service and the overall status. */
  summary(): HealthSummary
}

/** What {@link HealthMonitor.update} did, by service name. */
export interface ServiceUpdate {
  added: string[]
  removed: string[]
  changed: string[]
  kept: string[]
}

/** Options of {@link createHealthMonitor}. */
export interface HealthMonitorOptions extends z.input<typeof monitorSettingsSchema> {
  /** The services to check; validated as a whole when the monitor is built. */
  services: readonly ServiceCheckInput[]
  /** @default systemClock */
  clock?: Clock
  /** @default noopLogger */
  logger?: Logger
  /** Source of randomness for jitter. @default Math.random */
  random?: () => number
  /** Replaces built-in checkers by type (a test double, a custom client). */
  checkers?: { [T in CheckType]?: Checker<Extract<CheckOptions, { type: T }>> }
}

/** Options of {@link HealthMonitor.report}. */
export interface ReportOptions {
  /** Skip the failure/success thresholds: the report is certain (a supervisor saw the exit). @default true */
  decisive?: boolean
}

/** One check of one service in progress: its attempts, retries and who waits for its result. */
interface Run {
  entry: Entry
  stop: AbortSignal
  /** Made only when someone awaits the result (`checkNow`, `stop`): most checks need no promise. */
  promise: Promise<CheckResult> | undefined
  resolve: ((result: CheckResult) => void) | undefined
  /** Internal continuations (scheduler, runOnce), called with the result as it settles. */
  done: Array<(result: CheckResult, run: Run) => void> | undefined
  attempts: number
  started: number
  /** The current attempt has an outcome (or none is running). */
  settled: boolean
  slot: DeadlineSlot | undefined
  /** Ends the current attempt of a fast-path checker when its deadline passes first. */
  cancel: Cancellable | undefined
  /** The backoff timer while waiting to retry, with the outcome that led to it. */
  retry: Timer | undefined
  last: { outcome: CheckOutcome; durationMs: number } | undefined
  launch(): void
  onDeadline(): void
}

interface Entry {
  /** Replaced by update() when only its object changed (same settings). */
  service: ServiceCheck
  machine: ServiceStateMachine
  backoff: Backoff
  run?: Run | undefined
  checker?: Checker<never>
  /** Set when the checker is a built-in one that reports through a callback (no promise per attempt). */
  fast?: CallbackChecker<never, unknown> | undefined
  /** What the fast checker prepared for this service's check, made at its first attempt. */
  prepared?: unknown
  /** The tick the next scheduled check waits for; cleared to cancel it. */
  timer?: Tick | undefined
  /** Monotonic time the scheduled check is due, until its first attempt starts. */
  dueAt?: number | undefined
  /** Monotonic time the last scheduled check was due: the next one follows from it. */
  scheduledFor?: number
  /** Taken out by update(): nothing it still produces is applied. */
  removed?: boolean
  exitListener?: (code: number | null, signal: string | null) => void
}

/** The scheduled checks due at one time, started together by one timer. */
interface Tick {
  entries: Entry[]
  timer: Timer
}

const compiledConditions = new WeakMap<ServiceCheck, readonly Condition[]>()

/** A service's conditions, parsed once per service object (the schema refused any that do not parse). */
function conditionsOf(service: ServiceCheck): readonly Condition[] {
  if (service.conditions.length === 0) return NO_CONDITIONS
  let parsed = compiledConditions.get(service)
  if (!parsed) {
    parsed = service.conditions.map((text) => parseCondition(text) as Condition)
    compiledConditions.set(service, parsed)
  }
  return parsed
}
const NO_CONDITIONS: readonly Condition[] = Object.freeze([])

/** Shared by every status without down dependencies: statuses are read-only snapshots. */
const NONE: readonly string[] = Object.freeze([])
const round2 = (ms: number) => Math.round(ms * 100) / 100

/** The monitor behind {@link HealthMonitor}; private so that only the interface is public. */
class Monitor implements HealthMonitor {
  readonly #events: Emitter<HealthEvents>
  readonly on: HealthMonitor['on'] = (event, listener) => this.#events.on(event, listener)
  get services(): readonly ServiceCheck[] {
    return this.#services
  }
  #services: readonly ServiceCheck[] = []
  readonly #entries = new Map<string, Entry>()
  /** The same entries in configuration order, for loops that must not allocate. */
  readonly #list: Entry[] = []
  readonly #concurrency: number
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #random: () => number
  readonly #limiter: Limiter
  readonly #deadlines: Deadlines
  readonly #firstRunJitterMs: number
  readonly #firstRunRate: number
  readonly #tickMs: number
  readonly #checkers = new Map<CheckType, Checker<never>>()
  /** The services that depend directly on each service. */
  readonly #dependents = new Map<string, string[]>()
  /** Built-in checkers with the callback fast path (never a replacement given in `checkers`). */
  readonly #fast = new Set<Checker<never>>()
  /** The fast path's callback, one for all attempts: the run and attempt come back as arguments. */
  readonly #onOutcome = (outcome: CheckOutcome, run: Run, attempt: number) =>
    this.#settle(run, attempt, outcome)
  readonly #overrides: HealthMonitorOptions['checkers']
  /** What fast-path checkers get: the clock (their deadline comes through the handle they return). */
  readonly #fastContext: { readonly clock: Clock }
  #stop = this.#newStop()
  #running = false
  /** The services this monitor checks itself; undefined: all of them. */
  #only: ReadonlySet<string> | undefined
  #summaryPending = false
  /** Scheduled checks by the monotonic time they are due: one timer per tick, not per check. */
  readonly #ticks = new Map<number, Tick>()

  constructor(options: HealthMonitorOptions) {
    const parsed = monitorSettingsSchema.safeParse(
      {
        concurrency: options.concurrency,
        firstRunJitterMs: options.firstRunJitterMs,
        firstRunRate: options.firstRunRate,
        scheduleTickMs: options.scheduleTickMs,
      },
      { reportInput: true },
    )
    let services: ServiceCheck[] = []
    const issues = parsed.success ? [] : toIssues(parsed.error)
    try {
      services = parseServiceChecks(options.services)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      issues.push(...error.issues)
    }
    if (issues.length > 0 || !parsed.success) throw new ConfigError(issues)
    this.#services = services
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? noopLogger
    this.#events = createEmitter<HealthEvents>({ logger: this.#logger, name: 'health' })
    this.#random = options.random ?? Math.random
    this.#concurrency = parsed.data.concurrency
    this.#limiter = new Limiter(parsed.data.concurrency)
    this.#deadlines = new Deadlines(this.#clock)
    this.#fastContext = { clock: this.#clock }
    this.#firstRunJitterMs = parsed.data.firstRunJitterMs
    this.#firstRunRate = parsed.data.firstRunRate
    this.#tickMs = parsed.data.scheduleTickMs
    this.#overrides = options.checkers
    for (const service of services) this.#add(service)
    this.#indexDependents()
  }

  #add(service: ServiceCheck): Entry {
    const entry: Entry = {
      service,
      machine: new ServiceStateMachine(service),
      backoff: createBackoff(service.backoff, this.#random),
    }
    this.#entries.set(service.name, entry)
    this.#list.push(entry)
    return entry
  }

  #indexDependents(): void {
    this.#dependents.clear()
    for (const { service } of this.#list)
      for (const dep of service.dependsOn)
        this.#dependents.set(dep, [...(this.#dependents.get(dep) ?? []), service.name])
  }

  /**
   * Replaces the set of services, as a configuration reload does, validated as a whole first
   * (nothing changes when one is invalid: ConfigError). A service whose settings are unchanged
   * keeps its state, history and schedule; a changed one starts over (`unknown`, checked soon);
   * a removed one stops, and a check of it in flight is abandoned; a new one is scheduled as at
   * start. Returns the names of each kind.
   *
   * @example
   * ```ts
   * const { added, removed, changed } = monitor.update(nextConfig.services)
   * ```
   */
  update(inputs: readonly ServiceCheckInput[]): ServiceUpdate {
    const next = parseServiceChecks(inputs)
    const wanted = new Map(next.map((s) => [s.name, s]))
    const out: ServiceUpdate = { added: [], removed: [], changed: [], kept: [] }
    for (const [name, entry] of [...this.#entries]) {
      const service = wanted.get(name)
      if (!service) {
        this.#drop(entry)
        out.removed.push(name)
      } else if (sameSettings(entry.service, service)) {
        // Unchanged settings, a new object (a process handle may be a new one): keep the state.
        entry.service = service
        entry.prepared = undefined
        out.kept.push(name)
      } else {
        this.#drop(entry)
        out.changed.push(name)
      }
    }
    const fresh: Entry[] = []
    for (const service of next) {
      if (this.#entries.has(service.name)) continue
      if (!out.changed.includes(service.name)) out.added.push(service.name)
      const entry = this.#add(service)
      if (this.#running && this.#checksHere(entry)) fresh.push(entry)
    }
    this.#beginAll(fresh)
    // Configuration order, as a fresh monitor would have it.
    this.#list.sort(
      (a, b) => next.indexOf(wanted.get(a.service.name)!) - next.indexOf(wanted.get(b.service.name)!),
    )
    this.#services = next
    this.#indexDependents()
    return out
  }

  /** Stops checking a service and forgets it; a check of it in flight ends without effect. */
  #drop(entry: Entry): void {
    entry.timer = undefined
    entry.removed = true
    entry.run?.retry?.cancel()
    if (entry.exitListener && entry.service.check.type === 'process')
      entry.service.check.handle?.off?.('exit', entry.exitListener)
    entry.exitListener = undefined
    this.#entries.delete(entry.service.name)
    this.#list.splice(this.#list.indexOf(entry), 1)
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running
  }

  /**
   * Starts continuous mode: each service is checked every `interval`, the first time after a
   * small random delay. A `process` check whose handle emits `exit` is reported at once.
   */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#stop = this.#newStop()
    this.#beginAll(this.#list.filter((entry) => this.#checksHere(entry)))
  }

  /**
   * Checks only the services named (several agents share a fleet: each checks its own share)
   * or, with undefined, every service. The others stay known, with the state last observed
   * (see {@link observe}); a service that comes back to this monitor is checked soon.
   */
  checkOnly(names: ReadonlySet<string> | undefined): void {
    this.#only = names
    if (!this.#running) return
    // An agent that leaves hands its share to the others at once: spread like a start.
    const back: Entry[] = []
    for (const entry of this.#list) {
      const here = this.#checksHere(entry)
      if (here && !entry.timer && !entry.run) back.push(entry)
      else if (!here && entry.timer) {
        entry.timer = undefined
        entry.dueAt = undefined
      }
    }
    this.#beginAll(back)
  }

  /** Whether this monitor checks the service itself (see {@link checkOnly}). */
  checksHere(service: string): boolean {
    return this.#checksHere(this.#entry(service))
  }

  #checksHere(entry: Entry): boolean {
    return this.#only === undefined || this.#only.has(entry.service.name)
  }

  /**
   * Applies a result another monitor got (an agent sharing the fleet), through the thresholds
   * as one of this monitor's own. A result not newer than the service's latest is ignored.
   */
  observe(result: CheckResult): void {
    const entry = this.#entry(result.service)
    const latest = entry.machine.lastResult
    if (latest && latest.at >= result.at) return
    this.#apply(entry, result, false, false)
  }

  /**
   * Schedules the first checks of services that start together. A few start within the
   * first-run jitter; more than a second holds at `firstRunRate` are spread evenly, the k-th of n
   * at a random point of the k-th slice of the window: 10,000 services due within one second
   * would come back as one burst every interval, each check late by the whole queue.
   */
  #beginAll(entries: readonly Entry[]): void {
    const n = entries.length
    const window = (n * 1000) / this.#firstRunRate
    // Up to a second's worth at the rate keeps the jitter (0: at once, as tests and `noa` ask).
    if (window <= Math.max(this.#firstRunJitterMs, 1000)) {
      for (const entry of entries)
        this.#begin(
          entry,
          jitterDelay(Math.min(this.#firstRunJitterMs, entry.service.interval), this.#random),
        )
      return
    }
    for (let k = 0; k < n; k++) {
      const entry = entries[k]!
      // 90 % of the interval at most: the last first check, its tick and its answer still
      // come within one interval of the start.
      const span = Math.min(window, entry.service.interval * 0.9)
      this.#begin(entry, Math.floor(((k + this.#random()) * span) / n))
    }
  }

  /** Schedules a service's first check after `delayMs` and listens to its process. */
  #begin(entry: Entry, delayMs: number): void {
    const { service } = entry
    this.#schedule(entry, delayMs)
    if (service.check.type === 'process' && service.check.handle?.on) {
      const handle: ProcessHandle = service.check.handle
      entry.exitListener = (code, signal) =>
        this.report(service.name, {
          state: 'error',
          message: signal ? `process exited on ${signal}` : `process exited with code ${code}`,
          details: { exitCode: code, signal },
          retryable: false,
        })
      handle.on?.('exit', entry.exitListener)
    }
  }

  /** Stops continuous mode: cancels timers, aborts checks in flight and releases idle sockets. */
  async stop(): Promise<void> {
    this.#running = false
    this.#stop.abort(new NoaError('health monitor stopped', { code: 'ERR_STOPPED' }))
    const inflight: Promise<unknown>[] = []
    for (const tick of this.#ticks.values()) tick.timer.cancel()
    this.#ticks.clear()
    for (const entry of this.#entries.values()) {
      entry.timer = undefined
      if (entry.exitListener && entry.service.check.type === 'process')
        entry.service.check.handle?.off?.('exit', entry.exitListener)
      entry.exitListener = undefined
      const run = entry.run
      if (run?.retry && run.last) {
        // Waiting to retry: end now with the last outcome (dropped, as stop() drops every result).
        run.retry.cancel()
        run.retry = undefined
        this.#finish(run, run.last.outcome, run.last.durationMs)
      } else if (run) inflight.push(this.#promise(run))
    }
    await Promise.allSettled(inflight)
    for (const checker of this.#checkers.values()) checker.close?.()
    this.#checkers.clear()
  }

  /**
   * Runs every check now (with retries), applies the results and returns the summary.
   *
   * @example
   * ```ts
   * const summary = await createHealthMonitor({ services }).runOnce()
   * console.log(summary.overall)
   * ```
   */
  async runOnce(): Promise<HealthSummary> {
    if (this.#stop.signal.aborted) this.#stop = this.#newStop()
    await this.#checkAll()
    const summary = this.summary()
    this.#events.emit('summary', summary)
    return summary
  }

  /** Runs one service's check now (joining one already in flight) and returns its result. */
  checkNow(service: string): Promise<CheckResult> {
    return this.#promise(this.#check(this.#entry(service)))
  }

  /**
   * Applies a result pushed from outside, such as a supervisor seeing its process exit, at
   * once instead of at the next interval. Returns the result as recorded.
   *
   * @example
   * ```ts
   * child.on('exit', (code) => monitor.report('api', { state: 'error', message: `exited with code ${code}` }))
   * ```
   */
  report(service: string, outcome: CheckOutcome, options: ReportOptions = {}): CheckResult {
    const entry = this.#entry(service)
    const result = this.#result(service, outcome, 0, 1)
    this.#apply(entry, result, options.decisive ?? true)
    return result
  }

  /** The current status of one service. */
  status(service: string): ServiceStatus {
    return this.#status(this.#entry(service))
  }

  /** The current status of every service and the overall status. */
  summary(): HealthSummary {
    const list = this.#list
    const services: ServiceStatus[] = new Array(list.length)
    const counts: Record<HealthState, number> = { healthy: 0, unhealthy: 0, error: 0, unknown: 0 }
    for (let i = 0; i < list.length; i++) {
      const status = this.#status(list[i]!)
      services[i] = status
      counts[status.state]++
    }
    return {
      timestamp: new Date(this.#clock.now()).toISOString(),
      overall: overallStatus(services),
      counts,
      services,
    }
  }

  #newStop(): AbortController {
    const controller = new AbortController()
    // Every deadline slot listens to it; many slots are normal under load, not a leak.
    setMaxListeners(0, controller.signal)
    return controller
  }

  #entry(service: string): Entry {
    const entry = this.#entries.get(service)
    if (!entry)
      throw new NoaError(`unknown service "${service}"; known: ${[...this.#entries.keys()].join(', ')}`, {
        code: 'ERR_UNKNOWN_SERVICE',
      })
    return entry
  }

  #checkerFor<T extends CheckType>(type: T): Checker<Extract<CheckOptions, { type: T }>> {
    let checker = this.#checkers.get(type)
    if (!checker) {
      const factory = checkerRegistry[type]
      // http and https share one checker, hence one keep-alive pool.
      const sibling = [...this.#checkers.entries()].find(([t]) => checkerRegistry[t] === factory)?.[1]
      const override = this.#overrides?.[type]
      checker = (override ?? sibling ?? factory()) as Checker<never>
      if (!override && typeof (checker as Partial<CallbackChecker<never>>).start === 'function')
        this.#fast.add(checker)
      this.#checkers.set(type, checker)
    }
    return checker as unknown as Checker<Extract<CheckOptions, { type: T }>>
  }

  /**
   * Sets the service's next check `delayMs` from now, on the tick grid: checks due within one
   * tick start together, so that a busy monitor wakes once per tick instead of once per check
   * (at 333 checks a second the wake-ups, not the checks, were most of the CPU). The next due
   * time follows from this one, not from when the timer fired: no drift, interval after interval.
   */
  #schedule(entry: Entry, delayMs: number) {
    this.#scheduleAt(entry, this.#clock.monotonic() + delayMs)
  }

  /** Sets the next check at monotonic time `at` (on the grid at or after it); see {@link #schedule}. */
  #scheduleAt(entry: Entry, at: number) {
    const now = this.#clock.monotonic()
    const grid = this.#tickMs
    // Absolute times, not delays: `now + (due - now)` is not always `due` in floating point,
    // and one ulp over a grid point would cost a whole tick at every interval.
    const due = grid > 0 ? Math.ceil(at / grid) * grid : at
    entry.dueAt = due
    entry.scheduledFor = due
    let tick = this.#ticks.get(due)
    if (tick === undefined) {
      tick = { entries: [], timer: this.#clock.setTimeout(() => this.#startTick(due), due - now) }
      this.#ticks.set(due, tick)
    }
    tick.entries.push(entry)
    entry.timer = tick
  }

  /** Starts the checks of one tick, in the order they were scheduled; a cancelled one is skipped. */
  #startTick(due: number) {
    const tick = this.#ticks.get(due)
    if (tick === undefined) return
    this.#ticks.delete(due)
    for (const entry of tick.entries) {
      // Cancelled, or scheduled again for another tick since.
      if (entry.timer !== tick) continue
      entry.timer = undefined
      this.#after(this.#check(entry), this.#scheduleNext)
    }
  }

  /** Schedules a service's next check after a scheduled one: one function for all, the entry comes with the run. */
  readonly #scheduleNext = (_result: CheckResult, run: Run) => {
    const entry = run.entry
    if (!this.#running || entry.timer || entry.removed || !this.#checksHere(entry)) return
    this.#scheduleAt(
      entry,
      Math.max((entry.scheduledFor ?? 0) + entry.service.interval, this.#clock.monotonic()),
    )
  }

  /**
   * Checks every service with at most `concurrency` checks started ahead of the free slots,
   * instead of queueing one check per service at once: thousands of checks waiting in the
   * queue would all outlive the young generation and make the garbage collector the cost.
   */
  #checkAll(): Promise<void> {
    const list = this.#list
    const limiter = this.#limiter
    const limit = this.#concurrency
    return new Promise<void>((resolve) => {
      let next = 0
      let pending = 0
      let pumping = false
      const settled = () => {
        pending--
        pump()
      }
      // Checks already in flight (continuous mode, checkNow) are joined now, as they are.
      let joined: Uint8Array | undefined
      for (let i = 0; i < list.length; i++) {
        const run = list[i]!.run
        if (!run) continue
        joined ??= new Uint8Array(list.length)
        joined[i] = 1
        pending++
        this.#after(run, settled)
      }
      const pump = () => {
        // Re-entered when a check settles at once (stopped): the outer loop carries on.
        if (pumping) return
        pumping = true
        // Start while a slot is free; when none is (checks of the continuous mode), queue one.
        while (next < list.length && ((limiter.waiting === 0 && limiter.active < limit) || pending === 0)) {
          if (joined?.[next] === 1) {
            next++
            continue
          }
          pending++
          this.#after(this.#check(list[next++]!), settled)
        }
        pumping = false
        if (pending === 0 && next >= list.length) resolve()
      }
      pump()
    })
  }

  /** Calls `fn` once the run has its result. */
  #after(run: Run, fn: (result: CheckResult, run: Run) => void) {
    if (run.done) run.done.push(fn)
    else run.done = [fn]
  }

  #promise(run: Run): Promise<CheckResult> {
    run.promise ??= new Promise<CheckResult>((resolve) => {
      run.resolve = resolve
    })
    return run.promise
  }

  #check(entry: Entry): Run {
    if (entry.run) return entry.run
    if (!entry.checker) {
      entry.checker = this.#checkerFor(entry.service.check.type)
      if (this.#fast.has(entry.checker)) entry.fast = entry.checker as CallbackChecker<never, unknown>
    }
    const stop = this.#stop.signal
    const run: Run = {
      entry,
      stop,
      promise: undefined,
      resolve: undefined,
      done: undefined,
      attempts: 0,
      started: 0,
      settled: true,
      slot: undefined,
      cancel: undefined,
      retry: undefined,
      last: undefined,
      launch: () => this.#launch(run),
      onDeadline: () => {
        const cancel = run.cancel
        this.#settle(
          run,
          run.attempts,
          stop.aborted
            ? errorOutcome(stop.reason, stop)
            : {
                state: 'error',
                message: `check of ${entry.service.name} timed out after ${entry.service.timeout} ms`,
                retryable: true,
              },
        )
        // Settled first, as announced; then the work stops (the socket is closed).
        cancel?.cancel()
      },
    }
    entry.run = run
    this.#next(run)
    return run
  }

  // The attempt loop is written with callbacks, not async/await: at thousands of checks per
  // second every promise hop shows, and the monitor must stay close to a bare HTTP client.

  /** Queues the next attempt for a concurrency slot (a retrying service holds none while it waits). */
  #next(run: Run) {
    run.attempts++
    this.#limiter.acquireThen(run.launch)
  }

  /**
   * Runs one attempt, settled by the checker or by its deadline, whichever comes first: a
   * checker that ignores its signal still cannot hold the service or a slot past the timeout.
   */
  #launch(run: Run) {
    const { entry, stop } = run
    const attempt = run.attempts
    const now = this.#clock.monotonic()
    run.started = now
    run.settled = false
    // A check asked for before it was due (checkNow) is not the scheduled one.
    if (entry.dueAt !== undefined && now >= entry.dueAt) {
      if (this.#events.listenerCount('late') > 0)
        this.#events.emit('late', { service: entry.service.name, lateMs: now - entry.dueAt })
      entry.dueAt = undefined
    }
    if (stop.aborted) {
      // Not synchronously: a stop would otherwise settle every queued attempt in one deep recursion.
      queueMicrotask(() => this.#settle(run, attempt, errorOutcome(stop.reason, stop)))
      return
    }
    const slot = this.#deadlines.enter(entry.service.timeout, stop, run.onDeadline, now)
    run.slot = slot
    if (entry.fast) {
      try {
        entry.prepared ??= entry.fast.prepare(entry.service.check as never)
        const cancel = entry.fast.start(entry.prepared, this.#fastContext, this.#onOutcome, run, attempt)
        // An attempt that settled at once (inside start) has nothing left to cancel.
        if (!run.settled && run.attempts === attempt) run.cancel = cancel
      } catch (error) {
        queueMicrotask(() => this.#settle(run, attempt, errorOutcome(error)))
      }
      return
    }
    let work: Promise<CheckOutcome>
    try {
      work = entry.checker!.run(entry.service.check as never, slot.context)
    } catch (error) {
      work = Promise.reject(error)
    }
    work.then(
      (outcome) => this.#settle(run, attempt, outcome),
      (error) => this.#settle(run, attempt, errorOutcome(error)),
    )
  }

  #settle(run: Run, attempt: number, outcome: CheckOutcome) {
    // A late answer from an attempt already settled by its deadline changes nothing.
    if (attempt !== run.attempts || run.settled) return
    run.settled = true
    run.cancel = undefined
    if (run.slot) this.#deadlines.leave(run.slot, run.onDeadline)
    run.slot = undefined
    this.#limiter.release()
    const durationMs = round2(this.#clock.monotonic() - run.started)
    const { service, backoff } = run.entry
    outcome = applyConditions(conditionsOf(service), { durationMs, outcome })
    if (
      outcome.state !== 'healthy' &&
      outcome.retryable !== false &&
      run.attempts <= service.retries &&
      !run.stop.aborted
    ) {
      run.last = { outcome, durationMs }
      run.retry = this.#clock.setTimeout(
        () => {
          run.retry = undefined
          this.#next(run)
        },
        backoff.delay(run.attempts - 1),
      )
      return
    }
    this.#finish(run, outcome, durationMs)
  }

  #finish(run: Run, outcome: CheckOutcome, durationMs: number) {
    run.entry.run = undefined
    const result = this.#result(run.entry.service.name, outcome, durationMs, run.attempts)
    // A result cut short by stop() says nothing about the service, nor one of a removed service.
    if (!run.stop.aborted && !run.entry.removed) this.#apply(run.entry, result, false)
    if (run.done) for (const fn of run.done) fn(result, run)
    run.resolve?.(result)
  }

  #result(service: string, outcome: CheckOutcome, durationMs: number, attempts: number): CheckResult {
    const result: CheckResult = { service, state: outcome.state, at: this.#clock.now(), durationMs, attempts }
    if (outcome.message !== undefined) result.message = outcome.message
    if (outcome.details !== undefined) result.details = outcome.details
    return result
  }

  #apply(entry: Entry, result: CheckResult, decisive: boolean, own = true) {
    const transition = entry.machine.apply(result, decisive)
    // A result another monitor got is its own to record: only changes are announced here.
    if (own) this.#events.emit('result', result)
    const name = entry.service.name
    if (transition.flapping !== undefined) {
      this.#logger.warn(transition.flapping ? 'service is flapping' : 'service stopped flapping', {
        service: name,
      })
      this.#events.emit('flapping', {
        service: name,
        flapping: transition.flapping,
        state: entry.machine.state,
        at: result.at,
      })
    }
    if (transition.change) {
      const { from, to } = transition.change
      // Another monitor's result comes after its own rechecks: announced as it is.
      const recheck = this.#running && own ? this.#toRecheck(entry, to, decisive) : NONE
      if (recheck.length === 0) this.#announce(entry, from, to, result)
      else
        void Promise.allSettled(recheck.map((name) => this.checkNow(name))).then(() => {
          if (entry.machine.state === to && this.#running) this.#announce(entry, from, to, result)
        })
    }
    // The summary walks every service: it is made only for a listener, once per burst of results.
    if (this.#running && !this.#summaryPending && this.#events.listenerCount('summary') > 0) {
      this.#summaryPending = true
      this.#clock.setTimeout(() => {
        this.#summaryPending = false
        if (this.#running) this.#events.emit('summary', this.summary())
      }, 0)
    }
  }

  /**
   * The services to check again before a change of `entry` is announced, so that every
   * change is seen with the states around it up to date and one root cause stays one:
   * - a dependent often fails first (its dependency times out on it before its own check
   *   does): its fall waits for its dependencies that are not known down, so the change names
   *   the one that is (`blockedBy`);
   * - a dependency's recovery waits for its dependents that are down because of it, so they
   *   are not seen down for no reason in between.
   * A decisive result (a supervisor saw the exit) is announced at once.
   */
  #toRecheck(entry: Entry, to: HealthState, decisive: boolean): readonly string[] {
    if (decisive) return NONE
    if (isDown(to))
      return entry.service.dependsOn.filter((dep) => !isDown(this.#entries.get(dep)!.machine.state))
    if (to !== 'healthy') return NONE
    const dependents = this.#dependents.get(entry.service.name)
    return dependents ? dependents.filter((name) => isDown(this.#entries.get(name)!.machine.state)) : NONE
  }

  #announce(entry: Entry, from: HealthState, to: HealthState, result: CheckResult) {
    const change: HealthChange = {
      service: entry.service.name,
      from,
      to,
      at: result.at,
      result,
      critical: entry.service.critical,
      blockedBy: this.#blockedBy(entry),
    }
    const log = isDown(to) ? this.#logger.warn : this.#logger.info
    log.call(this.#logger, 'service state changed', {
      service: change.service,
      from,
      to,
      message: result.message,
    })
    this.#events.emit('change', change)
  }

  #blockedBy(entry: Entry): readonly string[] {
    if (entry.service.dependsOn.length === 0) return NONE
    const seen = new Set<string>()
    const down: string[] = []
    const visit = (name: string) => {
      if (seen.has(name)) return
      seen.add(name)
      const dep = this.#entries.get(name)!
      for (const next of dep.service.dependsOn) visit(next)
      if (isDown(dep.machine.state)) down.push(name)
    }
    for (const dep of entry.service.dependsOn) visit(dep)
    return down
  }

  #status(entry: Entry): ServiceStatus {
    const m = entry.machine
    const status: ServiceStatus = {
      service: entry.service.name,
      state: m.state,
      critical: entry.service.critical,
      flapping: m.flapping,
      recentChanges: m.recentChanges(this.#clock.now()),
      consecutiveFailures: m.consecutiveFailures,
      consecutiveSuccesses: m.consecutiveSuccesses,
      dependsOn: entry.service.dependsOn,
      blockedBy: this.#blockedBy(entry),
    }
    if (m.since !== undefined) status.since = m.since
    if (m.lastResult) status.lastResult = m.lastResult
    return status
  }
}

function toIssues(error: z.ZodError) {
  return error.issues.map((i) => ({
    path: i.path.join('.'),
    message: `${i.message}${'input' in i ? `; found ${String(i.input)}` : ''}`,
  }))
}

/**
 * Builds a {@link HealthMonitor}, validating every service at once: a bad URL, an unknown
 * checker type, a negative interval, a timeout longer than the interval, an unknown
 * dependency or a dependency cycle throws one ConfigError naming each service and field.
 *
 * @example
 * ```ts
 * const monitor = createHealthMonitor({
 *   services: [
 *     { name: 'claude-flow', check: { type: 'http', url: 'http://localhost:9100/health' } },
 *     { name: 'mcp-server', check: { type: 'http', url: 'http://localhost:8001/health' }, dependsOn: ['claude-flow'] },
 *   ],
 * })
 * const off = monitor.on('change', (c) => console.log(`${c.service}: ${c.from} -> ${c.to}`, c.result.message))
 * monitor.start()
 * ```
 */
export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  return new Monitor(options)
}

/** True when two parsed checks have the same settings (functions, such as a process handle, aside). */
function sameSettings(a: ServiceCheck, b: ServiceCheck): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
