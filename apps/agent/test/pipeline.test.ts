import { rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { HealingRecord } from '@noa/core'
import type { LocalSupervisor } from '@noa/healing'
import { afterEach, describe, expect, it } from 'vitest'
import type { StatusBody } from '../src/http/api-types.ts'
import { freePort, type HookServer, startAgent, startHookServer, type TestAgent, until } from './helpers.ts'

const fixture = resolve(import.meta.dirname, 'fixtures', 'service.mjs')

/** What the webhook receiver got, as `status:alertname/service` per alert. */
function received(hooks: HookServer): string[] {
  return hooks.notifications.flatMap((body) =>
    (JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> }).alerts.map(
      (a) => `${a.status}:${a.labels.alertname}/${a.labels.service}`,
    ),
  )
}

interface Fleet {
  t: TestAgent
  hooks: HookServer
  ports: Record<string, number>
  fault: string
  pid(service: string): number | undefined
  healings(service: string): Promise<HealingRecord[]>
  status(): Promise<StatusBody>
}

let running: Fleet | undefined
afterEach(async () => {
  await running?.t.close()
  await running?.hooks.close()
  running = undefined
})

/** A real agent supervising real services, alerting to a real webhook receiver. */
async function fleet(
  services: Array<{ name: string; critical?: boolean; dependsOn?: string; crashable?: boolean }>,
  selfHealing: Record<string, unknown> = {},
): Promise<Fleet> {
  const hooks = await startHookServer({})
  const ports: Record<string, number> = {}
  for (const s of services) ports[s.name] = await freePort()
  const t = await startAgent(
    {
      // Short enough to see an incident within seconds, long enough for a busy 2-core machine.
      healthChecks: { interval: 500, timeout: 500, retries: 0 },
      metrics: { enabled: false },
      dashboard: { refreshInterval: 200 },
      selfHealing: {
        restartCooldown: 0,
        strategies: { serviceRestart: { cooldown: 0, stopWait: 100, startWait: 1000 } },
        ...selfHealing,
      },
      alerting: { groupWait: 0, channels: { hook: { type: 'webhook', url: '$' + '{HOOK}' } } },
      services: services.map((s) => ({
        name: s.name,
        critical: s.critical ?? true,
        check: { type: 'http', url: `http://127.0.0.1:${ports[s.name]}/health` },
        ...(s.dependsOn ? { dependsOn: [s.dependsOn] } : {}),
        executor: {
          type: 'local',
          command: [
            process.execPath,
            fixture,
            String(ports[s.name]),
            ...(s.crashable ? ['--fault', 'fault'] : []),
            ...(s.dependsOn ? ['--dep', `http://127.0.0.1:${ports[s.dependsOn]}/health`] : []),
          ],
          shutdownTimeoutMs: 1000,
        },
      })),
    },
    { env: { HOOK: `${hooks.base}/hook` }, start: false },
  )
  const f: Fleet = {
    t,
    hooks,
    ports,
    fault: join(t.dir, 'fault'),
    pid: (service) => (t.agent.healing.executor(service) as LocalSupervisor).pid,
    healings: async (service) => (await t.agent.api.healings({ limit: 100, service })).healings,
    status: async () => (await fetch(`${t.url}/api/status`)).json() as Promise<StatusBody>,
  }
  running = f
  await t.agent.start()
  return f
}

const state = async (f: Fleet, service: string) => (await f.status()).services.find((s) => s.name === service)

/** Waits until no healing of `service` is still running, so its record is final. */
const healingsEnded = (f: Fleet, service: string) =>
  until(
    async () => (await f.healings(service)).every((r) => r.outcome !== 'running'),
    15_000,
    `the healings of ${service} to end`,
  )

describe('the incident pipeline, with a real agent and real services', () => {
  it('should give a killed service exactly one healing: its supervisor restarts it', async () => {
    const f = await fleet([{ name: 'api' }])
    await until(async () => (await state(f, 'api'))?.state === 'healthy', 20_000, 'api healthy')
    const first = f.pid('api')!
    process.kill(first, 'SIGKILL')
    await until(() => f.pid('api') !== undefined && f.pid('api') !== first, 10_000, 'a new api process')
    await until(async () => (await state(f, 'api'))?.state === 'healthy', 10_000, 'api healthy again')
    // Longer than the exit settle time and a few check intervals: nothing else may start.
    await new Promise((r) => setTimeout(r, 1500))
    const records = await f.healings('api')
    expect(records.map((r) => [r.trigger, r.strategy, r.outcome])).toEqual([
      ['process-exit', 'process-restart', 'succeeded'],
    ])
    expect(received(f.hooks)).toEqual(['firing:service-down/api', 'resolved:service-down/api'])
  })

  it('should open the circuit of a crash loop, notify once, retry with backoff and close it once the fault clears', async () => {
    const f = await fleet([{ name: 'api', crashable: true }], {
      maxRestarts: 3,
      circuitBreaker: { retryInitial: 400, coolOff: 1600, stablePeriod: 1000 },
      strategies: {
        gracefulDegradation: { enabled: false },
        serviceRestart: { cooldown: 0, stopWait: 100, startWait: 1000 },
      },
    })
    await until(async () => (await state(f, 'api'))?.state === 'healthy', 20_000, 'api healthy')
    writeFileSync(f.fault, 'crash')
    process.kill(f.pid('api')!, 'SIGKILL')
    await until(async () => (await state(f, 'api'))?.circuit === 'open', 20_000, 'the circuit to open')
    expect(await state(f, 'api')).toMatchObject({ degraded: true, nextRetryAt: expect.any(Number) })
    await until(
      () => received(f.hooks).includes('firing:service-degraded/api'),
      10_000,
      'the service-degraded notification',
    )
    // Retries keep coming while the fault lasts: never down for good.
    const restartsAfterSpent = async () => {
      const records = (await f.healings('api')).reverse()
      const spent = records.findIndex((r) => r.skip === 'budget-spent')
      return records
        .slice(spent + 1)
        .filter((r) => r.strategy === 'process-restart' && r.outcome === 'succeeded')
    }
    await until(
      async () => (await restartsAfterSpent()).length >= 2,
      20_000,
      'two retries of the open circuit',
    )
    rmSync(f.fault)
    await until(async () => (await state(f, 'api'))?.state === 'healthy', 20_000, 'api back after the fault')
    await until(async () => (await state(f, 'api'))?.circuit === 'closed', 10_000, 'the circuit to close')
    await until(
      () => received(f.hooks).includes('resolved:service-degraded/api'),
      10_000,
      'service-degraded resolved',
    )
    const sent = received(f.hooks)
    expect(sent.filter((a) => a === 'firing:service-degraded/api')).toHaveLength(1)
    const records = await f.healings('api')
    expect(records.filter((r) => r.skip === 'budget-spent')).toHaveLength(1)
  })

  it('should warn about a hung non-critical service and restart it', async () => {
    const f = await fleet([{ name: 'docs', critical: false }])
    await until(async () => (await state(f, 'docs'))?.state === 'healthy', 20_000, 'docs healthy')
    const hung = f.pid('docs')!
    process.kill(hung, 'SIGSTOP')
    try {
      await until(
        () => received(f.hooks).includes('firing:service-unhealthy/docs'),
        15_000,
        'the service-unhealthy warning',
      )
      await until(() => f.pid('docs') !== undefined && f.pid('docs') !== hung, 15_000, 'a new docs process')
      await until(async () => (await state(f, 'docs'))?.state === 'healthy', 15_000, 'docs healthy again')
    } finally {
      try {
        process.kill(hung, 'SIGKILL')
      } catch {
        // already gone: the restart killed it
      }
    }
    await healingsEnded(f, 'docs')
    const notification = JSON.parse(f.hooks.notifications[0]!) as { alerts: Array<{ labels: object }> }
    expect(notification.alerts[0]?.labels).toEqual({
      alertname: 'service-unhealthy',
      severity: 'warning',
      service: 'docs',
    })
    const records = await f.healings('docs')
    expect(records.map((r) => [r.trigger, r.strategy, r.outcome])).toEqual([
      ['service-down', 'service-restart', 'succeeded'],
    ])
  })

  it('should restart a hung dependency and not the service that depends on it', async () => {
    const f = await fleet([{ name: 'db' }, { name: 'api', dependsOn: 'db' }])
    await until(async () => (await f.status()).health === 'healthy', 20_000, 'the fleet healthy')
    const api = f.pid('api')
    const db = f.pid('db')!
    process.kill(db, 'SIGSTOP')
    try {
      await until(() => f.pid('db') !== undefined && f.pid('db') !== db, 15_000, 'a new db process')
      await until(async () => (await f.status()).health === 'healthy', 15_000, 'the fleet healthy again')
    } finally {
      try {
        process.kill(db, 'SIGKILL')
      } catch {
        // already gone: the restart killed it
      }
    }
    await healingsEnded(f, 'db')
    expect(f.pid('api')).toBe(api)
    const dbRecords = await f.healings('db')
    expect(dbRecords.map((r) => [r.strategy, r.outcome])).toEqual([['service-restart', 'succeeded']])
    const apiActions = (await f.healings('api')).filter((r) => r.outcome !== 'skipped')
    expect(apiActions).toEqual([])
    const sent = received(f.hooks)
    expect(sent, sent.join(', ')).not.toContain('firing:service-down/api')
    expect(sent).toContain('firing:dependency-down/api')
  })
})
