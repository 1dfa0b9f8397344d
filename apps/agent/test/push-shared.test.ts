import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ownerOf } from '../src/cluster/ownership.ts'
import { killAll, noa, readRunInfo, writeConfig } from './cli.ts'
import { dropSchema, until } from './helpers.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url) console.warn('NOA_TEST_POSTGRES_URL is not set: the shared push beats test is skipped')

const TOKEN = 'nightly-backup-0123456789abcdef'
const AGENTS = ['agent-a', 'agent-b']

interface ServiceBody {
  service: { state: string; lastResult?: { message?: string } }
}

describe.skipIf(!url)('push beats shared through the store (real agent processes, PostgreSQL)', () => {
  const schema = `noa_push_shared_${process.pid}_${Date.now().toString(36)}`
  const dirs: string[] = []
  afterAll(async () => {
    killAll(dirs)
    await dropSchema(url!, schema)
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  async function start(agentId: string) {
    const dir = mkdtempSync(join(tmpdir(), 'noa-push-'))
    dirs.push(dir)
    writeConfig(dir, {
      healthChecks: { interval: 500, timeout: 1000, retries: 0 },
      metrics: { enabled: false },
      dashboard: { port: 0 },
      selfHealing: { enabled: false, leaseTtl: 3000 },
      cluster: { shareChecks: true, memberTtl: 3000 },
      alerting: { channels: {} },
      store: { type: 'postgres', connectionString: '$' + '{PG}', schema },
      // A nightly job: a beat a day, so only what the beats say can turn it down within the test.
      services: [{ name: 'backup', check: { type: 'push', token: '$' + '{TOKEN}', period: 86_400_000 } }],
    })
    const agent = noa(['start'], dir, { PG: url!, TOKEN, NOA_AGENT_ID: agentId })
    const info = await until(
      () => {
        const i = readRunInfo(dir)
        return i?.pid === agent.pid && i
      },
      30_000,
      `${agentId} to start`,
    )
    const base = `http://127.0.0.1:${info.port}`
    const backup = async () =>
      ((await (await fetch(`${base}/api/services/backup`)).json()) as ServiceBody).service
    return { agentId, agent, base, backup }
  }

  it('should judge a beat by the agent that checks the service, whichever agent the job reached, and after a restart', async () => {
    const agents = await Promise.all(AGENTS.map(start))
    await until(
      async () => {
        const health = await Promise.all(
          agents.map(
            async (a) =>
              (await (await fetch(`${a.base}/api/health`)).json()) as { cluster?: { members: number } },
          ),
        )
        return health.every((h) => h.cluster?.members === 2)
      },
      20_000,
      'both agents to see each other',
    )
    const owner = agents.find((a) => a.agentId === ownerOf('backup', AGENTS))!
    const other = agents.find((a) => a !== owner)!
    await until(
      async () => (await owner.backup()).state === 'healthy',
      10_000,
      'backup healthy before any beat',
    )

    // The job reaches the agent that does not check it.
    const answer = await fetch(`${other.base}/api/push/${TOKEN}?status=down&msg=tar%20exited%202`)
    expect(await answer.json()).toEqual({ ok: true, service: 'backup' })
    await until(
      async () => (await owner.backup()).lastResult?.message === 'the last beat said down: tar exited 2',
      10_000,
      'the checking agent to see the down beat',
    )
    expect((await owner.backup()).state).toBe('unhealthy')

    // Both agents die; a new one finds the beat, instead of giving the job a new period.
    for (const a of agents) a.agent.kill('SIGKILL')
    await Promise.all(agents.map((a) => a.agent.done))
    const next = await start('agent-c')
    await until(
      async () => (await next.backup()).lastResult?.message === 'the last beat said down: tar exited 2',
      20_000,
      'the next agent to judge by the stored beat',
    )
    expect((await next.backup()).state).toBe('unhealthy')
    next.agent.kill('SIGTERM')
    expect((await next.agent.done).code).toBe(0)
  }, 90_000)
})
