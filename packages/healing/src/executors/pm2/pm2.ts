import { z } from 'zod'
import type { ActionOptions, ActionResult, Capability, Executor, ExecutorStatus } from '../../executor.ts'
import { failed } from '../../executor.ts'

/** Options of the pm2 executor. */
export const pm2ExecutorSchema = z.strictObject({
  type: z.literal('pm2'),
  /** The pm2 app name. */
  name: z.string().min(1),
  /** Script to start when the app is not known to pm2 yet; without it, start needs an existing app. */
  script: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** PM2_HOME of the daemon to talk to. @default pm2's own (~/.pm2) */
  pm2Home: z.string().optional(),
  /** Upper bound of instances when scaling. @default 10 */
  maxInstances: z.number().int().positive().default(10),
})

/** Options of the pm2 executor. */
export type Pm2ExecutorOptions = z.input<typeof pm2ExecutorSchema>

interface Pm2Proc {
  pid?: number
  pm2_env?: { status?: string; restart_time?: number; pm_id?: number }
}

interface Pm2Api {
  connect(cb: (err?: Error | null) => void): void
  disconnect(): void
  start(options: Record<string, unknown>, cb: (err?: Error | null) => void): void
  restart(name: string, options: Record<string, unknown>, cb: (err?: Error | null) => void): void
  stop(name: string, cb: (err?: Error | null) => void): void
  scale(name: string, n: string, cb: (err?: Error | null) => void): void
  describe(name: string, cb: (err: Error | null | undefined, procs: Pm2Proc[]) => void): void
}

const call = <T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))))

const message = (e: unknown): string =>
  e instanceof Error ? e.message : Array.isArray(e) ? e.map(message).join('; ') : String(e)

/**
 * An executor that drives PM2 through its programmatic API (the `pm2` package, an optional
 * peer loaded only when this executor is first used).
 *
 * @example
 * ```ts
 * const ex = createPm2Executor(pm2ExecutorSchema.parse({ type: 'pm2', name: 'api', script: 'server.js' }))
 * await ex.restart?.()
 * await ex.close?.()
 * ```
 */
export function createPm2Executor(options: z.output<typeof pm2ExecutorSchema>): Executor {
  let api: Promise<Pm2Api> | undefined
  const connect = (): Promise<Pm2Api> => {
    api ??= (async () => {
      const mod = (await import('pm2')) as unknown as { default?: { custom: new (o: object) => Pm2Api } }
      const Custom = (mod.default ?? (mod as unknown as { custom: new (o: object) => Pm2Api })).custom
      const instance = new Custom({
        daemon_mode: true,
        ...(options.pm2Home ? { pm2_home: options.pm2Home } : {}),
      })
      await call<void>((cb) => instance.connect((err) => cb(err)))
      return instance
    })()
    api.catch(() => {
      api = undefined
    })
    return api
  }
  const act = async (what: string, fn: (pm2: Pm2Api) => Promise<unknown>): Promise<ActionResult> => {
    try {
      const pm2 = await connect()
      await fn(pm2)
      return { ok: true, output: `pm2 ${what} ${options.name}` }
    } catch (e) {
      return failed(`pm2 ${what} ${options.name} failed: ${message(e)}`, true)
    }
  }
  const describe = async (pm2: Pm2Api) => call<Pm2Proc[]>((cb) => pm2.describe(options.name, cb))
  const startOptions = (o?: ActionOptions) => ({
    name: options.name,
    script: options.script,
    ...(options.args ? { args: options.args } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...options.env, ...o?.env },
  })

  const capabilities: Capability[] = ['start', 'stop', 'restart', 'scale', 'status']
  return {
    type: 'pm2',
    capabilities,
    start: (o) =>
      act('start', async (pm2) => {
        const procs = await describe(pm2)
        if (procs.length === 0 && !options.script)
          throw new Error('app is not known to pm2 and no script is set')
        if (procs.length === 0) await call<void>((cb) => pm2.start(startOptions(o), cb))
        else await call<void>((cb) => pm2.restart(options.name, { updateEnv: Boolean(o?.env) }, cb))
      }),
    stop: () => act('stop', (pm2) => call<void>((cb) => pm2.stop(options.name, cb))),
    restart: (o) =>
      act('restart', async (pm2) => {
        const procs = await describe(pm2)
        if (procs.length === 0 && options.script) await call<void>((cb) => pm2.start(startOptions(o), cb))
        else
          await call<void>((cb) =>
            pm2.restart(options.name, o?.env ? { env: o.env, updateEnv: true } : {}, cb),
          )
      }),
    async scale(delta: number, o?: ActionOptions & { max?: number }): Promise<ExecutorStatus> {
      try {
        const pm2 = await connect()
        const current = (await describe(pm2)).length
        const max = Math.min(o?.max ?? options.maxInstances, options.maxInstances)
        const target = current + delta
        if (current === 0) return failed(`pm2 app ${options.name} is not running`, false)
        if (target > max)
          return { ...failed(`already at ${current} instances, max ${max}`), replicas: current }
        if (target < 1) return { ...failed(`cannot scale below 1 instance`), replicas: current }
        await call<void>((cb) => pm2.scale(options.name, delta >= 0 ? `+${delta}` : String(delta), cb))
        return {
          ok: true,
          output: `pm2 scaled ${options.name} from ${current} to ${target}`,
          replicas: target,
        }
      } catch (e) {
        return failed(`pm2 scale ${options.name} failed: ${message(e)}`, true)
      }
    },
    async status(): Promise<ExecutorStatus> {
      try {
        const procs = await describe(await connect())
        const online = procs.filter((p) => p.pm2_env?.status === 'online')
        const s: ExecutorStatus = {
          ok: true,
          running: online.length > 0,
          replicas: procs.length,
          restarts: procs.reduce((n, p) => n + (p.pm2_env?.restart_time ?? 0), 0),
        }
        if (online[0]?.pid) s.pid = online[0].pid
        return s
      } catch (e) {
        return failed(`pm2 describe ${options.name} failed: ${message(e)}`, true)
      }
    },
    async close() {
      if (!api) return
      try {
        ;(await api).disconnect()
      } catch {
        // never connected
      }
      api = undefined
    },
  }
}
