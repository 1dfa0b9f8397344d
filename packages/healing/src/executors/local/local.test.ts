import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { HealingRecord } from '@noa/core'
import { FakeClock } from '@noa/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHealingEngine, type HealingEngine, type HealingEvents } from '../../engine.ts'
import type { HealingEscalation } from '../../strategy.ts'
import { nextEvent } from '../../testing/next-event.ts'
import type { LocalSupervisor, LocalSupervisorEvents, ProcessExit } from './local.ts'
import { createLocalExecutor, localExecutorSchema } from './local.ts'
import { readStat } from './proc.ts'
import { readRecord, writeRecord } from './run-record.ts'
import { stopRecorded } from './stop-recorded.ts'
import { alive, freePort, grandchildOf, Reaper, runningCopies, waitFor } from './testing/processes.ts'

const fixture = fileURLToPath(new URL('../../testing/fixtures/service.mjs', import.meta.url))
const logging = fileURLToPath(new URL('./testing/logging-service.mjs', import.meta.url))
const agentScript = fileURLToPath(new URL('./testing/agent-process.ts', import.meta.url))
const packageDir = fileURLToPath(new URL('../../..', import.meta.url))
let dir: string
const cleanup: Array<() => Promise<unknown>> = []
const reaper = new Reaper()

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

const nextExit = (sup: LocalSupervisor): Promise<ProcessExit> => nextEvent<LocalSupervisorEvents>(sup)('exit')
const nextStart = async (sup: LocalSupervisor) => (await nextEvent<LocalSupervisorEvents>(sup)('started')).pid

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-local-'))
})

afterEach(async () => {
  for (const c of cleanup.splice(0)) await c()
  // whatever a failed test left running: recorded services, then every process it saw
  await stopRecorded(join(dir, 'run'), { timeoutMs: 1000 })
  reaper.killAll()
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
    // each run writes more than 10 bytes to each file, so every start finds both files full
    const sup = supervisor(
      { MODE: 'crash' },
      { autoRestart: false, logs: { dir, maxBytes: 10, maxFiles: 2 } },
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

  it('should roll back only with a rollback command, run in its folder with the version put in', async () => {
    expect(supervisor({}).capabilities).not.toContain('rollback')
    expect(await supervisor({}).rollback({ version: '1.0.0' })).toMatchObject({
      ok: false,
      error: 'no rollback command for svc (executor.rollback)',
    })
    const sup = supervisor(
      {},
      {
        cwd: dir,
        rollback: [process.execPath, '-e', 'console.log(process.cwd(), process.argv[1])', '{version}'],
      },
    )
    expect(sup.capabilities).toContain('rollback')
    expect(await sup.rollback({ version: '1.0.0' })).toEqual({ ok: true, output: `${dir} 1.0.0` })
    expect(await sup.rollback({})).toMatchObject({
      ok: false,
      error: 'rollback needs a version, none was found',
    })
    // the process is not touched: a rollback of a service that is not running runs the command only
    expect(sup.running).toBe(false)
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

describe('LocalSupervisor with a run directory', () => {
  const runDir = () => join(dir, 'run')
  /** A supervisor as an agent builds it; the temp folder in argv makes its processes this test's own. */
  const recorded = (
    options: { command?: string[]; env?: Record<string, string>; clock?: FakeClock } & Record<
      string,
      unknown
    > = {},
  ) => {
    const { command = [process.execPath, logging, dir], clock, ...rest } = options
    const sup = createLocalExecutor(
      localExecutorSchema.parse({ type: 'local', command, logs: { dir }, ...rest }),
      clock ? { service: 'svc', runDir: runDir(), clock } : { service: 'svc', runDir: runDir() },
    )
    cleanup.push(() => sup.close())
    return sup
  }
  const started = async (sup: LocalSupervisor) => {
    const result = await sup.start()
    expect(result.ok).toBe(true)
    return reaper.track(sup.pid)
  }
  const outLog = () => readFile(join(dir, 'svc.out.log'), 'utf8').catch(() => '')
  const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text()

  it('should record the process it starts, in its own process group, and remove the record when it stops it', async () => {
    const sup = recorded()
    const pid = await started(sup)
    expect(readRecord(runDir(), 'svc')).toEqual({
      service: 'svc',
      pid,
      startTime: readStat(pid)!.startTime,
      argv: [process.execPath, logging, dir],
      cwd: resolve('.'),
      startedAt: expect.any(Number),
    })
    // its own group: a Ctrl-C in the agent's terminal does not reach it
    expect(readStat(pid)!.pgrp).toBe(pid)
    expect(await sup.stop()).toEqual({ ok: true, output: 'stopped (SIGTERM)' })
    expect(readRecord(runDir(), 'svc')).toBeUndefined()
  })

  it('should stop the whole process group, grandchildren included', async () => {
    const sup = recorded({ env: { GRANDCHILD: '1' } })
    await started(sup)
    const grandchild = reaper.track(await waitFor('the grandchild', async () => grandchildOf(await outLog())))
    await sup.stop()
    expect(alive(grandchild)).toBe(false)
  })

  it('should adopt the process a released supervisor left, see its SIGKILL as an exit and restart exactly one copy', async () => {
    const first = recorded()
    const pid = await started(first)
    await first.release()
    await first.close() // as a host that closes every executor after releasing might
    expect(alive(pid)).toBe(true)
    expect(readRecord(runDir(), 'svc')).toMatchObject({ pid })

    const sup = recorded()
    const adopted = nextEvent<LocalSupervisorEvents>(sup)('adopted')
    expect(await sup.start()).toEqual({ ok: true, output: `adopted pid ${pid}` })
    expect(await adopted).toMatchObject({ service: 'svc', pid })
    expect(sup.adopted).toBe(true)
    expect(await sup.status()).toEqual({
      ok: true,
      running: true,
      pid,
      restarts: 0,
      output: `adopted pid ${pid}`,
    })

    const exited = nextExit(sup)
    const restarted = nextStart(sup)
    process.kill(pid, 'SIGKILL')
    expect(await exited).toMatchObject({
      service: 'svc',
      pid,
      code: null,
      signal: null,
      crashes: 1,
      delayMs: 0,
    })
    const newPid = reaper.track(await restarted)
    expect(newPid).not.toBe(pid)
    expect(sup.adopted).toBe(false)
    expect(runningCopies([process.execPath, logging, dir])).toEqual([newPid])
    expect(readRecord(runDir(), 'svc')).toMatchObject({ pid: newPid })
    expect((await sup.status()).restarts).toBe(1)
  })

  it('should let an adopted process go on logging to the same file, and stop it on request', async () => {
    const port = await freePort()
    const first = recorded({ env: { PORT: String(port) } })
    const pid = await started(first)
    await waitFor('the service to listen', async () => (await outLog()).includes(`listening pid=${pid}`))
    await first.release()

    const sup = recorded({ env: { PORT: String(port) } })
    expect(await sup.start()).toEqual({ ok: true, output: `adopted pid ${pid}` })
    expect(await get(port, '/after-adoption')).toBe(String(pid))
    await waitFor('the request line', async () =>
      (await outLog()).includes(`request /after-adoption pid=${pid}`),
    )

    expect(await sup.stop()).toEqual({ ok: true, output: `stopped adopted pid ${pid} after SIGTERM` })
    expect(alive(pid)).toBe(false)
    expect(readRecord(runDir(), 'svc')).toBeUndefined()
  })

  it('should hand the exit of an adopted process to the healing engine like any other, and heal nothing at adoption', async () => {
    const first = recorded()
    const pid = await started(first)
    await first.release()

    const sup = recorded()
    const engine = createHealingEngine({
      config: { logsDir: join(dir, 'self-healing') },
      executors: { svc: sup },
    })
    cleanup.push(() => engine.close())
    const finished: HealingRecord[] = []
    const alerts: HealingEscalation[] = []
    engine.on('healing-finished', (r) => finished.push(r))
    engine.on('escalation', (a) => alerts.push(a))
    expect(await engine.start()).toEqual({ svc: { ok: true, output: `adopted pid ${pid}` } })
    expect(finished).toEqual([])

    const healed = nextEvent<HealingEvents>(engine)('healing-finished')
    process.kill(pid, 'SIGKILL')
    const record = await healed
    expect(record).toMatchObject({ service: 'svc', trigger: 'process-exit', strategy: 'process-restart' })
    expect(record.steps.map((s) => [s.name, s.ok])).toEqual([
      ['process exited', true],
      ['start', true],
    ])
    const newPid = reaper.track(sup.pid)
    expect(runningCopies([process.execPath, logging, dir])).toEqual([newPid])
    expect(alerts).toEqual([])
  })

  it('should stop a recorded process whose command changed, then start the configured one', async () => {
    const oldCommand = [process.execPath, logging, dir, '--old']
    const first = recorded({ command: oldCommand })
    const oldPid = await started(first)
    await first.release()

    const sup = recorded()
    const result = await sup.start()
    const newPid = reaper.track(sup.pid)
    expect(result).toEqual({
      ok: true,
      output: `stopped pid ${oldPid} left by an earlier agent: its command differs from the configured one; started pid ${newPid}`,
    })
    expect(alive(oldPid)).toBe(false)
    expect(runningCopies(oldCommand)).toEqual([])
    expect(runningCopies([process.execPath, logging, dir])).toEqual([newPid])
  })

  it('should restart a process left by an earlier agent, not adopt it, when asked to restart before any start', async () => {
    const first = recorded()
    const oldPid = await started(first)
    await first.release()

    const sup = recorded()
    const result = await sup.restart()
    const newPid = reaper.track(sup.pid)
    expect(result).toEqual({
      ok: true,
      output: `stopped pid ${oldPid} left by an earlier agent: stopped after SIGTERM; started pid ${newPid}`,
    })
    expect(alive(oldPid)).toBe(false)
    expect(runningCopies([process.execPath, logging, dir])).toEqual([newPid])
  })

  it('should start a fresh copy when the recorded process has exited, without reporting an exit', async () => {
    const first = recorded()
    const oldPid = await started(first)
    await first.release()
    process.kill(oldPid, 'SIGKILL')
    await waitFor('the process to be gone', () => !alive(oldPid))

    const sup = recorded()
    const exits: ProcessExit[] = []
    sup.on('exit', (e) => exits.push(e))
    const result = await sup.start()
    const newPid = reaper.track(sup.pid)
    expect(result).toEqual({
      ok: true,
      output: `dropped the run record of pid ${oldPid}: pid ${oldPid} is not running; started pid ${newPid}`,
    })
    expect(exits).toEqual([])
  })

  it('should neither adopt nor signal a process whose start time is not the recorded one', async () => {
    const command = [process.execPath, logging, dir]
    // the same command, started outside the supervisor; SIGTERM would end it
    const stranger = spawn(command[0]!, command.slice(1), { stdio: 'ignore' })
    const strangerPid = reaper.track(stranger.pid)
    writeRecord(runDir(), {
      service: 'svc',
      pid: strangerPid,
      startTime: readStat(strangerPid)!.startTime - 1,
      argv: command,
      cwd: resolve('.'),
      startedAt: Date.now(),
    })

    const sup = recorded()
    const result = await sup.start()
    const newPid = reaper.track(sup.pid)
    expect(result.output).toBe(
      `dropped the run record of pid ${strangerPid}: pid ${strangerPid} now belongs to another process; started pid ${newPid}`,
    )
    expect(alive(strangerPid)).toBe(true)
    expect(sup.adopted).toBe(false)
  })

  it('should rotate by copy-truncate on its clock while the process keeps writing', async () => {
    const clock = new FakeClock()
    const sup = recorded({
      clock,
      env: { TICK_MS: '2' },
      logs: { dir, maxBytes: 2000, maxFiles: 2, checkIntervalMs: 1000 },
    })
    await started(sup)
    const out = join(dir, 'svc.out.log')
    const ticks = (text: string) => [...text.matchAll(/^tick (\d+) /gm)].map((m) => Number(m[1]))
    for (let round = 1; round <= 3; round++) {
      await waitFor('a full log file', async () => (await stat(out)).size >= 2000)
      await clock.advance(1000)
      const rotated = await readFile(`${out}.1`, 'utf8')
      expect(rotated.length).toBeGreaterThanOrEqual(2000)
      // the process goes on at the start of the emptied file: new lines, no hole of zero bytes
      const fresh = await waitFor('new lines', async () => {
        const text = await readFile(out, 'utf8')
        return ticks(text).length >= 3 && text
      })
      expect(fresh).not.toContain('\0')
      expect(ticks(fresh)[0]).toBeGreaterThan(ticks(rotated).at(-1)!)
    }
    expect((await readdir(dir)).filter((f) => f.startsWith('svc.out')).sort()).toEqual([
      'svc.out.log',
      'svc.out.log.1',
      'svc.out.log.2',
    ])
  })

  it('should stop the process on release without a run directory, since no later agent could find it', async () => {
    const sup = supervisor({ MODE: 'ok' })
    const pid = reaper.track((await sup.start()).ok ? sup.pid : undefined)
    await sup.release()
    expect(alive(pid)).toBe(false)
    expect(sup.running).toBe(false)
  })

  it('should start one copy when two starts race while a stale process is being stopped', async () => {
    const first = recorded({ command: [process.execPath, logging, dir, '--old'] })
    await started(first)
    await first.release()
    const sup = recorded()
    const [a, b] = await Promise.all([sup.start(), sup.start()])
    reaper.track(sup.pid)
    expect(a).toEqual(b)
    expect(runningCopies([process.execPath, logging, dir])).toEqual([sup.pid])
  })
})

describe('LocalSupervisor when its agent dies', () => {
  /** Runs agent-process.ts as a separate Node process, as the noa agent would run. */
  const startAgent = async (config: Record<string, unknown>, detached = false) => {
    const agent = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@noa/source', agentScript, JSON.stringify(config)],
      { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'], detached },
    )
    reaper.track(agent.pid)
    const line = await firstLine(agent.stdout)
    const result = JSON.parse(line) as { ok: boolean; output: string; pid: number }
    reaper.track(result.pid)
    return { agent, result }
  }

  it('should keep the service running and logging after a kill -9 of the agent, adopt it in the next agent, and let noa stop end it', async () => {
    const port = await freePort()
    const command = [process.execPath, logging, dir]
    const executor = { command, env: { PORT: String(port) }, logs: { dir } }
    const { agent, result } = await startAgent({ service: 'svc', runDir: join(dir, 'run'), executor })
    const pid = result.pid
    expect(result.output).toBe(`started pid ${pid}`)
    const out = () => readFile(join(dir, 'svc.out.log'), 'utf8').catch(() => '')
    await waitFor('the service to listen', async () => (await out()).includes(`listening pid=${pid}`))

    agent.kill('SIGKILL')
    await once(agent, 'exit')
    expect(alive(pid)).toBe(true)
    expect(await (await fetch(`http://127.0.0.1:${port}/orphaned`)).text()).toBe(String(pid))
    await waitFor('a line logged without an agent', async () =>
      (await out()).includes(`request /orphaned pid=${pid}`),
    )

    // the restarted agent
    const sup = createLocalExecutor(localExecutorSchema.parse({ type: 'local', ...executor }), {
      service: 'svc',
      runDir: join(dir, 'run'),
    })
    cleanup.push(() => sup.close())
    const exits: ProcessExit[] = []
    sup.on('exit', (e) => exits.push(e))
    expect(await sup.start()).toEqual({ ok: true, output: `adopted pid ${pid}` })
    expect(await (await fetch(`http://127.0.0.1:${port}/adopted`)).text()).toBe(String(pid))
    expect(runningCopies(command)).toEqual([pid])
    expect(exits).toEqual([])
    expect(await readFile(join(dir, 'svc.err.log'), 'utf8')).not.toContain('EADDRINUSE')

    // noa stop: the agent lets go of its services, then the stop command ends them
    await sup.release()
    expect(await stopRecorded(join(dir, 'run'), { timeoutMs: 2000 })).toEqual([
      { service: 'svc', pid, outcome: 'stopped', detail: 'stopped after SIGTERM' },
    ])
    expect(runningCopies(command)).toEqual([])
    expect(await readdir(join(dir, 'run'))).toEqual([])
  })

  it("should leave the service running when a Ctrl-C in the agent's terminal ends the agent", async () => {
    const command = [process.execPath, logging, dir]
    // detached: the agent leads its own group, like a foreground job in a terminal
    const { agent, result } = await startAgent(
      { service: 'svc', runDir: join(dir, 'run'), executor: { command, logs: { dir } } },
      true,
    )
    const exited = once(agent, 'exit')
    process.kill(-agent.pid!, 'SIGINT') // what the terminal sends to its foreground group
    expect(await exited).toEqual([null, 'SIGINT'])
    expect(alive(result.pid)).toBe(true)
  })
})

/** The first line a stream gives; rejects if it ends before one. */
function firstLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      text += chunk
      const end = text.indexOf('\n')
      if (end >= 0) resolve(text.slice(0, end))
    })
    stream.once('end', () => reject(new Error(`the stream ended before a line: ${text}`)))
  })
}
