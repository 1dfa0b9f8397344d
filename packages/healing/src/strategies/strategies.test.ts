import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HealingEngineOptions } from '../engine.ts'
import { createHealingEngine } from '../engine.ts'
import type { HealingEscalation } from '../strategy.ts'
import type { RecordedCall } from '../testing/recording-executor.ts'
import { recordingExecutor } from '../testing/recording-executor.ts'

let dir: string
let clock: FakeClock
let calls: RecordedCall[]
let server: Server | undefined
const node = process.execPath
const exit = (code: number) => ({ type: 'command' as const, argv: [node, '-e', `process.exit(${code})`] })

async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false
  void p.finally(() => {
    done = true
  })
  for (let i = 0; i < 5000 && !done; i++) {
    await new Promise((r) => setTimeout(r, 1))
    if (!done && clock.pending > 0) await clock.advanceTo(clock.nextDue() as number)
  }
  return p
}

function engineWith(extra: Partial<HealingEngineOptions> = {}) {
  const store = createMemoryStore({ clock })
  return createHealingEngine({
    clock,
    audit: store.healing,
    approvals: store.approvals,
    executors: { api: recordingExecutor('api', calls) },
    ...extra,
    config: { logsDir: join(dir, 'logs'), restartCooldown: 0, ...extra.config },
  })
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-strategies-'))
  clock = new FakeClock()
  calls = []
})

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
  server = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('graceful restart', () => {
  it('should not restart when the state cannot be saved, and say so when it cannot be restored', async () => {
    const failSave = engineWith({ services: { api: { state: { save: exit(2) } } } })
    const a = await settle(failSave.heal('memory-leak', 'api'))
    expect(a.reason).toBe(`could not save state: ${node} exited with code 2`)
    expect(calls).toEqual([])
    const failRestore = engineWith({ services: { api: { state: { restore: exit(3) } } } })
    const b = await settle(failRestore.heal('memory-leak', 'api'))
    expect(b.reason).toBe(`restarted, but could not restore state: ${node} exited with code 3`)
    const failStart = engineWith({
      executors: { api: recordingExecutor('api', calls, { fail: { start: 'no' } }) },
    })
    expect((await settle(failStart.heal('memory-leak', 'api'))).reason).toBe('start failed: no')
  })
})

describe('graceful degradation', () => {
  it('should switch to read-only through an HTTP call and raise a critical alert', async () => {
    const seen: string[] = []
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      res.end('read-only on')
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/read-only`
    const engine = engineWith({ services: { api: { degrade: { type: 'http', url } } } })
    const alerts: HealingEscalation[] = []
    engine.on('escalation', (a) => alerts.push(a))
    const r = await settle(engine.heal('max-restarts', 'api', { reason: '5 restarts' }))
    expect(r.outcome).toBe('succeeded')
    expect(r.steps.map((s) => s.name)).toEqual(['switch to read-only mode (http)'])
    expect(seen).toEqual(['POST /admin/read-only'])
    expect(alerts).toEqual([
      {
        service: 'api',
        severity: 'critical',
        kind: 'degraded',
        message: 'api put in read-only mode after 5 restarts',
        at: clock.now(),
      },
    ])
  })

  it('should alert only when no action is configured, and fail when the action fails', async () => {
    const none = await settle(engineWith().heal('max-restarts', 'api'))
    expect(none.outcome).toBe('succeeded')
    expect(none.steps[0]?.output).toBe('no degrade action configured; alert only')
    const cmd = await settle(
      engineWith({ services: { api: { degrade: exit(1) } } }).heal('max-restarts', 'api'),
    )
    expect(cmd).toMatchObject({ outcome: 'failed', reason: `${node} exited with code 1` })
    const env = await settle(
      engineWith({
        services: { api: { degrade: { type: 'env', name: 'RO' } } },
        executors: { api: recordingExecutor('api', calls, { capabilities: ['stop'] }) },
      }).heal('max-restarts', 'api'),
    )
    expect(env.reason).toBe('the executor of api cannot restart with an environment flag')
    const off = await engineWith({
      config: { strategies: { gracefulDegradation: { enabled: false } } },
    }).heal('max-restarts', 'api')
    expect(off.outcome).toBe('skipped')
  })
})

describe('rollback from git', () => {
  it('should find the tag before the current one and roll back to it', async () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, '-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
        stdio: 'pipe',
      })
    git('init', '-q')
    git('commit', '-q', '--allow-empty', '-m', 'one')
    git('tag', 'v1.0.0')
    git('commit', '-q', '--allow-empty', '-m', 'two')
    git('tag', 'v1.1.0')
    const engine = engineWith({
      config: { strategies: { rollback: { enabled: true, automatic: true, approvalRequired: false } } },
      services: { api: { rollback: { source: 'git', dir } } },
    })
    const r = await settle(engine.heal('deployment-failure', 'api'))
    expect(r.outcome).toBe('succeeded')
    expect(r.steps[0]).toMatchObject({
      name: 'find previous version (git)',
      output: 'current v1.1.0, previous v1.0.0',
    })
    expect(calls).toEqual([{ service: 'api', action: 'rollback', target: { version: 'v1.0.0' } }])
  })

  it('should fail when there is no previous version or the rollback fails', async () => {
    const auto = { strategies: { rollback: { enabled: true, automatic: true, approvalRequired: false } } }
    const noRepo = engineWith({ config: auto, services: { api: { rollback: { source: 'git', dir } } } })
    const a = await settle(noRepo.heal('deployment-failure', 'api'))
    expect(a.outcome).toBe('failed')
    expect(a.reason).toMatch(/^cannot find the previous version: git exited with code/)
    const failing = engineWith({
      config: auto,
      services: { api: { rollback: { source: 'git', dir, ref: 'v0.9' } } },
      executors: { api: recordingExecutor('api', calls, { fail: { rollback: 'image pull failed' } }) },
    })
    expect((await settle(failing.heal('deployment-failure', 'api'))).reason).toBe('image pull failed')
  })
})

describe('safe restart', () => {
  it('should back up and restore by command and succeed when the error rate falls', async () => {
    const log = join(dir, 'log')
    const append = (word: string) => ({
      command: [node, '-e', `require('fs').appendFileSync(${JSON.stringify(log)}, '${word} ')`],
    })
    const engine = engineWith({
      errorRate: async () => 0.01,
      services: {
        api: { backup: { command: append('backup').command, restoreCommand: append('restore').command } },
      },
    })
    const r = await settle(engine.heal('high-error-rate', 'api'))
    expect(r.outcome).toBe('succeeded')
    expect(r.steps.find((s) => s.name.startsWith('watch'))?.output).toBe(
      'error rate samples: 0.010, 0.010, 0.010, 0.010, 0.010, 0.010',
    )
  })

  it('should refuse to restart without a backup, and judge by health when no error rate is known', async () => {
    const noBackup = engineWith({
      services: { api: { backup: { command: [node, '-e', 'process.exit(9)'] } } },
    })
    expect((await settle(noBackup.heal('high-error-rate', 'api'))).reason).toBe(
      `no restart without a backup: ${node} exited with code 9`,
    )
    const plain = engineWith({ config: { gracefulShutdown: false } })
    const r = await settle(plain.heal('high-error-rate', 'api'))
    expect(r.outcome).toBe('succeeded')
    expect(r.steps.find((s) => s.name.startsWith('watch'))?.output).toBe(
      'no error rate available; judged by the health check',
    )
    const dry = await settle(engineWith({ config: { dryRun: true } }).heal('high-error-rate', 'api'))
    expect(dry.outcome).toBe('dry-run')
    const missing = engineWith({
      services: { api: { backup: { paths: [join(dir, 'nope')], dir: join(dir, 'b') } } },
    })
    expect((await settle(missing.heal('high-error-rate', 'api'))).reason).toMatch(
      /^no restart without a backup: backup failed/,
    )
  })
})

describe('scale up and restart without executors', () => {
  it('should fail with the reason when a service has no executor', async () => {
    const engine = engineWith({ executors: {}, services: { api: {} } })
    expect((await settle(engine.heal('high-load', 'api'))).reason).toBe('service api has no executor')
    const rb = engineWith({
      executors: {},
      services: { api: {} },
      config: { strategies: { rollback: { enabled: true } } },
    })
    expect((await settle(rb.heal('deployment-failure', 'api'))).reason).toBe('service api has no executor')
    const onlyScale = engineWith({
      executors: { api: recordingExecutor('api', calls, { capabilities: ['scale'] }) },
    })
    expect((await settle(onlyScale.heal('service-down', 'api'))).reason).toBe(
      'the recording executor of api cannot restart (capabilities: scale)',
    )
    const bareRestart = engineWith({
      executors: {
        api: recordingExecutor('api', calls, { capabilities: ['restart'], fail: { restart: 'x' } }),
      },
    })
    expect((await settle(bareRestart.heal('service-down', 'api'))).reason).toBe('restart failed: x')
    const stopFails = engineWith({
      executors: { api: recordingExecutor('api', calls, { fail: { stop: 'stuck' } }) },
    })
    expect((await settle(stopFails.heal('service-down', 'api'))).reason).toBe('stop failed: stuck')
  })
})

describe('dry run of every strategy', () => {
  it('should plan without acting or asking for approval', async () => {
    const engine = engineWith({
      config: { dryRun: true, strategies: { rollback: { enabled: true } } },
      services: {
        api: { dependsOn: [], rollback: { source: 'image', image: 'api:1' }, state: { save: exit(1) } },
      },
    })
    for (const trigger of [
      'deployment-failure',
      'high-load',
      'memory-leak',
      'dependency-failure',
      'max-restarts',
    ]) {
      const r = await settle(engine.heal(trigger, 'api'))
      expect([trigger, r.outcome]).toEqual([trigger, 'dry-run'])
    }
    expect(calls).toEqual([])
  })
})
