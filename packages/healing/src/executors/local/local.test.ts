import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HealingRecord } from '@noa/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHealingEngine, type HealingEngine } from '../../engine.ts'
import type { HealingEscalation } from '../../strategy.ts'
import type { LocalSupervisor, ProcessExit } from './local.ts'
import { createLocalExecutor, localExecutorSchema } from './local.ts'

const fixture = fileURLToPath(new URL('../../testing/fixtures/service.mjs', import.meta.url))
let dir: string
const cleanup: Array<() => Promise<unknown>> = []

const supervisor = (env: Record<string, string>, extra: Record<string, unknown> = {}) => {
  const sup = createLocalExecutor(
    localExecutorSchema.parse({
      type: 'local',
      command: [process.execPath, fixture],
      env,
      logs: { dir },
      ...extra,
    }),
    { service: 'svc' },
  )
  cleanup.push(() => sup.close())
  return sup
}

const nextExit = (sup: LocalSupervisor) => new Promise<ProcessExit>((r) => sup.once('exit', r))
const nextStart = (sup: LocalSupervisor) =>
  new Promise<number | undefined>((r) => sup.once('started', (i) => r(i.pid)))

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-local-'))
})

afterEach(async () => {
  for (const c of cleanup.splice(0)) await c()
  await rm(dir, { recursive: true, force: true })
})

describe('LocalSupervisor', () => {
  it('should report a crash at once and restart immediately the first time', async () => {
    const sup = supervisor({ MODE: 'ok' })
    const started = await sup.start()
    expect(started.ok).toBe(true)
    const firstPid = sup.pid!
    const exited = nextExit(sup)
    const restarted = nextStart(sup)
    process.kill(firstPid, 'SIGKILL')
    const exit = await exited
    expect(exit).toMatchObject({
      service: 'svc',
      pid: firstPid,
      code: null,
      signal: 'SIGKILL',
      crashes: 1,
      delayMs: 0,
    })
    const newPid = await restarted
    expect(newPid).not.toBe(firstPid)
    expect((await sup.status()).restarts).toBe(1)
  })

  it('should back off on repeated crashes of a flapping service', async () => {
    const sup = supervisor({ MODE: 'flap', FLAP_MS: '20' }, { backoff: { initialMs: 50, jitter: 0 } })
    const exits: ProcessExit[] = []
    sup.on('exit', (e) => exits.push(e))
    await sup.start()
    await new Promise<void>((resolve) => {
      sup.on('exit', () => exits.length >= 4 && resolve())
    })
    await sup.stop()
    expect(exits.map((e) => e.crashes)).toEqual([1, 2, 3, 4])
    expect(exits.map((e) => e.delayMs)).toEqual([0, 50, 100, 200])
  })

  it('should stop with SIGTERM, then SIGKILL a process that ignores it after the shutdown timeout', async () => {
    const sup = supervisor({ MODE: 'hang' }, { shutdownTimeoutMs: 300 })
    await sup.start()
    // wait until it has installed its SIGTERM handler (it says so on stdout)
    while (!(await readFile(join(dir, 'svc.out.log'), 'utf8').catch(() => '')).includes('hang-ready'))
      await new Promise((r) => setTimeout(r, 10))
    const stopped = await sup.stop()
    expect(stopped.output).toBe('did not stop within 300 ms of SIGTERM; killed with SIGKILL')
    expect(sup.running).toBe(false)
    const graceful = supervisor({ MODE: 'ok' })
    await graceful.start()
    expect((await graceful.stop()).output).toBe('stopped (SIGTERM)')
    expect(await graceful.stop()).toEqual({ ok: true, output: 'not running' })
  })

  it('should fail to start a command that does not exist, without crashing', async () => {
    const sup = createLocalExecutor(
      localExecutorSchema.parse({ type: 'local', command: ['/no/such/binary'], logs: { dir } }),
      { service: 'ghost' },
    )
    cleanup.push(() => sup.close())
    expect(await sup.start()).toEqual({
      ok: false,
      error: 'command not found: /no/such/binary',
      retryable: false,
    })
    expect(sup.running).toBe(false)
  })

  it('should write stdout and stderr to rotating log files', async () => {
    const sup = supervisor(
      { MODE: 'crash' },
      { autoRestart: false, logs: { dir, maxBytes: 30, maxFiles: 2 } },
    )
    for (let i = 0; i < 4; i++) {
      const exited = nextExit(sup)
      await sup.start()
      await exited
    }
    const files = (await readdir(dir)).sort()
    expect(files).toEqual([
      'svc.err.log',
      'svc.err.log.1',
      'svc.err.log.2',
      'svc.out.log',
      'svc.out.log.1',
      'svc.out.log.2',
    ])
    expect(await readFile(join(dir, 'svc.err.log'), 'utf8')).toBe('a line on stderr\n')
    expect(await readFile(join(dir, 'svc.out.log'), 'utf8')).toMatch(
      /^service up pid=\d+ mode=crash readOnly=0\n$/,
    )
  })

  it('should refuse options without a command', () => {
    expect(localExecutorSchema.safeParse({ type: 'local', command: [] }).success).toBe(false)
  })
})

describe('LocalSupervisor under the healing engine', () => {
  let engine: HealingEngine

  const build = (env: Record<string, string>, config: Record<string, unknown> = {}) => {
    engine = createHealingEngine({
      config: { logsDir: join(dir, 'self-healing'), ...config },
      services: {
        svc: {
          executor: {
            type: 'local',
            command: [process.execPath, fixture],
            env,
            logs: { dir },
            backoff: { initialMs: 20, jitter: 0 },
          },
          degrade: { type: 'env', name: 'READ_ONLY', value: '1' },
        },
      },
    })
    cleanup.push(() => engine.close())
    return engine
  }

  it('should restart a crash-looping service only as often as the guards allow, then degrade and back off', async () => {
    build({ MODE: 'crash' }, { maxRestarts: 5, strategies: { serviceRestart: { maxConsecutive: 3 } } })
    const finished: HealingRecord[] = []
    const alerts: HealingEscalation[] = []
    engine.on('healing-finished', (r) => finished.push(r))
    engine.on('escalation', (a) => alerts.push(a))
    const degraded = new Promise<void>((r) => engine.on('escalation', (a) => a.kind === 'degraded' && r()))
    await engine.start()
    await degraded
    // the degraded restart crashes too: one more exit, refused while the circuit waits for its retry
    await new Promise<void>((r) => {
      const check = () =>
        finished.filter((f) => f.outcome === 'skipped').length >= 2 ? r() : setTimeout(check, 20)
      check()
    })
    await new Promise((r) => setTimeout(r, 300))
    const restarts = finished.filter((r) => r.strategy === 'process-restart' && r.outcome === 'succeeded')
    expect(restarts).toHaveLength(3)
    expect(restarts.map((r) => r.trigger)).toEqual(['process-exit', 'process-exit', 'process-exit'])
    expect(restarts[0]?.steps.map((s) => s.name)).toEqual(['process exited', 'start'])
    expect(restarts[1]?.steps.map((s) => s.name)).toEqual(['process exited', 'backoff 20 ms', 'start'])
    expect(finished.filter((r) => r.strategy === 'graceful-degradation')).toHaveLength(1)
    expect(finished.find((r) => r.skip === 'budget-spent')).toMatchObject({
      outcome: 'skipped',
      reason: 'svc was restarted 3 times in a row without recovering (max 3)',
    })
    expect(finished.at(-1)).toMatchObject({ outcome: 'skipped', skip: 'circuit-open' })
    expect(finished.at(-1)?.reason).toMatch(
      /circuit of svc is open \(its restart budget is spent\); next retry in \d+ ms/,
    )
    expect(finished.map((f) => f.outcome)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'skipped',
      'succeeded',
      'skipped',
    ])
    expect(alerts.map((a) => a.kind)).toEqual(['budget-spent', 'degraded'])
    expect(engine.guardState('svc')).toMatchObject({ circuit: 'open', cause: 'budget-spent', degraded: true })
    const out = await readFile(join(dir, 'svc.out.log'), 'utf8')
    expect(out).toMatch(/readOnly=1/)
    expect(engine.executor('svc')?.type).toBe('local')
  })

  it('should let a real restart through the service-restart strategy stop and start the process', async () => {
    build({ MODE: 'ok' }, { strategies: { serviceRestart: { stopWait: 10, startWait: 10 } } })
    await engine.start()
    const sup = engine.executor('svc') as LocalSupervisor
    const before = sup.pid
    const record = await engine.heal('manual', 'svc')
    expect(record.outcome).toBe('succeeded')
    expect(record.steps.map((s) => [s.name, s.ok])).toEqual([
      ['stop', true],
      ['wait 10 ms', true],
      ['start', true],
      ['wait 10 ms', true],
    ])
    expect(sup.pid).not.toBe(before)
    expect(sup.running).toBe(true)
  })

  it('should record a service whose command does not exist as failed, bounded by the guards', async () => {
    engine = createHealingEngine({
      config: { logsDir: join(dir, 'self-healing') },
      services: {
        ghost: {
          executor: {
            type: 'local',
            command: ['/no/such/binary'],
            logs: { dir },
            backoff: { initialMs: 10 },
          },
        },
      },
    })
    cleanup.push(() => engine.close())
    const results = await engine.start()
    expect(results.ghost).toMatchObject({ ok: false, error: 'command not found: /no/such/binary' })
    const record = await engine.heal('manual', 'ghost', { reason: 'operator' })
    expect(record.outcome).toBe('failed')
    expect(record.reason).toBe('start failed: command not found: /no/such/binary')
  })
})
