import { join, resolve } from 'node:path'
import type { Clock, Emitter, Logger, Subscribable, Timer } from '@noa/core'
import { createBackoff, createEmitter, errorMessage, noopLogger, systemClock } from '@noa/core'
import { z } from 'zod'
import {
  type ActionOptions,
  type ActionResult,
  type Capability,
  type Executor,
  type ExecutorStatus,
  failed,
  type RollbackTarget,
} from '../../executor.ts'
import { runCommand } from '../../run-command.ts'
import { createServiceLogs, type ServiceLogs } from './rotating-file.ts'
import { createServiceRecord, type RunRecord, type ServiceRecord } from './run-record.ts'
import { spawnService } from './spawn-service.ts'
import { stopRecord } from './stop-recorded.ts'
import { adoptedProcess, type SupervisedProcess, spawnedProcess } from './supervised-process.ts'
import { takeOver } from './take-over.ts'
import { terminateGroup } from './terminate.ts'

/** Options of the local supervisor. */
export const localExecutorSchema = z.strictObject({
  type: z.literal('local'),
  /** The service's command as argv, e.g. `['node', 'server.js']`; run without a shell. */
  command: z.array(z.string().min(1)).min(1, 'must name a command: a non-empty argv array'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  /**
   * Argv that puts an earlier version of the service in place, for the rollback strategy (run
   * without a shell, in `cwd`, within `shutdownTimeoutMs`); `{version}` is replaced by the
   * version the strategy found. Without it the service cannot be rolled back.
   */
  rollback: z.array(z.string().min(1)).min(1, 'must name a command: a non-empty argv array').optional(),
  /** Restart the process when it exits on its own. @default true */
  autoRestart: z.boolean().default(true),
  /** Time between SIGTERM and SIGKILL when stopping. @default 30000 */
  shutdownTimeoutMs: z.number().int().positive().default(30_000),
  /** Delays between repeated crashes: the first restart is immediate, the next ones grow. */
  backoff: z
    .strictObject({
      /** @default 100 */
      initialMs: z.number().int().nonnegative().default(100),
      /** @default 15000 */
      maxMs: z.number().int().positive().default(15_000),
      /** @default 2 */
      factor: z.number().min(1).default(2),
      /** @default 0.1 */
      jitter: z.number().min(0).max(1).default(0.1),
    })
    .prefault({}),
  /** A process that ran at least this long before exiting counts as a first crash again. @default 10000 */
  stableAfterMs: z.number().int().nonnegative().default(10_000),
  /**
   * How often a process adopted from an earlier agent is looked at in /proc to see whether it
   * exited: it is not this agent's child, so its exit cannot be waited for. @default 250
   */
  adoptedPollMs: z.number().int().positive().default(250),
  logs: z
    .strictObject({
      /** Folder of `<service>.out.log` and `<service>.err.log`. @default 'logs/services' */
      dir: z.string().default(join('logs', 'services')),
      /** @default 10485760 */
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(10 * 1024 * 1024),
      /** Rotated generations kept. @default 3 */
      maxFiles: z.number().int().positive().default(3),
      /** How often the size is checked while the process runs (and at each start). @default 1000 */
      checkIntervalMs: z.number().int().positive().default(1000),
    })
    .prefault({}),
})

/** Options of the local supervisor. */
export type LocalExecutorOptions = z.input<typeof localExecutorSchema>

/** What the supervisor reports the moment its process exits on its own. */
export interface ProcessExit {
  service: string
  pid: number | undefined
  /** Null for a process adopted from an earlier agent: only its parent learns how it ended. */
  code: number | null
  /** Null for a process adopted from an earlier agent. */
  signal: NodeJS.Signals | null
  /** Epoch ms. */
  at: number
  uptimeMs: number
  /** Consecutive crashes including this one (reset by a run longer than `stableAfterMs`). */
  crashes: number
  /** The supervisor's delay before restarting: 0 for the first crash, then exponential. */
  delayMs: number
  /** Set when the process could not be started at all. */
  error?: string
}

/** Events of the local supervisor, one payload each. */
export interface LocalSupervisorEvents {
  /** The process exited without being asked to; emitted before any restart. */
  exit: ProcessExit
  started: { service: string; pid: number | undefined }
  /** A process left running by an earlier agent was taken over instead of starting a new copy. */
  adopted: { service: string; pid: number; startedAt: number }
  stopped: { service: string; code: number | null; signal: NodeJS.Signals | null; killed: boolean }
}

/** What the local supervisor gets from its host besides its options. */
export interface LocalSupervisorDeps {
  service: string
  clock?: Clock
  /**
   * Folder of the run records, one `<service>.json` per running process (pid, start time,
   * argv, cwd), e.g. `<baseDir>/run/services`. With it a process outlives its agent on
   * purpose: the next supervisor adopts it ({@link LocalSupervisor.start}) and
   * `stopRecorded()` stops it. Without it nothing is recorded, and a process left
   * behind by an agent that died is not found again.
   */
  runDir?: string
  /** Where a failing event listener is reported. @default noopLogger */
  logger?: Logger
}

/**
 * The embedded supervisor of one service, as {@link createLocalExecutor} returns it: an
 * executor that can always start, stop, restart and report status (and roll back when it
 * has a `rollback` command), with events and the few calls a host that decides restarts
 * itself needs.
 */
export interface LocalSupervisor extends Executor {
  readonly type: 'local'
  readonly service: string
  /** The pid of the running process, adopted or spawned. */
  readonly pid: number | undefined
  readonly running: boolean
  /** True while the process is one adopted from an earlier agent, not one this supervisor spawned. */
  readonly adopted: boolean
  /** Whether the service should be running (started and not stopped since). */
  readonly wanted: boolean
  /** Listens to an event until the returned function is called. */
  on: Subscribable<LocalSupervisorEvents>['on']
  /**
   * Starts the service. With a run directory, a recorded process that is still the same
   * process (pid and start time) running the configured argv in the configured folder is
   * adopted instead (`adopted pid N`); one that runs something else now is stopped first;
   * a record whose process is gone, or whose pid now names another process, is dropped
   * without signalling anything.
   */
  start(options?: ActionOptions): Promise<ActionResult>
  /** Stops the process and its process group, SIGKILL after `shutdownTimeoutMs`, and removes its run record. */
  stop(options?: ActionOptions): Promise<ActionResult>
  restart(options?: ActionOptions): Promise<ActionResult>
  /**
   * Runs the configured `rollback` command with `{version}` replaced; the process is left as
   * it is (a command that needs it restarted says so in its own way, the strategy verifies).
   */
  rollback(target: RollbackTarget, options?: ActionOptions): Promise<ActionResult>
  status(): Promise<ExecutorStatus>
  /** Stops the process and removes its run record; see {@link release} to leave it running (a close() after a release() stops nothing). */
  close(): Promise<void>
  /**
   * Stops supervising without stopping the process, for an agent that shuts down while its
   * services keep running: no more exit watching, restarts or log rotation, and the run
   * record stays so the next agent adopts the process. A process that has no record (no
   * run directory, or it could not be written) could never be found again, so it is
   * stopped as by {@link close}.
   */
  release(): Promise<void>
  /**
   * Leaves the restart after an unexpected exit to the host, which listens to `exit` and
   * restarts through {@link start} (the healing engine, with its guards). Without this call
   * the supervisor restarts on its own, with backoff, when `autoRestart` is on.
   */
  delegateRestarts(): void
  /** For a host that restarts: treats a failed start as a crash, so `exit` comes again (with backoff). */
  reportStartFailure(): void
  /** For a host that restarts: counts a restart it made (for status). */
  countRestart(): void
}

/** True when `executor` is a supervisor built by {@link createLocalExecutor}. */
export function isLocalSupervisor(executor: Executor | undefined): executor is LocalSupervisor {
  return executor instanceof Supervisor
}

/**
 * The embedded supervisor, like PM2 without a daemon: spawns a service from argv in its own
 * process group, restarts it when it exits (at once after the first crash, with exponential
 * backoff after repeated ones), lets it write its output to log files that it rotates,
 * stops it and its children with SIGTERM then SIGKILL. With a `runDir` it records each
 * process, so a restarted agent adopts the copy still running instead of starting another.
 * A class, private to this module: its users hold the {@link LocalSupervisor} interface.
 */
class Supervisor implements LocalSupervisor {
  readonly type = 'local'
  readonly capabilities: readonly Capability[]
  readonly service: string
  readonly #options: z.output<typeof localExecutorSchema>
  readonly #clock: Clock
  readonly #backoff
  readonly #logs: ServiceLogs
  readonly #record: ServiceRecord
  readonly #cwd: string
  #proc: SupervisedProcess | undefined
  #starting: Promise<ActionResult> | undefined
  #startedAt = 0
  #stopping = false
  #wanted = false
  /** Set by release() until the next start(): the process was left running on purpose. */
  #released = false
  #crashes = 0
  #restarts = 0
  #extraEnv: Record<string, string> = {}
  #pendingRestart: Timer | undefined
  /** Set by delegateRestarts(): the host restarts after an exit, not the supervisor. */
  #delegated = false
  readonly #events: Emitter<LocalSupervisorEvents>

  constructor(options: z.output<typeof localExecutorSchema>, deps: LocalSupervisorDeps) {
    this.#events = createEmitter<LocalSupervisorEvents>({
      logger: deps.logger ?? noopLogger,
      name: `local supervisor of ${deps.service}`,
    })
    this.service = deps.service
    this.#options = options
    this.capabilities = [
      'start',
      'stop',
      'restart',
      'status',
      ...(options.rollback ? (['rollback'] as const) : []),
    ]
    this.#clock = deps.clock ?? systemClock
    this.#backoff = createBackoff(options.backoff)
    this.#record = createServiceRecord(deps.runDir, deps.service)
    // absolute, so the record compares equal whatever folder the next agent starts in
    this.#cwd = resolve(options.cwd ?? '.')
    this.#logs = createServiceLogs(join(options.logs.dir, deps.service), options.logs, this.#clock)
  }

  on<E extends keyof LocalSupervisorEvents>(
    event: E,
    listener: (payload: LocalSupervisorEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener)
  }

  delegateRestarts(): void {
    this.#delegated = true
  }

  get pid(): number | undefined {
    return this.#proc?.pid
  }

  get running(): boolean {
    return this.#proc !== undefined
  }

  get adopted(): boolean {
    return this.#proc?.adopted ?? false
  }

  async start(options: ActionOptions = {}): Promise<ActionResult> {
    this.#wanted = true
    this.#released = false
    this.#cancelRestart()
    if (options.env) this.#extraEnv = { ...this.#extraEnv, ...options.env }
    if (this.#starting) return this.#starting
    if (this.#proc) return { ok: true, output: `already running (pid ${this.#proc.pid})` }
    const starting = this.#launch()
    this.#starting = starting
    try {
      return await starting
    } finally {
      if (this.#starting === starting) this.#starting = undefined
    }
  }

  async stop(_options: ActionOptions = {}): Promise<ActionResult> {
    this.#wanted = false
    this.#cancelRestart()
    if (this.#starting) await this.#starting
    const proc = this.#proc
    if (!proc) return this.#stopLeftover()
    this.#stopping = true
    let killed: boolean
    try {
      ;({ killed } = await terminateGroup(proc.pid, proc.exited, {
        clock: this.#clock,
        timeoutMs: this.#options.shutdownTimeoutMs,
      }))
    } finally {
      this.#stopping = false
    }
    const { code, signal } = await proc.exited
    this.#events.emit('stopped', { service: this.service, code, signal, killed })
    let output = `stopped (${signal ?? `code ${code}`})`
    if (killed)
      output = `did not stop within ${this.#options.shutdownTimeoutMs} ms of SIGTERM; killed with SIGKILL`
    else if (proc.adopted) output = `stopped adopted pid ${proc.pid} after SIGTERM`
    return { ok: true, output }
  }

  async restart(options: ActionOptions = {}): Promise<ActionResult> {
    const stopped = await this.stop(options)
    const started = await this.start(options)
    return { ...started, output: [stopped.output, started.output].filter(Boolean).join('; ') }
  }

  async rollback(target: RollbackTarget, options: ActionOptions = {}): Promise<ActionResult> {
    const argv = this.#options.rollback
    if (!argv) return failed(`no rollback command for ${this.service} (executor.rollback)`)
    if (argv.some((a) => a.includes('{version}')) && !target.version)
      return failed('rollback needs a version, none was found')
    return runCommand(
      argv.map((a) => a.replaceAll('{version}', target.version ?? '')),
      {
        cwd: this.#cwd,
        timeoutMs: this.#options.shutdownTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    )
  }

  async status(): Promise<ExecutorStatus> {
    const s: ExecutorStatus = { ok: true, running: this.running, restarts: this.#restarts }
    if (this.#proc) s.pid = this.#proc.pid
    if (this.#proc?.adopted) s.output = `adopted pid ${this.#proc.pid}`
    return s
  }

  async close(): Promise<void> {
    await this.stop()
    this.#logs.unwatch()
  }

  async release(): Promise<void> {
    this.#wanted = false
    this.#cancelRestart()
    if (this.#starting) await this.#starting
    const proc = this.#proc
    if (proc && !this.#record.holds(proc.pid)) return this.close()
    this.#released = true
    this.#proc = undefined
    this.#logs.unwatch()
    proc?.release()
  }

  async #launch(): Promise<ActionResult> {
    let notes: string[] = []
    const runDir = this.#record.runDir
    if (runDir) {
      try {
        const found = await takeOver(
          runDir,
          this.service,
          { argv: this.#options.command, cwd: this.#cwd },
          { clock: this.#clock, timeoutMs: this.#options.shutdownTimeoutMs },
        )
        if (found.adopt) return this.#adopt(found.adopt)
        notes = found.notes
      } catch (e) {
        return {
          ok: false,
          error: `cannot read the run record of ${this.service}: ${errorMessage(e)}`,
          retryable: true,
        }
      }
    }
    if (!this.#wanted) return { ok: true, output: [...notes, 'not started: stopped meanwhile'].join('; ') }
    const started = await this.#spawn()
    if (notes.length === 0) return started
    return { ...started, output: [...notes, started.output].filter(Boolean).join('; ') }
  }

  #adopt(record: RunRecord): ActionResult {
    const proc = adoptedProcess(record.pid, record.startTime, {
      clock: this.#clock,
      intervalMs: this.#options.adoptedPollMs,
    })
    // uptime counts from the real start, so stableAfterMs judges its next crash as for any other
    this.#track(proc, this.#clock.monotonic() - Math.max(0, this.#clock.now() - record.startedAt))
    // it may have logged for a while without an agent to rotate its files
    this.#logs.rotateIfFull()
    this.#events.emit('adopted', { service: this.service, pid: record.pid, startedAt: record.startedAt })
    return { ok: true, output: `adopted pid ${record.pid}` }
  }

  async #spawn(): Promise<ActionResult> {
    // no await before the process is tracked: a start in between would spawn a second copy
    const spawned = spawnService({
      argv: this.#options.command,
      cwd: this.#cwd,
      env: { ...process.env, ...this.#options.env, ...this.#extraEnv },
      logs: this.#logs,
    })
    if (spawned instanceof Promise) return (await spawned).result
    if (!spawned.ok) return spawned.result
    const { child, pid } = spawned
    this.#track(spawnedProcess(child, pid), this.#clock.monotonic())
    const note = this.#record.write(pid, this.#options.command, this.#cwd, this.#clock.now())
    await new Promise((resolve) => child.once('spawn', resolve))
    this.#events.emit('started', { service: this.service, pid })
    return { ok: true, output: note ? `started pid ${pid}; ${note}` : `started pid ${pid}` }
  }

  #track(proc: SupervisedProcess, startedAt: number): void {
    this.#proc = proc
    this.#startedAt = startedAt
    this.#logs.watch()
    void proc.exited.then(({ code, signal }) => {
      if (this.#proc !== proc) return // released meanwhile
      this.#proc = undefined
      this.#logs.unwatch()
      this.#record.removeIf(proc.pid)
      if (this.#stopping || !this.#wanted) return
      this.#onCrash(proc.pid, code, signal)
    })
  }

  /**
   * Nothing supervised, but a process an earlier agent recorded may still run: stop means
   * stopped. Not after release(), whose point was to leave it running (a close() that
   * follows a release() must not undo it).
   */
  async #stopLeftover(): Promise<ActionResult> {
    if (this.#released) return { ok: true, output: 'not running here: released to run on' }
    const record = this.#record.read()
    if (!record) return { ok: true, output: 'not running' }
    const stopped = await stopRecord(record, {
      clock: this.#clock,
      timeoutMs: this.#options.shutdownTimeoutMs,
    })
    this.#record.remove()
    if (stopped.outcome === 'not-running') return { ok: true, output: 'not running' }
    return { ok: true, output: `stopped pid ${record.pid} left by an earlier agent: ${stopped.detail}` }
  }

  #cancelRestart(): void {
    this.#pendingRestart?.cancel()
    this.#pendingRestart = undefined
  }

  #onCrash(pid: number | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    const uptimeMs = this.#clock.monotonic() - this.#startedAt
    this.#crashes = uptimeMs >= this.#options.stableAfterMs ? 1 : this.#crashes + 1
    const exit: ProcessExit = {
      service: this.service,
      pid,
      code,
      signal,
      at: this.#clock.now(),
      uptimeMs,
      crashes: this.#crashes,
      delayMs: this.#crashes <= 1 ? 0 : this.#backoff.delay(this.#crashes - 2),
    }
    this.#events.emit('exit', exit)
    if (this.#delegated || !this.#options.autoRestart) return
    this.#restartLater(exit.delayMs)
  }

  #restartLater(delayMs: number): void {
    const go = () => {
      this.#pendingRestart = undefined
      if (!this.#wanted || this.#proc || this.#starting) return
      this.#restarts++
      void this.#spawn().then((r) => {
        // a start that fails outright is a crash too, so backoff keeps growing
        if (!r.ok && this.#wanted) this.#onCrash(undefined, null, null)
      })
    }
    if (delayMs <= 0) go()
    else this.#pendingRestart = this.#clock.setTimeout(go, delayMs)
  }

  get wanted(): boolean {
    return this.#wanted
  }

  reportStartFailure(): void {
    if (this.#wanted && !this.#proc) this.#onCrash(undefined, null, null)
  }

  countRestart(): void {
    this.#restarts++
  }
}

/**
 * Builds a {@link LocalSupervisor}: the embedded supervisor of one service, like PM2 without
 * a daemon.
 *
 * @example
 * ```ts
 * const sup = createLocalExecutor(localExecutorSchema.parse({ type: 'local', command: ['node', 'api.js'] }), {
 *   service: 'api',
 *   runDir: join(baseDir, 'run', 'services'),
 * })
 * const off = sup.on('exit', (e) => console.log('crashed', e.code))
 * await sup.start() // 'started pid 4242', or 'adopted pid 4242' after an agent restart
 * await sup.release() // agent shutdown, services kept running
 * off()
 * ```
 */
export function createLocalExecutor(
  options: z.output<typeof localExecutorSchema>,
  deps: LocalSupervisorDeps,
): LocalSupervisor {
  return new Supervisor(options, deps)
}
