import { z } from 'zod'
import type {
  ActionOptions,
  ActionResult,
  Capability,
  Executor,
  ExecutorStatus,
  RollbackTarget,
} from '../../executor.ts'
import { failed } from '../../executor.ts'
import { runCommand } from '../../run-command.ts'

const argv = z.array(z.string().min(1)).min(1, 'must name a command: a non-empty argv array')

/** Options of the command executor: one argv per action, run without a shell. */
export const commandExecutorSchema = z.strictObject({
  type: z.literal('command'),
  start: argv.optional(),
  stop: argv.optional(),
  restart: argv.optional(),
  /** Argv for scaling; `{delta}` is replaced by the change, e.g. `+1`. */
  scale: argv.optional(),
  /** Argv for a rollback; `{version}` is replaced by the target version. */
  rollback: argv.optional(),
  /** Argv whose exit code 0 means running. */
  status: argv.optional(),
  /** @default 30000 */
  timeoutMs: z.number().int().positive().default(30_000),
  cwd: z.string().optional(),
})

/** Options of the command executor. */
export type CommandExecutorOptions = z.input<typeof commandExecutorSchema>

/** Options of the systemd preset: `systemctl start|stop|restart|is-active <unit>`. */
export const systemdExecutorSchema = z.strictObject({
  type: z.literal('systemd'),
  unit: z.string().min(1),
  /** Use `systemctl --user`. @default false */
  user: z.boolean().default(false),
  /** @default 30000 */
  timeoutMs: z.number().int().positive().default(30_000),
})

/** Options of the docker preset: `docker start|stop|restart|inspect <container>`. */
export const dockerExecutorSchema = z.strictObject({
  type: z.literal('docker'),
  container: z.string().min(1),
  /** @default 30000 */
  timeoutMs: z.number().int().positive().default(30_000),
})

const substitute = (args: readonly string[], key: string, value: string) =>
  args.map((a) => a.replaceAll(`{${key}}`, value))

/**
 * An executor that runs one command per action (argv, never a shell) with a timeout.
 *
 * @example
 * ```ts
 * const ex = createCommandExecutor({ type: 'command', restart: ['systemctl', 'restart', 'api'] })
 * await ex.restart?.()
 * ```
 */
export function createCommandExecutor(options: z.output<typeof commandExecutorSchema>): Executor {
  const run = (args: readonly string[], opts: ActionOptions = {}) =>
    runCommand(args, {
      timeoutMs: options.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    })
  const capabilities = (['start', 'stop', 'restart', 'scale', 'rollback', 'status'] as const).filter(
    (c) => options[c] !== undefined,
  ) as Capability[]
  const executor: Executor = { type: 'command', capabilities }
  const start = options.start
  const stop = options.stop
  const restart = options.restart
  const scale = options.scale
  const rollback = options.rollback
  const status = options.status
  if (start) executor.start = (o) => run(start, o)
  if (stop) executor.stop = (o) => run(stop, o)
  if (restart) executor.restart = (o) => run(restart, o)
  if (scale)
    executor.scale = async (delta: number, o?: ActionOptions): Promise<ExecutorStatus> =>
      run(substitute(scale, 'delta', delta >= 0 ? `+${delta}` : String(delta)), o)
  if (rollback)
    executor.rollback = (target: RollbackTarget, o?: ActionOptions): Promise<ActionResult> => {
      if (rollback.some((a) => a.includes('{version}')) && !target.version)
        return Promise.resolve(failed('rollback needs a version, none was found'))
      return run(substitute(rollback, 'version', target.version ?? ''), o)
    }
  if (status)
    executor.status = async (o) => {
      const r = await run(status, o)
      return { ...r, ok: true, running: r.ok }
    }
  return executor
}

/**
 * The systemd preset of the command executor.
 *
 * @example
 * ```ts
 * createSystemdExecutor({ type: 'systemd', unit: 'api.service', user: false, timeoutMs: 30_000 })
 * ```
 */
export function createSystemdExecutor(options: z.output<typeof systemdExecutorSchema>): Executor {
  const base = options.user ? ['systemctl', '--user'] : ['systemctl']
  const ex = createCommandExecutor({
    type: 'command',
    start: [...base, 'start', options.unit],
    stop: [...base, 'stop', options.unit],
    restart: [...base, 'restart', options.unit],
    status: [...base, 'is-active', '--quiet', options.unit],
    timeoutMs: options.timeoutMs,
  })
  return { ...ex, type: 'systemd' }
}

/**
 * The docker preset of the command executor.
 *
 * @example
 * ```ts
 * createDockerExecutor({ type: 'docker', container: 'api', timeoutMs: 30_000 })
 * ```
 */
export function createDockerExecutor(options: z.output<typeof dockerExecutorSchema>): Executor {
  const ex = createCommandExecutor({
    type: 'command',
    start: ['docker', 'start', options.container],
    stop: ['docker', 'stop', options.container],
    restart: ['docker', 'restart', options.container],
    status: ['docker', 'container', 'inspect', '--format', '{{.State.Running}}', options.container],
    timeoutMs: options.timeoutMs,
  })
  const inspect = ex.status
  return {
    ...ex,
    type: 'docker',
    status: async (o) => {
      const r = await inspect!(o)
      return { ...r, running: r.output === 'true' }
    },
  }
}
