import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DrillCluster, startDrillCluster } from '../bench/drill-cluster.ts'
import { main } from '../src/cli.ts'
import { clusterAgent } from '../src/drill/cluster-agents.ts'
import type { DrillResult } from '../src/drill/types.ts'
import { alive, nodeArgs } from './cli.ts'
import { freePort } from './helpers.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url) console.warn('NOA_TEST_POSTGRES_URL is not set: the leader-kill drill test is skipped')

const fixture = resolve(import.meta.dirname, 'fixtures', 'service.mjs')

describe.skipIf(!url)('the leader-kill drill (three agent processes on PostgreSQL)', () => {
  const schema = `noa_leader_kill_${process.pid}_${Date.now().toString(36)}`
  const dirs: string[] = []
  let cluster: DrillCluster | undefined
  const pids: number[] = []

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) dirs.push(mkdtempSync(join(tmpdir(), 'noa-leader-kill-')))
    const port = await freePort()
    cluster = await startDrillCluster({
      dirs,
      noa: [process.execPath, ...nodeArgs],
      postgresUrl: url!,
      schema,
      token: 'leader-kill-test',
      leaseTtl: 2000,
      // the killed agent comes back after the survivors took over: the handover is theirs
      restartDelay: 3000,
      config: {
        healthChecks: { interval: 300, timeout: 500, retries: 0 },
        selfHealing: {
          restartCooldown: 0,
          strategies: { serviceRestart: { cooldown: 0, stopWait: 0, startWait: 200 } },
        },
        metrics: { enabled: false },
        alerting: { channels: {} },
        services: [
          {
            name: 'api',
            drill: true,
            check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
            executor: { command: [process.execPath, fixture, String(port)] },
          },
        ],
      },
    })
    for (const dir of dirs) {
      const agent = clusterAgent(dir)
      if (typeof agent !== 'string') pids.push(agent.pid, agent.watchdog!)
    }
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }, 30_000)

  it('should kill the healing lease holder mid-incident, heal once through a survivor and bring the killed agent back', async () => {
    const ids = dirs.map((dir) => (clusterAgent(dir) as { agentId: string }).agentId)
    const out: string[] = []
    const err: string[] = []
    const code = await main(
      ['drill', 'leader-kill', '--peer', dirs[1]!, '--peer', dirs[2]!, '--json', '--timeout', '30000'],
      {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        env: { ...process.env, ...cluster!.env },
        cwd: dirs[0]!,
      },
    )
    const [result] = JSON.parse(out.join('\n') || '[]') as DrillResult[]
    expect(result, err.join('\n')).toBeDefined()
    expect(result!.outcome, `${result!.detail}\n${err.join('\n')}`).toBe('healed')
    expect(code).toBe(0)
    expect(result!.detail).toMatch(/^killed agent \S+ \(pid \d+\), holder of healing:api/)
    expect(result!.doubleActions).toBe(0)
    // the survivor's restart: the killed holder's healing, cut before it acted, is no action
    expect(result!.actions).toEqual(['api: service-restart (service-down) succeeded'])
    // the service host restarted api once, at the request of a survivor
    const killedId = /^killed agent (\S+)/.exec(result!.detail!)![1]!
    expect(ids).toContain(killedId)
    const survivors = ids.flatMap((id, i) => (id === killedId ? [] : [`agent-${i + 1}`]))
    expect(cluster!.host.restarts.get('api')).toHaveLength(1)
    expect(survivors).toContain(cluster!.host.restarts.get('api')![0])

    // the killed agent is back: a new pid in its folder, under the same watchdog
    const killedPid = Number(/\(pid (\d+)\)/.exec(result!.detail!)![1])
    expect(alive(killedPid)).toBe(false)
    const back = dirs.map(clusterAgent).filter((a) => typeof a !== 'string')
    expect(back).toHaveLength(3)
    expect(back.map((a) => a.watchdog)).toEqual(pids.filter((_, i) => i % 2 === 1))
    for (const a of back) pids.push(a.pid)
  }, 60_000)

  it('should leave no agent, watchdog or service running once stopped', async () => {
    const servicePid = cluster!.host.pid('api')
    await cluster!.stop()
    cluster = undefined
    for (const pid of [...pids, servicePid!]) expect(alive(pid), `pid ${pid}`).toBe(false)
  }, 30_000)
})
