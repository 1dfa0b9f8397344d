import { resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AgentClient } from '../src/drill/agent-client.ts'
import { FAULT_DRIVERS } from '../src/drill/drivers.ts'
import type { FaultContext } from '../src/drill/fault.ts'
import { Restorer } from '../src/drill/restore.ts'
import { type DrillProgress, runDrills } from '../src/drill/runner.ts'
import { freePort, startAgent, type TestAgent, until } from './helpers.ts'

const fixture = resolve(import.meta.dirname, 'fixtures', 'service.mjs')

let agent: TestAgent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/** A real agent supervising `db` and `web` (which needs db), with a drill context on its API. */
async function fleet(): Promise<FaultContext> {
  const ports = { db: await freePort(), web: await freePort() }
  const service = (name: 'db' | 'web', dep?: 'db') => ({
    name,
    drill: true,
    check: { type: 'http', url: `http://127.0.0.1:${ports[name]}/health` },
    ...(dep ? { dependsOn: [dep] } : {}),
    // a crash loop of the drill (6 changes) flaps; drills a few seconds apart do not
    flapping: { windowMs: 8000, limit: 5 },
    executor: {
      type: 'local',
      command: [
        process.execPath,
        fixture,
        String(ports[name]),
        ...(dep ? ['--dep', `http://127.0.0.1:${ports[dep]}/health`] : []),
      ],
      shutdownTimeoutMs: 1000,
    },
  })
  agent = await startAgent({
    healthChecks: { interval: 500, timeout: 500, retries: 0 },
    metrics: { enabled: false },
    selfHealing: {
      restartCooldown: 0,
      strategies: { serviceRestart: { cooldown: 0, stopWait: 100, startWait: 1000 } },
    },
    alerting: { groupWait: 0, channels: {} },
    services: [service('db'), service('web', 'db')],
  })
  const api = new AgentClient(agent.url)
  await until(
    async () => (await api.state('db')) === 'healthy' && (await api.state('web')) === 'healthy',
    20_000,
    'db and web healthy',
  )
  return { config: agent.agent.config, configFile: '', baseDir: agent.dir, api, restorer: new Restorer() }
}

describe('runDrills, against a real agent and real services', () => {
  it('should measure a crash, a hang, a dependency down and a crash loop: one action per fault, none for the dependent', async () => {
    const ctx = await fleet()
    const phases: string[] = []
    const results = await runDrills({
      items: [
        { fault: 'crash', service: 'db', round: 0 },
        { fault: 'hang', service: 'web', round: 0 },
        { fault: 'dependency-down', service: 'web', round: 0 },
        { fault: 'flapping', service: 'web', round: 0 },
      ],
      ctx,
      drivers: FAULT_DRIVERS,
      signal: new AbortController().signal,
      settleMs: 500,
      // a drill that hangs fails here with its results, not by the test's time limit
      timeoutMs: 15_000,
      progress: (p: DrillProgress) => {
        const line = `${p.index}:${p.phase}`
        if (phases.at(-1) !== line) phases.push(line)
      },
    })
    const why = JSON.stringify(results, null, 2)
    expect(
      results.map((r) => [r.fault, r.service, r.outcome, r.actions.length, r.doubleActions, r.falseAlerts]),
      why,
    ).toEqual([
      ['crash', 'db', 'healed', 1, 0, 0],
      ['hang', 'web', 'healed', 1, 0, 0],
      ['dependency-down', 'web', 'healed', 1, 0, 0],
      ['flapping', 'web', 'healed', 3, 0, 0],
    ])
    for (const r of results) expect(r.detectMs, why).not.toBeNull()
    // dependency first: db, which was stopped, is restarted; web, which needs it, is not
    expect(results[2]!.actions[0], why).toMatch(/^db: /)
    expect(phases.slice(0, 3)).toEqual(['0:waiting for healthy', '0:injected', '0:restoring'])
    expect(ctx.restorer.pending).toEqual([])
  })

  it('should stop at an abort with the drill in progress measured and its fault undone', async () => {
    const ctx = await fleet()
    const abort = new AbortController()
    const results = await runDrills({
      items: [
        { fault: 'hang', service: 'db', round: 0 },
        { fault: 'crash', service: 'db', round: 0 },
      ],
      ctx,
      drivers: FAULT_DRIVERS,
      signal: abort.signal,
      progress: (p) => {
        if (p.phase === 'injected') abort.abort()
      },
    })
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ fault: 'hang', outcome: 'failed' })
    expect(results[0]!.detail).toMatch(/interrupted/)
    expect(ctx.restorer.pending).toEqual([])
    // SIGCONT: the stopped db answers again without noa restarting it
    const check = ctx.config.services[0]!.check as { url: string }
    await until(async () => (await fetch(check.url)).ok, 10_000, 'db answering')
  })
})
