import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CheckResult, HealingRecord, HealthState } from '@noa/core'
import { ConfigError, FakeClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HealingEngineOptions } from './engine.ts'
import { createHealingEngine } from './engine.ts'
import type { LocalSupervisor } from './executors/local/local.ts'
import type { HealingEscalation } from './strategy.ts'
import type { RecordedCall } from './testing/recording-executor.ts'
import { recordingExecutor } from './testing/recording-executor.ts'

let dir: string
let clock: FakeClock
let health: Record<string, HealthState>
let calls: RecordedCall[]
let probes: string[]

const probe = async (service: string): Promise<CheckResult> => {
  probes.push(service)
  const state = health[service] ?? 'healthy'
  return {
    service,
    state: state === 'unknown' ? 'error' : state,
    at: clock.now(),
    durationMs: 1,
    attempts: 1,
  }
}

/** Lets what is due now run, without moving fake time. */
const flush = () => new Promise((r) => setTimeout(r, 10))

/** Runs fake time until `p` settles. */
/**
 * Resolves `p`, moving the fake clock to its next timer whenever the engine waits on it. Each
 * turn yields with setImmediate (real file and process I/O still completes in between): a 1 ms
 * timer a turn made a healing of 16 steps take 5,000 turns of 1-4 ms on a loaded machine, past
 * the test's time limit.
 */
async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false
  void p.finally(() => {
    done = true
  })
  while (!done) {
    await new Promise((r) => setImmediate(r))
    if (!done && clock.pending > 0) await clock.advanceTo(clock.nextDue() as number)
  }
  return p
}

function engineWith(extra: Partial<HealingEngineOptions> = {}, services = ['api']) {
  const store = createMemoryStore({ clock })
  const executors = Object.fromEntries(services.map((s) => [s, recordingExecutor(s, calls)]))
  const engine = createHealingEngine({
    clock,
    probe,
    audit: store.healing,
    approvals: store.approvals,
    leases: store.leases,
    executors,
    ...extra,
    config: { logsDir: join(dir, 'self-healing'), ...extra.config },
  })
  return { engine, store }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-healing-'))
  clock = new FakeClock()
  health = {}
  calls = []
  probes = []
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('HealingEngine', () => {
  it('should restart a down service with the seed sequence and record every step with its timing', async () => {
    health.api = 'error'
    const { engine, store } = engineWith()
    const started = clock.now()
    const record = await settle(
      engine.heal('service-down', 'api').then((r) => {
        return r
      }),
    )
    expect(record.outcome).toBe('failed') // still down after the restart
    health.api = 'error'
    expect(calls.map((c) => c.action)).toEqual(['stop', 'start'])
    expect(record.steps.map((s) => s.name)).toEqual([
      'check health before',
      'stop',
      'wait 2000 ms',
      'start',
      'wait 5000 ms',
      'check api',
    ])
    const stop = record.steps[1]!
    const start = record.steps[3]!
    expect(start.startedAt - stop.endedAt).toBe(2000)
    expect(record.endedAt! - started).toBe(7000)
    expect(record).toMatchObject({
      trigger: 'service-down',
      strategy: 'service-restart',
      healthBefore: 'error',
      healthAfter: 'error',
      dryRun: false,
    })
    const saved = await store.healing.healings({ service: 'api' })
    expect(saved).toHaveLength(1)
    expect(saved[0]).toEqual(record)
  })

  it('should succeed and reset the consecutive counter when the service answers after the restart', async () => {
    health.api = 'error'
    const { engine } = engineWith({
      executors: {
        api: recordingExecutor('api', calls, {
          onAction: (a) => {
            if (a === 'start') health.api = 'healthy'
          },
        }),
      },
    })
    const record = await settle(engine.heal('service-down', 'api'))
    expect(record.outcome).toBe('succeeded')
    expect(record.healthAfter).toBe('healthy')
    expect(record.reason).toBeUndefined()
    expect(engine.guardState('api')).toMatchObject({ consecutive: 0, restartsInWindow: 1 })
  })

  it('should keep who asked for a healing in its record, run or refused', async () => {
    health.api = 'error'
    const { engine, store } = engineWith({
      executors: {
        api: recordingExecutor('api', calls, {
          onAction: (a) => {
            if (a === 'start') health.api = 'healthy'
          },
        }),
      },
    })
    const record = await settle(engine.heal('service-down', 'api', { requestedBy: 'oncall' }))
    expect(record.requestedBy).toBe('oncall')
    expect((await store.healing.healings({ limit: 5 }))[0]?.requestedBy).toBe('oncall')
    const refused = await settle(engine.heal('service-down', 'nope', { requestedBy: 'oncall' }))
    expect([refused.outcome, refused.requestedBy]).toEqual(['failed', 'oncall'])
    expect((await settle(engine.heal('service-down', 'api'))).requestedBy).toBeUndefined()
  })

  it('should answer the guard state of a service nothing was counted of, and count from its first restart', async () => {
    health.api = 'error'
    const { engine } = engineWith({ executors: { api: recordingExecutor('api', calls) } })
    const untouched = {
      restartsInWindow: 0,
      consecutive: 0,
      failures: 0,
      circuit: 'closed',
      retries: 0,
      degraded: false,
      healingFailed: false,
    }
    expect(engine.guardState('api')).toStrictEqual(untouched)
    expect(Object.isFrozen(engine.guardState('api'))).toBe(true)
    await settle(engine.heal('service-down', 'api'))
    const after = engine.guardState('api')
    expect(after).toMatchObject({ restartsInWindow: 1, consecutive: 1, circuit: 'closed' })
    expect(after.lastRestartAt).toBeTypeOf('number')
    expect(Object.isFrozen(after)).toBe(false)
  })

  it('should do nothing when the fresh probe finds the service healthy', async () => {
    health.api = 'healthy'
    const { engine } = engineWith()
    const record = await settle(engine.heal('service-down', 'api'))
    expect(record.outcome).toBe('skipped')
    expect(record.reason).toBe('api is healthy again; nothing to do')
    expect(calls).toEqual([])
  })

  it('should refuse a second restart within the cooldown and allow it after', async () => {
    health.api = 'error'
    const { engine } = engineWith({ config: { restartCooldown: 60_000 } })
    await settle(engine.heal('service-down', 'api'))
    const refused = await settle(engine.heal('service-down', 'api'))
    expect(refused.outcome).toBe('skipped')
    expect(refused.reason).toMatch(/cooldown is 60000 ms/)
    await clock.advance(60_000)
    const again = await settle(engine.heal('service-down', 'api'))
    expect(again.outcome).toBe('failed')
    expect(calls.filter((c) => c.action === 'start')).toHaveLength(2)
  })

  it('should degrade the service after 3 consecutive failed restarts and raise a critical alert', async () => {
    health.api = 'error'
    const { engine } = engineWith({
      config: { restartCooldown: 0, circuitBreaker: { failureThreshold: 10 } },
      services: { api: { degrade: { type: 'env', name: 'READ_ONLY', value: '1' } } },
    })
    const alerts: HealingEscalation[] = []
    engine.on('escalation', (a) => alerts.push(a))
    for (let i = 0; i < 3; i++)
      expect((await settle(engine.heal('service-down', 'api'))).outcome).toBe('failed')
    const fourth = await settle(engine.heal('service-down', 'api'))
    expect(fourth.strategy).toBe('graceful-degradation')
    expect(fourth.trigger).toBe('max-restarts')
    expect(fourth.outcome).toBe('succeeded')
    expect(calls.at(-1)).toEqual({ service: 'api', action: 'restart', env: { READ_ONLY: '1' } })
    expect(alerts.map((a) => [a.kind, a.severity])).toEqual([
      ['healing-failed', 'warning'],
      ['healing-failed', 'warning'],
      ['healing-failed', 'warning'],
      ['budget-spent', 'critical'],
      ['degraded', 'critical'],
    ])
    expect(alerts[3]?.message).toBe(
      'api was restarted 3 times in a row without recovering (max 3); retrying with backoff, next in 10 s',
    )
    expect(engine.guardState('api')).toMatchObject({ degraded: true, circuit: 'open', cause: 'budget-spent' })
    // once degraded, further triggers are refused without degrading again, with a typed reason
    const fifth = await settle(engine.heal('service-down', 'api'))
    expect(fifth).toMatchObject({ outcome: 'skipped', skip: 'circuit-open' })
    expect(fifth.reason).toBe('circuit of api is open (its restart budget is spent); next retry in 10000 ms')
    expect(calls.filter((c) => c.env)).toHaveLength(1)
  })

  it('should allow at most maxRestarts restarts within the window', async () => {
    const { engine } = engineWith({
      config: { restartCooldown: 0, maxRestarts: 2, restartWindow: 600_000 },
      executors: {
        api: recordingExecutor('api', calls, {
          onAction: (a) => {
            if (a === 'start') health.api = 'healthy'
          },
        }),
      },
    })
    for (let i = 0; i < 2; i++) {
      health.api = 'error'
      expect((await settle(engine.heal('service-down', 'api'))).outcome).toBe('succeeded')
    }
    health.api = 'error'
    const refused = await settle(engine.heal('service-down', 'api', { dryRun: false }))
    expect(refused.strategy).toBe('graceful-degradation')
    // a person may always act
    health.api = 'error'
    expect((await settle(engine.heal('manual', 'api'))).outcome).toBe('succeeded')
  })

  it('should retry an open circuit with backoff, never leave the service down, and close it once stable', async () => {
    const { engine, store } = engineWith({
      config: {
        restartCooldown: 0,
        maxRestarts: 2,
        circuitBreaker: { retryInitial: 10_000, coolOff: 30_000, stablePeriod: 60_000 },
        strategies: {
          gracefulDegradation: { enabled: false },
          serviceRestart: { stopWait: 0, startWait: 0 },
        },
      },
    })
    const escalations: HealingEscalation[] = []
    const recovered: string[] = []
    engine.on('escalation', (e) => escalations.push(e))
    engine.on('recovered', (r) => recovered.push(r.service))
    health.api = 'error'
    engine.noteHealth('api', 'error')
    await settle(engine.heal('service-down', 'api'))
    await settle(engine.heal('service-down', 'api'))
    const spent = await settle(engine.heal('service-down', 'api'))
    expect(spent).toMatchObject({ outcome: 'skipped', skip: 'budget-spent' })
    expect(escalations.filter((e) => e.kind === 'budget-spent')).toHaveLength(1)
    const starts = () => calls.filter((c) => c.action === 'start').length
    expect(starts()).toBe(2)
    // retries at +10 s, +20 s, +30 s (the cap), +30 s: each a restart, none refused
    const retryTimes: number[] = []
    engine.on('healing-started', (r) => retryTimes.push(r.startedAt))
    const t0 = clock.now()
    for (const wait of [10_000, 20_000, 30_000, 30_000]) {
      await clock.advance(wait)
      await flush()
    }
    expect(retryTimes.map((t) => t - t0)).toEqual([10_000, 30_000, 60_000, 90_000])
    expect(starts()).toBe(6)
    expect(engine.guardState('api')).toMatchObject({ circuit: 'open', retries: 5 })
    // the fault clears: healthy for the stable period closes the circuit and resets the counts
    health.api = 'healthy'
    engine.noteHealth('api', 'healthy')
    await clock.advance(59_999)
    expect(recovered).toEqual([])
    await clock.advance(1)
    expect(recovered).toEqual(['api'])
    expect(engine.guardState('api')).toMatchObject({ circuit: 'closed', consecutive: 0, degraded: false })
    await clock.advance(600_000)
    expect(starts()).toBe(6)
    expect((await store.healing.healings()).filter((r) => r.skip === 'budget-spent')).toHaveLength(1)
  })

  it('should leave a service down for a person when onBudgetSpent is stop', async () => {
    const { engine } = engineWith({
      config: { restartCooldown: 0, maxRestarts: 1, onBudgetSpent: 'stop' },
    })
    const escalations: HealingEscalation[] = []
    engine.on('escalation', (e) => escalations.push(e))
    health.api = 'error'
    await settle(engine.heal('service-down', 'api'))
    await settle(engine.heal('service-down', 'api'))
    expect(escalations.find((e) => e.kind === 'budget-spent')?.message).toMatch(/until a person acts/)
    await clock.advance(3_600_000)
    expect(calls.filter((c) => c.action === 'start')).toHaveLength(1)
    expect(engine.guardState('api').nextRetryAt).toBeUndefined()
  })

  it('should open the circuit after repeated failed healings, alert, and retry after the backoff', async () => {
    health.api = 'error'
    const { engine } = engineWith({
      config: { restartCooldown: 0, circuitBreaker: { failureThreshold: 2, retryInitial: 120_000 } },
      executors: { api: recordingExecutor('api', calls, { fail: { scale: 'API down' } }) },
    })
    const alerts: HealingEscalation[] = []
    engine.on('escalation', (a) => alerts.push(a))
    await settle(engine.heal('high-load', 'api'))
    await settle(engine.heal('high-load', 'api'))
    expect(alerts.map((a) => a.kind)).toEqual(['healing-failed', 'healing-failed', 'circuit-open'])
    const refused = await settle(engine.heal('high-load', 'api'))
    expect(refused).toMatchObject({ outcome: 'skipped', skip: 'circuit-open' })
    expect(refused.reason).toMatch(/circuit of api is open \(its healings keep failing\)/)
    expect(calls.filter((c) => c.action === 'scale')).toHaveLength(2)
    await clock.advance(120_000)
    await flush()
    expect(calls.filter((c) => c.action === 'scale')).toHaveLength(3)
    expect(engine.guardState('api')).toMatchObject({
      circuit: 'open',
      cause: 'failures',
      healingFailed: true,
    })
  })

  it('should give one healing for two triggers at the same time', async () => {
    health.api = 'error'
    const { engine, store } = engineWith()
    const both = Promise.all([engine.heal('service-down', 'api'), engine.heal('service-down', 'api')])
    const [a, b] = await settle(both)
    expect([a.outcome, b.outcome].sort()).toEqual(['failed', 'skipped'])
    expect([a, b].find((r) => r.outcome === 'skipped')).toMatchObject({
      reason: 'a healing of api is already running',
      skip: 'locked',
    })
    expect(calls.filter((c) => c.action === 'start')).toHaveLength(1)
    expect(await store.healing.healings()).toHaveLength(1)
  })

  it('should leave a service to the agent that holds its lease', async () => {
    health.api = 'error'
    const { engine, store } = engineWith({ agentId: 'agent-a' })
    await store.leases.acquireLease('healing:api', 'agent-b', 60_000, clock.now())
    const record = await settle(engine.heal('service-down', 'api'))
    expect(record).toMatchObject({
      outcome: 'skipped',
      skip: 'lease-held',
      reason: 'another agent is healing api',
    })
    expect(calls).toEqual([])
    await clock.advance(60_001)
    await settle(engine.heal('service-down', 'api'))
    expect(calls.length).toBeGreaterThan(0)
    expect(await store.leases.leaseHolder('healing:api', clock.now())).toBeUndefined()
  })

  it('should decide and record in dry run without acting', async () => {
    health.api = 'error'
    const { engine, store } = engineWith({ config: { dryRun: true } })
    const record = await settle(engine.heal('service-down', 'api'))
    expect(calls).toEqual([])
    expect(record.outcome).toBe('dry-run')
    expect(record.dryRun).toBe(true)
    expect(record.steps.map((s) => s.output)).toContain('dry run: would stop')
    expect((await store.healing.healings())[0]?.outcome).toBe('dry-run')
    expect(engine.guardState('api').restartsInWindow).toBe(0)
  })

  it('should append each finished healing as one JSON line under the logs dir', async () => {
    health.api = 'error'
    const { engine } = engineWith()
    const record = await settle(engine.heal('service-down', 'api'))
    const files = await readdir(join(dir, 'self-healing'))
    expect(files).toEqual([`healing-${new Date(record.startedAt).toISOString().slice(0, 10)}.jsonl`])
    const lines = (await readFile(join(dir, 'self-healing', files[0]!), 'utf8')).trim().split('\n')
    expect(lines.map((l) => JSON.parse(l) as HealingRecord)).toEqual([record])
  })

  it('should emit started, step and finished events', async () => {
    health.api = 'healthy'
    const { engine } = engineWith()
    const seen: string[] = []
    engine.on('healing-started', (r) => seen.push(`started ${r.outcome}`))
    engine.on('healing-step', ({ step }) => seen.push(`step ${step.name}`))
    engine.on('healing-finished', (r) => seen.push(`finished ${r.outcome}`))
    await settle(engine.heal('manual', 'api'))
    expect(seen).toEqual(['started running', 'step check health before', 'finished skipped'])
  })

  it('should turn bad input into failed records, never a crash', async () => {
    const { engine } = engineWith({ services: { bare: {} } }, ['api'])
    const unknownService = await engine.heal('service-down', 'nope')
    expect(unknownService).toMatchObject({ outcome: 'failed', reason: 'unknown service nope' })
    const unknownTrigger = await engine.heal('solar-flare', 'api')
    expect(unknownTrigger).toMatchObject({
      outcome: 'failed',
      reason: 'no strategy answers the trigger "solar-flare"',
    })
    health.bare = 'error'
    const noExecutor = await settle(engine.heal('service-down', 'bare'))
    expect(noExecutor).toMatchObject({ outcome: 'failed', reason: 'service bare has no executor' })
    expect(noExecutor.steps.at(-1)).toMatchObject({
      name: 'restart',
      ok: false,
      error: 'service bare has no executor',
    })
  })

  it('should refuse invalid options with every problem at once', () => {
    const build = () =>
      createHealingEngine({
        config: { maxRestarts: 0, triggers: { 'high-load': 'warp-drive' } } as never,
        services: { api: { executor: { type: 'teleport' } as never } },
      })
    expect(build).toThrow(ConfigError)
    try {
      createHealingEngine({ config: { maxRestarts: 0, restartCooldown: -1 } })
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual([
        'selfHealing.maxRestarts',
        'selfHealing.restartCooldown',
      ])
      expect((e as ConfigError).message).toMatch(/selfHealing.maxRestarts: .*found 0/)
    }
    expect(() => createHealingEngine({ config: { triggers: { 'high-load': 'warp-drive' } } })).toThrow(
      /selfHealing.triggers.high-load/,
    )
    expect(() =>
      createHealingEngine({ services: { api: { executor: { type: 'teleport' } as never } } }),
    ).toThrow(/services.api.executor.type/)
  })

  it('should skip everything when self-healing or a strategy is disabled', async () => {
    const off = engineWith({ config: { enabled: false } }).engine
    expect((await off.heal('service-down', 'api')).reason).toBe('self-healing is disabled')
    const noScale = engineWith({ config: { strategies: { scaleUp: { enabled: false } } } }).engine
    expect((await noScale.heal('high-load', 'api')).reason).toBe(
      'strategy scale-up is disabled (selfHealing.strategies.scaleUp.enabled)',
    )
  })

  it('should use a strategy chosen by a trigger override', async () => {
    health.api = 'error'
    const { engine } = engineWith({ config: { triggers: { 'high-load': 'service-restart' } } })
    const record = await settle(engine.heal('high-load', 'api'))
    expect(record.strategy).toBe('service-restart')
  })

  it('should record a throwing strategy as failed', async () => {
    const { engine } = engineWith({
      config: { triggers: { custom: 'boom' } },
      strategies: {
        boom: {
          name: 'boom',
          restarts: false,
          applies: () => true,
          execute: async () => {
            throw new Error('kaput')
          },
        },
      },
    })
    const record = await settle(engine.heal('custom', 'api'))
    expect(record).toMatchObject({ outcome: 'failed', reason: 'strategy boom threw: kaput' })
  })
})

describe('dependency check', () => {
  const seedMap = {
    'mcp-server': { dependsOn: ['claude-flow'] },
    'ui-server': { dependsOn: ['mcp-server'] },
    'neural-processing': { dependsOn: [] },
    'claude-flow': {},
  }
  const names = Object.keys(seedMap)

  it('should heal dependencies deepest first, then restart the service (the seed map)', async () => {
    health['claude-flow'] = 'error'
    health['mcp-server'] = 'error'
    health['ui-server'] = 'unhealthy'
    const { engine } = engineWith(
      {
        services: seedMap,
        executors: Object.fromEntries(
          names.map((n) => [
            n,
            recordingExecutor(n, calls, {
              onAction: (a) => {
                if (a === 'start') health[n] = 'healthy'
              },
            }),
          ]),
        ),
      },
      names,
    )
    const record = await settle(engine.heal('dependency-failure', 'ui-server'))
    expect(record.outcome).toBe('succeeded')
    expect(calls.filter((c) => c.action === 'start').map((c) => c.service)).toEqual([
      'claude-flow',
      'mcp-server',
      'ui-server',
    ])
    expect(record.steps.map((s) => s.name)).toEqual([
      'check health before',
      'check claude-flow',
      'stop claude-flow',
      'wait 2000 ms',
      'start claude-flow',
      'wait 5000 ms',
      'check claude-flow',
      'check mcp-server',
      'stop mcp-server',
      'wait 2000 ms',
      'start mcp-server',
      'wait 5000 ms',
      'check mcp-server',
      'stop',
      'wait 2000 ms',
      'start',
      'wait 5000 ms',
      'check ui-server',
    ])
  })

  it('should leave healthy dependencies alone and cut cycles', async () => {
    health.a = 'error'
    const { engine } = engineWith({ services: { a: { dependsOn: ['b'] }, b: { dependsOn: ['a'] } } }, [
      'a',
      'b',
    ])
    const record = await settle(engine.heal('dependency-failure', 'a'))
    expect(calls.map((c) => c.service)).toEqual(['a', 'a'])
    expect(record.steps.map((s) => s.name)).toContain('dependency cycle a -> b -> a')
  })

  it('should not restart the service when a dependency does not recover', async () => {
    health['claude-flow'] = 'error'
    health['mcp-server'] = 'error'
    const { engine } = engineWith({ services: seedMap }, names)
    const record = await settle(engine.heal('dependency-failure', 'mcp-server'))
    expect(record.outcome).toBe('failed')
    expect(record.reason).toBe('dependency claude-flow did not recover: claude-flow is still error')
    expect(calls.map((c) => c.service)).toEqual(['claude-flow', 'claude-flow'])
  })

  it('should fail on a dependency that is not configured', async () => {
    const { engine } = engineWith({ services: { api: { dependsOn: ['ghost'] } } })
    const record = await settle(engine.heal('dependency-failure', 'api'))
    expect(record.reason).toBe('api depends on ghost, which is not a configured service')
  })
})

describe('rollback', () => {
  const rollbackOn = { strategies: { rollback: { enabled: true } } }

  it('should be off unless enabled', async () => {
    const { engine } = engineWith()
    const record = await settle(engine.heal('deployment-failure', 'api'))
    expect(record).toMatchObject({
      outcome: 'skipped',
      reason: 'strategy rollback is disabled (selfHealing.strategies.rollback.enabled)',
    })
  })

  it('should wait for an approval and roll back when approved', async () => {
    const { engine, store } = engineWith({
      config: rollbackOn,
      services: { api: { rollback: { source: 'image', image: 'registry/api:1.4.2' } } },
    })
    const requested: string[] = []
    engine.on('approval-requested', (a) => requested.push(a.id))
    const pending = engine.heal('deployment-failure', 'api')
    await clock.advance(5_000)
    expect(calls).toEqual([])
    const [approval] = await store.approvals.approvals({ status: 'pending' })
    expect(approval).toMatchObject({
      service: 'api',
      action: 'rollback',
      reason: 'roll api back to registry/api:1.4.2',
    })
    expect((await store.healing.healings())[0]?.outcome).toBe('awaiting-approval')
    await engine.decideApproval(approval!.id, { status: 'approved', at: clock.now(), by: 'ops' })
    const record = await settle(pending)
    expect(requested).toEqual([approval!.id])
    expect(calls).toEqual([{ service: 'api', action: 'rollback', target: { version: 'registry/api:1.4.2' } }])
    expect(record.outcome).toBe('succeeded')
    expect(record.steps.map((s) => s.name)).toContain('approval approved')
  })

  it('should see a decision made elsewhere in the store', async () => {
    const { engine, store } = engineWith({ config: rollbackOn })
    const pending = engine.heal('deployment-failure', 'api')
    await clock.advance(0)
    const [approval] = await store.approvals.approvals({ status: 'pending' })
    await store.approvals.decideApproval(approval!.id, {
      status: 'rejected',
      at: clock.now(),
      by: 'ops',
      comment: 'not now',
    })
    const record = await settle(pending)
    expect(record).toMatchObject({ outcome: 'rejected', reason: 'rollback rejected: not now' })
    expect(calls).toEqual([])
  })

  it('should expire an approval nobody decides', async () => {
    const { engine, store } = engineWith({ config: { ...rollbackOn, approvalTimeout: 600_000 } })
    const record = await settle(engine.heal('deployment-failure', 'api'))
    expect(record).toMatchObject({ outcome: 'skipped', reason: 'approval expired without a decision' })
    expect(record.endedAt! - record.startedAt).toBe(600_000)
    expect((await store.approvals.approvals())[0]?.status).toBe('expired')
    expect(calls).toEqual([])
  })

  it('should run at once when automatic and no approval is required', async () => {
    const { engine } = engineWith({
      config: { strategies: { rollback: { enabled: true, automatic: true, approvalRequired: false } } },
      services: { api: { rollback: { source: 'kubernetes', revision: 3 } } },
    })
    const record = await settle(engine.heal('deployment-failure', 'api'))
    expect(record.outcome).toBe('succeeded')
    expect(calls[0]).toMatchObject({ action: 'rollback', target: { revision: 3 } })
  })

  it('should fail without an approval store or a capable executor', async () => {
    const noStore = engineWith({ config: rollbackOn, approvals: undefined as never }).engine
    const record = await settle(noStore.heal('deployment-failure', 'api'))
    expect(record.reason).toBe('approval required, but no approval store is configured')
    const cannot = engineWith({
      config: rollbackOn,
      executors: { api: recordingExecutor('api', calls, { capabilities: ['restart'] }) },
    }).engine
    expect((await settle(cannot.heal('deployment-failure', 'api'))).reason).toBe(
      'the recording executor of api cannot roll back',
    )
  })
})

describe('scale up, graceful restart, safe restart', () => {
  it('should scale by one and stop at the maximum', async () => {
    const { engine } = engineWith({ config: { strategies: { scaleUp: { maxReplicas: 2 } } } })
    expect((await settle(engine.heal('high-load', 'api'))).outcome).toBe('succeeded')
    const capped = await settle(engine.heal('high-load', 'api'))
    expect(capped).toMatchObject({ outcome: 'failed', reason: 'at max 2' })
  })

  it('should refuse to scale an executor that cannot', async () => {
    const { engine } = engineWith({
      executors: { api: recordingExecutor('api', calls, { capabilities: ['restart'] }) },
    })
    const record = await settle(engine.heal('high-load', 'api'))
    expect(record.reason).toBe(
      'the recording executor of api cannot scale; scale up needs a kubernetes or pm2 executor',
    )
  })

  it('should name as targets of a fleet-wide trigger the services its strategy applies to', () => {
    const { engine } = engineWith({
      executors: {
        api: recordingExecutor('api', calls, { capabilities: ['restart'] }),
        web: recordingExecutor('web', calls, { capabilities: ['scale'] }),
        db: recordingExecutor('db', calls, { capabilities: ['stop', 'start'] }),
      },
    })
    expect(engine.targets('high-load')).toEqual(['web'])
    expect(engine.targets('service-down')).toEqual(['api', 'db'])
    expect(engine.targets('deployment-failure')).toEqual([])
    expect(engine.targets('no-such-trigger')).toEqual([])
  })

  it('should save state, restart and restore state on a memory leak', async () => {
    const script = (name: string) => [
      'node',
      '-e',
      `require('fs').appendFileSync(${JSON.stringify(join(dir, 'hooks'))}, '${name}\\n')`,
    ]
    const { engine } = engineWith({
      config: { gracefulShutdown: false },
      services: {
        api: {
          state: {
            save: { type: 'command', argv: script('save') },
            restore: { type: 'command', argv: script('restore') },
          },
        },
      },
    })
    const record = await settle(engine.heal('memory-leak', 'api'))
    expect(record.steps.map((s) => s.name)).toEqual([
      'check health before',
      'save state',
      'restart',
      'wait 5000 ms',
      'check api',
      'restore state',
    ])
    expect(await readFile(join(dir, 'hooks'), 'utf8')).toBe('save\nrestore\n')
    expect(calls.map((c) => c.action)).toEqual(['restart'])
  })

  it('should back up, clear the cache, watch the error rate and restore the backup when it stays high', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises')
    const data = join(dir, 'data.json')
    const cache = join(dir, 'cache')
    await writeFile(data, 'v1')
    await mkdir(cache)
    let rate = 0.2
    const { engine } = engineWith({
      errorRate: async () => rate,
      services: { api: { backup: { paths: [data], dir: join(dir, 'backups') }, clearPaths: [cache] } },
      executors: {
        api: recordingExecutor('api', calls, {
          onAction: (a) => {
            if (a === 'start') void writeFile(data, 'corrupted')
          },
        }),
      },
    })
    const record = await settle(engine.heal('high-error-rate', 'api'))
    expect(record.outcome).toBe('failed')
    expect(record.reason).toBe('error rate 0.200 still above 0.05; backup restored')
    expect(record.steps.map((s) => s.name)).toEqual(
      [
        'check health before',
        'back up state',
        'clear cache',
        'stop',
        'wait 2000 ms',
        'start',
        'wait 5000 ms',
        'check api',
        'watch error rate for 30000 ms',
        'restore backup',
        'clear cache',
        'stop',
        'wait 2000 ms',
        'start',
        'wait 5000 ms',
        'check api',
      ].filter((n, i) => i < 10 || n !== 'clear cache'),
    )
    expect(await readdir(dir)).not.toContain('cache')
    rate = 0.01
    await clock.advance(60_000)
    const ok = await settle(engine.heal('high-error-rate', 'api'))
    expect(ok.outcome).toBe('succeeded')
  })
})

describe('HealingEngine when its parts fail', () => {
  it('should keep healing when the audit, the probe, the error-rate reader or the lease store throws', async () => {
    const boom = async () => {
      throw new Error('down')
    }
    const engine = createHealingEngine({
      clock,
      config: { logsDir: join(dir, 'x'), triggers: { 'high-error-rate': 'safe-restart' } },
      executors: { api: recordingExecutor('api', calls) },
      audit: { saveHealing: boom, healings: async () => [] },
      probe: boom,
      errorRate: boom,
    })
    const r = await settle(engine.heal('service-down', 'api'))
    expect(r.healthBefore).toBe('error')
    expect(r.steps[0]).toMatchObject({ name: 'check health before', output: 'error: down' })
    const leased = createHealingEngine({
      clock,
      config: { logsDir: join(dir, 'x') },
      executors: { api: recordingExecutor('api', calls) },
      leases: {
        acquireLease: boom,
        releaseLease: boom,
        leaseHolder: async () => undefined,
        heldLeases: boom,
      },
    })
    expect((await settle(leased.heal('service-down', 'api'))).reason).toBe(
      'cannot take the lease of api: down',
    )
  })

  it('should leave a waiting approval pending when the engine closes', async () => {
    const { engine, store } = engineWith({ config: { strategies: { rollback: { enabled: true } } } })
    const pending = engine.heal('deployment-failure', 'api')
    await clock.advance(0)
    await engine.close()
    const r = await pending
    expect(r.outcome).toBe('interrupted')
    expect((await store.approvals.approvals())[0]?.status).toBe('pending')
    expect(await engine.heal('service-down', 'api')).toMatchObject({
      reason: 'the healing engine is closing',
      skip: 'closed',
    })
    expect(await engine.decideApproval('nope', { status: 'approved', at: 0 })).toBeUndefined()
  })

  it('should stop acting when its lease is lost, and record the healing as interrupted', async () => {
    health.api = 'error'
    const { engine, store } = engineWith({ agentId: 'agent-a', config: { leaseTtl: 3000 } })
    const pending = engine.heal('service-down', 'api')
    // the healing is in its 2 s wait after the stop; another agent takes the lease meanwhile
    await new Promise((r) => setTimeout(r, 5))
    await store.leases.releaseLease('healing:api', 'agent-a')
    await store.leases.acquireLease('healing:api', 'agent-b', 60_000, clock.now())
    const record = await settle(pending)
    expect(record.outcome).toBe('interrupted')
    expect(record.reason).toBe(
      'lost the lease of api: another agent holds it now; the remaining steps were not run',
    )
    expect(calls.map((c) => c.action)).toEqual(['stop'])
    expect((await store.healing.healings())[0]?.outcome).toBe('interrupted')
  })

  it('should stop acting when its lease cannot be renewed before it runs out', async () => {
    health.api = 'error'
    const { store } = engineWith()
    let failing = false
    const leases = {
      acquireLease: async (...a: Parameters<typeof store.leases.acquireLease>) => {
        if (failing) throw new Error('connection refused')
        return store.leases.acquireLease(...a)
      },
      releaseLease: store.leases.releaseLease.bind(store.leases),
      leaseHolder: store.leases.leaseHolder.bind(store.leases),
      heldLeases: store.leases.heldLeases.bind(store.leases),
    }
    const { engine } = engineWith({ leases, config: { leaseTtl: 3000 } })
    const pending = engine.heal('service-down', 'api')
    await new Promise((r) => setTimeout(r, 5))
    failing = true
    const record = await settle(pending)
    expect(record.outcome).toBe('interrupted')
    expect(record.reason).toMatch(/could not be renewed before it ran out \(connection refused\)/)
  })
})

describe('HealingEngine after a crash', () => {
  it('should close the healings left running as interrupted, leaving those of a live agent', async () => {
    const { store } = engineWith()
    const running = (id: string, service: string) => ({
      id,
      service,
      trigger: 'service-down',
      strategy: 'service-restart',
      startedAt: 1,
      outcome: 'running' as const,
      steps: [],
      dryRun: false,
    })
    await store.healing.saveHealing(running('h1', 'api'))
    await store.healing.saveHealing(running('h2', 'web'))
    await store.healing.saveHealing({ ...running('h3', 'api'), outcome: 'succeeded', endedAt: 2 })
    await store.leases.acquireLease('healing:web', 'agent-live', 60_000, clock.now())
    const engine = createHealingEngine({
      clock,
      agentId: 'agent-new',
      audit: store.healing,
      leases: store.leases,
      executors: { api: recordingExecutor('api', calls), web: recordingExecutor('web', calls) },
      config: { logsDir: join(dir, 'self-healing') },
    })
    const finished: HealingRecord[] = []
    engine.on('healing-finished', (r) => finished.push(r))
    await engine.start()
    const byId = Object.fromEntries((await store.healing.healings()).map((r) => [r.id, r]))
    expect(byId.h1).toMatchObject({
      outcome: 'interrupted',
      reason: 'the agent stopped before this healing ended',
    })
    expect(byId.h2?.outcome).toBe('running')
    expect(byId.h3?.outcome).toBe('succeeded')
    expect(finished.map((r) => r.id)).toEqual(['h1'])
  })

  it('should wait again on an approval that was pending at the restart and act once it is approved', async () => {
    const config = { strategies: { rollback: { enabled: true } } }
    const first = engineWith({
      config,
      services: { api: { rollback: { source: 'image', image: 'api:1' } } },
    })
    const waiting = first.engine.heal('deployment-failure', 'api')
    await clock.advance(0)
    await first.engine.close()
    expect((await waiting).outcome).toBe('interrupted')
    const [approval] = await first.store.approvals.approvals()
    // the next agent over the same store
    const second = createHealingEngine({
      clock,
      probe,
      audit: first.store.healing,
      approvals: first.store.approvals,
      executors: { api: recordingExecutor('api', calls) },
      services: { api: { rollback: { source: 'image', image: 'api:1' } } },
      config: { ...config, logsDir: join(dir, 'self-healing') },
    })
    const resumed = new Promise<HealingRecord>((r) =>
      second.on('healing-finished', (h) => h.outcome !== 'interrupted' && r(h)),
    )
    await second.start()
    await settle(new Promise((r) => setTimeout(r, 5)))
    expect(await first.store.approvals.approvals()).toHaveLength(1)
    await second.decideApproval(approval!.id, { status: 'approved', at: clock.now(), by: 'ops' })
    const record = await settle(resumed)
    expect(record.strategy).toBe('rollback')
    expect(calls.some((c) => c.action === 'rollback')).toBe(true)
    await second.close()
  })
})

describe('HealingEngine.updateServices', () => {
  const forever = [process.execPath, '-e', 'setInterval(() => {}, 1000)']
  const local = (extra: string[] = []) => ({
    executor: { type: 'local' as const, command: [...forever, ...extra], logs: { dir } },
  })
  const alive = (pid: number | undefined) => {
    try {
      return pid !== undefined && process.kill(pid, 0)
    } catch {
      return false
    }
  }

  it('should keep unchanged services, stop removed ones, restart changed ones and start new ones', async () => {
    const engine = createHealingEngine({
      config: { logsDir: join(dir, 'self-healing') },
      services: { keep: local(), drop: local(), change: local(['old']) },
    })
    try {
      await engine.start()
      const pid = (s: string) => (engine.executor(s) as LocalSupervisor | undefined)?.pid
      const before = { keep: pid('keep'), drop: pid('drop'), change: pid('change') }
      const kept = engine.executor('keep')
      const result = await engine.updateServices({ keep: local(), change: local(['new']), add: local() })
      expect(result).toEqual({ added: ['add'], removed: ['drop'], changed: ['change'], kept: ['keep'] })
      expect(engine.executor('keep')).toBe(kept)
      expect(pid('keep')).toBe(before.keep)
      expect(engine.executor('drop')).toBeUndefined()
      expect(alive(before.drop)).toBe(false)
      expect(alive(before.change)).toBe(false)
      expect(pid('change')).toBeGreaterThan(0)
      expect(pid('add')).toBeGreaterThan(0)
      await expect(
        engine.updateServices({ bad: { executor: { type: 'teleport' } } as never }),
      ).rejects.toThrow(/services\.bad/)
      expect(engine.executor('add')).toBeDefined()
    } finally {
      await engine.close({ keepProcesses: false })
    }
  })
})

describe('HealingEngine holds (a maintenance window)', () => {
  const forever = [process.execPath, '-e', 'setInterval(() => {}, 1000)']

  it('should not restart an exited process while its service is held, and restart it again once it is not', async () => {
    let held = true
    const engine = createHealingEngine({
      config: { logsDir: join(dir, 'self-healing'), restartCooldown: 0 },
      services: { w: { executor: { type: 'local', command: forever, logs: { dir } } } },
      holds: (service) => service === 'w' && held,
    })
    const started: string[] = []
    engine.on('healing-started', (r) => started.push(r.trigger))
    const pid = () => (engine.executor('w') as LocalSupervisor).pid
    const exited = () => new Promise<void>((r) => engine.on('process-exit', () => r()))
    try {
      await engine.start()
      const first = pid()!
      let exit = exited()
      process.kill(first, 'SIGKILL')
      await exit
      // the restart would have started in this turn or the next: give it a few
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
      expect(started).toEqual([])
      expect(pid()).toBeUndefined()
      // What the host asks still runs: the people in the window may start it themselves.
      const healed = await engine.heal('service-down', 'w', { reason: 'started by hand' })
      expect(healed.outcome).toBe('succeeded')
      const second = pid()!
      expect(second).toBeGreaterThan(0)
      held = false
      exit = exited()
      const restarted = new Promise<HealingRecord>((r) =>
        engine.on('healing-finished', (h) => h.trigger === 'process-exit' && r(h)),
      )
      process.kill(second, 'SIGKILL')
      await exit
      expect((await restarted).outcome).toBe('succeeded')
      expect(pid()).toBeGreaterThan(0)
      expect(pid()).not.toBe(second)
    } finally {
      await engine.close({ keepProcesses: false })
    }
  }, 30_000)
})
