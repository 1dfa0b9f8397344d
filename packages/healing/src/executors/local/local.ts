import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Clock, Timer } from '@noa/core'
import { createBackoff, systemClock } from '@noa/core'
import { EventEmitter } from 'eventemitter3'
import { z } from 'zod'
import type { ActionOptions, ActionResult, Capability, Executor, ExecutorStatus } from '../../executor.ts'
import { RotatingFile } from './rotating-file.ts'

/** Options of the local supervisor. */
export const localExecutorSchema = z.object({
  type: z.literal('local'),
  /** The service's command as argv, e.g. `['node', 'server.js']`; run without a shell. */
  command: z.array(z.string().min(1)).min(1, 'must name a command: a non-empty argv array'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** Restart the process when it exits on its own. @default true */
  autoRestart: z.boolean().default(true),
  /** Time between SIGTERM and SIGKILL when stopping. @default 30000 */
  shutdownTimeoutMs: z.number().int().positive().default(30_000),
  /** Delays between repeated crashes: the first restart is immediate, the next ones grow. */
  backoff: z
    .object({
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
  logs: z
    .object({
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
    })
    .prefault({}),
})

/** Options of the local supervisor. */
export type LocalExecutorOptions = z.input<typeof localExecutorSchema>

/** What the supervisor reports the moment its process exits on its own. */
export interface ProcessExit {
  service: string
  pid: number | undefined
  code: number | null
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

/** Events of the local supervisor. */
export interface LocalSupervisorEvents {
  /** The process exited without being asked to; emitted before any restart. */
  exit: [exit: ProcessExit]
  started: [info: { service: string; pid: number | undefined }]
  stopped: [info: { service: string; code: number | null; signal: NodeJS.Signals | null; killed: boolean }]
}

/** Decides what happens after an unexpected exit; the healing engine installs one with its guards. */
export type ExitHandler = (exit: ProcessExit) => void | Promise<void>

/**
 * The embedded supervisor, like PM2 without a daemon: spawns a service from argv, restarts
 * it when it exits (at once after the first crash, with exponential backoff after repeated
 * ones), writes its output to rotating log files, stops it with SIGTERM then SIGKILL.
 *
 * @example
 * ```ts
 * const sup = createLocalExecutor(localExecutorSchema.parse({ type: 'local', command: ['node', 'api.js'] }), { service: 'api' })
 * sup.on('exit', (e) => console.log('crashed', e.code))
 * await sup.start()
 * ```
 */
export class LocalSupervisor extends EventEmitter<LocalSupervisorEvents> implements Executor {
  readonly type = 'local'
  readonly capabilities: readonly Capability[] = ['start', 'stop', 'restart', 'status']
  readonly service: string
  readonly #options: z.output<typeof localExecutorSchema>
  readonly #clock: Clock
  readonly #backoff
  readonly #out: RotatingFile
  readonly #err: RotatingFile
  #child: ChildProcess | undefined
  #startedAt = 0
  #stopping = false
  #wanted = false
  #crashes = 0
  #restarts = 0
  #extraEnv: Record<string, string> = {}
  #pendingRestart: Timer | undefined
  #exitHandler: ExitHandler | undefined

  constructor(options: z.output<typeof localExecutorSchema>, deps: { service: string; clock?: Clock }) {
    super()
    this.service = deps.service
    this.#options = options
    this.#clock = deps.clock ?? systemClock
    this.#backoff = createBackoff(options.backoff)
    const base = join(options.logs.dir, deps.service)
    this.#out = new RotatingFile(`${base}.out.log`, options.logs.maxBytes, options.logs.maxFiles)
    this.#err = new RotatingFile(`${base}.err.log`, options.logs.maxBytes, options.logs.maxFiles)
  }

  /** Hands restart decisions to `handler` (which restarts through {@link start}); without one the supervisor restarts on its own. */
  setExitHandler(handler: ExitHandler | undefined): void {
    this.#exitHandler = handler
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  get running(): boolean {
    return this.#child !== undefined
  }

  async start(options: ActionOptions = {}): Promise<ActionResult> {
    this.#wanted = true
    this.#pendingRestart?.cancel()
    this.#pendingRestart = undefined
    if (options.env) this.#extraEnv = { ...this.#extraEnv, ...options.env }
    if (this.#child) return { ok: true, output: `already running (pid ${this.#child.pid})` }
    return this.#spawn()
  }

  async stop(_options: ActionOptions = {}): Promise<ActionResult> {
    this.#wanted = false
    this.#pendingRestart?.cancel()
    this.#pendingRestart = undefined
    const child = this.#child
    if (!child) return { ok: true, output: 'not running' }
    this.#stopping = true
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )
    child.kill('SIGTERM')
    let killed = false
    const timer = this.#clock.setTimeout(() => {
      killed = true
      child.kill('SIGKILL')
    }, this.#options.shutdownTimeoutMs)
    const { code, signal } = await exited
    timer.cancel()
    this.#stopping = false
    this.emit('stopped', { service: this.service, code, signal, killed })
    return {
      ok: true,
      output: killed
        ? `did not stop within ${this.#options.shutdownTimeoutMs} ms of SIGTERM; killed with SIGKILL`
        : `stopped (${signal ?? `code ${code}`})`,
    }
  }

  async restart(options: ActionOptions = {}): Promise<ActionResult> {
    const stopped = await this.stop(options)
    const started = await this.start(options)
    return { ...started, output: [stopped.output, started.output].filter(Boolean).join('; ') }
  }

  async status(): Promise<ExecutorStatus> {
    const s: ExecutorStatus = { ok: true, running: this.running, restarts: this.#restarts }
    if (this.#child?.pid !== undefined) s.pid = this.#child.pid
    return s
  }

  async close(): Promise<void> {
    await this.stop()
    this.#out.close()
    this.#err.close()
  }

  #spawn(): Promise<ActionResult> {
    const [file, ...args] = this.#options.command
    return new Promise((resolve) => {
      const child = spawn(file as string, args, {
        cwd: this.#options.cwd,
        env: { ...process.env, ...this.#options.env, ...this.#extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: false,
      })
      this.#child = child
      this.#startedAt = this.#clock.monotonic()
      child.stdout?.on('data', (c: Buffer) => this.#out.write(c))
      child.stderr?.on('data', (c: Buffer) => this.#err.write(c))
      child.once('spawn', () => {
        this.emit('started', { service: this.service, pid: child.pid })
        resolve({ ok: true, output: `started pid ${child.pid}` })
      })
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (child.pid !== undefined) return // errors after spawn (kill failures) end in 'exit'
        this.#child = undefined
        const reason =
          error.code === 'ENOENT' ? `command not found: ${file}` : `cannot start ${file}: ${error.message}`
        resolve({ ok: false, error: reason, retryable: false })
      })
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = undefined
        if (this.#stopping || !this.#wanted) return
        this.#onCrash(child.pid, code, signal)
      })
    })
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
    this.emit('exit', exit)
    if (this.#exitHandler) {
      void Promise.resolve(this.#exitHandler(exit)).catch(() => {})
      return
    }
    if (!this.#options.autoRestart) return
    this.#restartLater(exit.delayMs)
  }

  #restartLater(delayMs: number): void {
    const go = () => {
      this.#pendingRestart = undefined
      if (!this.#wanted || this.#child) return
      this.#restarts++
      void this.#spawn().then((r) => {
        // a start that fails outright is a crash too, so backoff keeps growing
        if (!r.ok && this.#wanted) this.#onCrash(undefined, null, null)
      })
    }
    if (delayMs <= 0) go()
    else this.#pendingRestart = this.#clock.setTimeout(go, delayMs)
  }

  /** Whether the service should be running (started and not stopped since). */
  get wanted(): boolean {
    return this.#wanted
  }

  /** Treats a failed start as a crash, so the exit handler decides again (with backoff). */
  reportStartFailure(): void {
    if (this.#wanted && !this.#child) this.#onCrash(undefined, null, null)
  }

  /** Counts a restart made by the exit handler (for status). */
  countRestart(): void {
    this.#restarts++
  }
}

/**
 * Builds a {@link LocalSupervisor}.
 *
 * @example
 * ```ts
 * const sup = createLocalExecutor(localExecutorSchema.parse({ type: 'local', command: ['node', 'api.js'] }), { service: 'api' })
 * ```
 */
export function createLocalExecutor(
  options: z.output<typeof localExecutorSchema>,
  deps: { service: string; clock?: Clock },
): LocalSupervisor {
  return new LocalSupervisor(options, deps)
}
