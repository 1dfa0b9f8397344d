import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HealingRecord } from '@noa/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHealingEngine, type HealingEngine, type HealingEngineOptions } from '../../engine.ts'
import type { LocalSupervisor, ProcessExit } from '../../executors/local/local.ts'
import type { Strategy } from '../../strategy.ts'
import { type RecordedCall, recordingExecutor } from '../../testing/recording-executor.ts'
import { defaultTriggers, strategies } from '../registry.ts'
import { processRestart } from './process-restart.ts'

const fixture = fileURLToPath(new URL('../../testing/fixtures/service.mjs', import.meta.url))
let dir: string
let engine: HealingEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-process-restart-'))
})

afterEach(async () => {
  await engine?.close({ keepProcesses: false })
  engine = undefined
  await rm(dir, { recursive: true, force: true })
})

/** An engine with one supervised service `svc` that the test restarts itself, and `api` on a recording executor. */
function build(extra: Partial<HealingEngineOptions> = {}): HealingEngine {
  const calls: RecordedCall[] = []
  engine = createHealingEngine({
    restartOnExit: false,
    executors: { api: recordingExecutor('api', calls) },
    ...extra,
    config: { logsDir: join(dir, 'self-healing'), ...extra.config },
    services: {
      svc: { executor: { type: 'local', command: [process.execPath, fixture], logs: { dir } } },
    },
  })
  return engine
}

const exitOf = (pid: number | undefined, at: number): ProcessExit => ({
  service: 'svc',
  pid,
  code: null,
  signal: 'SIGKILL',
  at,
  uptimeMs: 5,
  crashes: 1,
  delayMs: 0,
})

describe('process-restart strategy', () => {
  it('should be a registered strategy answering process-exit, for supervised services only', () => {
    expect(strategies['process-restart']).toBe(processRestart)
    expect(defaultTriggers['process-exit']).toBe('process-restart')
    expect(build().targets('process-exit')).toEqual(['svc'])
  })

  it('should start a supervised process that exited again, and record its steps', async () => {
    const e = build()
    await e.start()
    const sup = e.executor('svc') as LocalSupervisor
    const exits: ProcessExit[] = []
    e.on('process-exit', (exit) => exits.push(exit))
    const exited = new Promise<ProcessExit>((r) => e.on('process-exit', r))
    const before = sup.pid
    process.kill(before!, 'SIGKILL')
    const exit = await exited
    // restartOnExit is off: the engine reported the exit and left the restart to its host
    expect(sup.running).toBe(false)
    const record = await e.heal('process-exit', 'svc', { exit })
    expect(record).toMatchObject({ strategy: 'process-restart', outcome: 'succeeded', healthBefore: 'error' })
    expect(record.steps.map((s) => s.name)).toEqual(['process exited', 'start'])
    expect(record.steps[0]?.output).toMatch(/^exited with signal SIGKILL after \d+ ms$/)
    expect(sup.pid).not.toBe(before)
    expect(sup.running).toBe(true)
    expect((await sup.status()).restarts).toBe(1)
    expect(e.guardState('svc').restartsInWindow).toBe(1)
    expect(exits).toHaveLength(1)
  })

  it('should skip a service stopped meanwhile instead of starting it again', async () => {
    const e = build()
    await e.start()
    const sup = e.executor('svc') as LocalSupervisor
    const pid = sup.pid
    await sup.stop()
    const record = await e.heal('process-exit', 'svc', { exit: exitOf(pid, Date.now()) })
    expect(record).toMatchObject({ outcome: 'skipped', skip: 'stopped' })
    expect(sup.running).toBe(false)
  })

  it('should be turned off by autoRestart, and refuse a service not under a local supervisor', async () => {
    const off = build({ config: { autoRestart: false } })
    expect(await off.heal('process-exit', 'svc', { exit: exitOf(1, Date.now()) })).toMatchObject({
      strategy: 'process-restart',
      outcome: 'skipped',
      skip: 'disabled',
      reason: 'restarts of exited processes are off (selfHealing.autoRestart)',
    })
    await off.close()
    const on = build()
    const record = await on.heal('process-exit', 'api', {
      exit: { ...exitOf(1, Date.now()), service: 'api' },
    })
    expect(record).toMatchObject({ outcome: 'failed', reason: 'api is not under a local supervisor' })
  })

  it('should let a host replace it by name', async () => {
    const seen: string[] = []
    const own: Strategy = {
      name: 'process-restart',
      restarts: false,
      applies: () => true,
      async execute(incident, ctx): Promise<HealingRecord> {
        seen.push(`${incident.service} ${incident.exit?.signal}`)
        return ctx.finish('succeeded')
      },
    }
    const e = build({ strategies: { 'process-restart': own } })
    expect(await e.heal('process-exit', 'svc', { exit: exitOf(1, Date.now()) })).toMatchObject({
      strategy: 'process-restart',
      outcome: 'succeeded',
    })
    expect(seen).toEqual(['svc SIGKILL'])
  })
})
