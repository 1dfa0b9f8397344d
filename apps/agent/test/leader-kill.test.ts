import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DrillCluster, startDrillCluster } from '../bench/drill-cluster.ts'
import { main } from '../src/cli.ts'
import { type ClusterAgent, clusterAgent } from '../src/drill/cluster-agents.ts'
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
      // the killed agent comes back after its lease ran out: what follows is the survivors'
      restartDelay: 3000,
      // the drill's own agent checks 5 times as often and calls a failed check down at once: it
      // sees the crash first and takes the lease, so the drill must follow the incident through
      // another agent. The others retry a failed check once (about 1 s later), a margin that
      // holds on a loaded machine, and still see the service down while the holder heals it.
      perAgent: (i) => ({
        healthChecks:
          i === 0
            ? { interval: 200, timeout: 500, retries: 0 }
            : { interval: 1000, timeout: 500, retries: 1 },
      }),
      config: {
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

  it('should kill the healing lease holder once it restarted the service, see no second action from the survivors, and bring the killed agent back', async () => {
    const first = clusterAgent(dirs[0]!) as ClusterAgent
    const out: string[] = []
    const err: string[] = []
    const code = await main(
      [
        'drill',
        'leader-kill',
        '--peer',
        dirs[1]!,
        '--peer',
        dirs[2]!,
        '--rounds',
        '2',
        '--json',
        '--timeout',
        '30000',
      ],
      {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        env: { ...process.env, ...cluster!.env },
        cwd: dirs[0]!,
      },
    )
    const results = JSON.parse(out.join('\n') || '[]') as DrillResult[]
    expect(results, err.join('\n')).toHaveLength(2)
    for (const result of results) {
      expect(result.outcome, `${result.detail}\n${err.join('\n')}`).toBe('healed')
      expect(result.detail).toMatch(/^killed agent \S+ \(pid \d+\), holder of healing:api/)
      expect(result.doubleActions).toBe(0)
      // the killed holder's restart, its verification cut by the kill; no survivor acted again
      expect(result.actions).toEqual(['api: service-restart (service-down) interrupted'])
    }
    expect(code).toBe(0)
    // round 1 killed the agent the drill runs against: it followed the incident through another
    expect(results[0]!.detail).toContain(`killed agent ${first.agentId} (pid ${first.pid})`)
    // the service host's own count: api restarted once a drill, in round 1 by the killed agent
    const restarts = cluster!.host.restarts.get('api')!
    expect(restarts).toHaveLength(2)
    expect(restarts[0]).toBe('agent-1')

    // the killed agents are back: a new pid in each folder, under the same watchdog
    for (const result of results) expect(alive(Number(/\(pid (\d+)\)/.exec(result.detail!)![1]))).toBe(false)
    const back = dirs.map(clusterAgent).filter((a) => typeof a !== 'string')
    expect(back).toHaveLength(3)
    expect(back.map((a) => a.watchdog)).toEqual(pids.filter((_, i) => i % 2 === 1))
    for (const a of back) pids.push(a.pid)
  }, 90_000)

  it('should leave no agent, watchdog or service running once stopped', async () => {
    const servicePid = cluster!.host.pid('api')
    await cluster!.stop()
    cluster = undefined
    for (const pid of [...pids, servicePid!]) expect(alive(pid), `pid ${pid}`).toBe(false)
  }, 30_000)
})
