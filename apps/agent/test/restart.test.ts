import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { HealingRecord } from '@noa/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { killAll, noa, readRunInfo, run, writeConfig } from './cli.ts'
import { freePort, type HookServer, startHookServer, until } from './helpers.ts'

const fixture = resolve(import.meta.dirname, 'fixtures', 'service.mjs')
const TOKEN = 'restart-token'

/** Pids of the processes running the test service on `port`. */
function copies(port: number): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
      if (argv.includes(fixture) && argv.includes(String(port)) && state !== 'Z') pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

/** True while `pid` is a process that has not exited (a zombie left to an init that does not reap counts as exited). */
function running(pid: number | undefined): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return false
  }
}

/** What the webhook receiver got, as `status:alertname/service` per alert. */
const received = (hooks: HookServer) =>
  hooks.notifications.flatMap((body) =>
    (JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> }).alerts.map(
      (a) => `${a.status}:${a.labels.alertname}/${a.labels.service}`,
    ),
  )

describe('the agent across its own crash and restart (a real agent process, SQLite, a webhook receiver)', () => {
  let hooks: HookServer
  const dirs: string[] = []
  let dir = ''
  let port = 0

  beforeAll(async () => {
    hooks = await startHookServer({})
  })
  afterEach(async () => {
    killAll(dirs)
    await run(['stop', '--timeout', '2000'], dir)
    for (const pid of copies(port)) process.kill(pid, 'SIGKILL')
  })
  afterAll(async () => {
    await hooks.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  /** A fresh folder with a config: `api`, supervised, and `ext`, whose health the test sets. */
  async function setup(): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'noa-restart-'))
    dirs.push(dir)
    port = await freePort()
    hooks.notifications.length = 0
    hooks.health.ext = 200
    writeConfig(dir, {
      healthChecks: { interval: 300, timeout: 300, retries: 0 },
      metrics: { enabled: false },
      dashboard: { port: 0, refreshInterval: 200 },
      selfHealing: {
        restartCooldown: 0,
        strategies: { serviceRestart: { cooldown: 0, stopWait: 100, startWait: 1000 } },
      },
      alerting: {
        groupWait: 0,
        channels: { hook: { type: 'webhook', url: '$' + '{HOOK}' } },
        // The seed's rule without its 1-minute cooldown, so two outages fit in one test.
        rules: [
          {
            name: 'service-down',
            condition: 'health_check_failed && critical',
            severity: 'critical',
            actions: ['notify', { type: 'heal', trigger: 'service-down' }],
          },
        ],
      },
      services: [
        {
          name: 'api',
          critical: true,
          check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
          executor: {
            type: 'local',
            command: [process.execPath, fixture, String(port)],
            shutdownTimeoutMs: 1000,
          },
        },
        { name: 'ext', critical: true, check: { type: 'http', url: `${hooks.base}/health/ext` } },
      ],
    })
  }

  /** Starts an agent and waits until it answers with every service checked. */
  async function start() {
    const agent = noa(['start'], dir, { HOOK: `${hooks.base}/hook`, NOA_API_TOKEN: TOKEN })
    const info = await until(
      () => {
        const i = readRunInfo(dir)
        return i?.pid === agent.pid && i
      },
      30_000,
      'the agent to start',
    )
    const api = async <T>(path: string, init?: RequestInit): Promise<T> =>
      (await (await fetch(`http://127.0.0.1:${info.port}${path}`, init)).json()) as T
    const state = async (service: string) =>
      (await api<{ services: Array<{ name: string; state: string }> }>('/api/status')).services.find(
        (s) => s.name === service,
      )?.state
    await until(
      async () => (await state('api')) !== 'unknown' && (await state('ext')) !== 'unknown',
      20_000,
      'first checks',
    )
    const healings = async () =>
      (await api<{ healings: HealingRecord[] }>('/api/healing?service=api&limit=100')).healings
    /** Whether this agent marked `count` deliveries to `channel` sent (its own count, since it started). */
    const sent = async (channel: string, count: number) =>
      (await (await fetch(`http://127.0.0.1:${info.port}/metrics`)).text()).includes(
        `noa_notifications_total{channel="${channel}",status="sent"} ${count}`,
      )
    return { agent, info, api, state, healings, sent }
  }

  async function crash(agent: ReturnType<typeof noa>, signal: NodeJS.Signals) {
    process.kill(agent.pid!, signal)
    await agent.done
  }

  /** Lets several check intervals pass, for something that must not happen. */
  const quiet = () => new Promise((r) => setTimeout(r, 1500))

  it('should leave its services running when it dies or stops, adopt them at the next start, and stop them with noa stop', async () => {
    await setup()
    const first = await start()
    await until(async () => (await first.state('api')) === 'healthy', 20_000, 'api healthy')
    const pid = await until(() => copies(port)[0], 20_000, 'a running copy of api')
    expect(pid).toBeGreaterThan(0)

    await crash(first.agent, 'SIGKILL')
    expect(copies(port)).toEqual([pid])
    const second = await start()
    await quiet()
    await crash(second.agent, 'SIGTERM')
    expect(copies(port)).toEqual([pid])
    const again = await start()
    await until(async () => (await again.state('api')) === 'healthy', 20_000, 'api healthy after adoption')
    await quiet()
    expect(copies(port)).toEqual([pid])
    expect(await again.healings()).toEqual([])
    expect(received(hooks)).toEqual([])

    const stopped = await run(['stop', '--timeout', '5000'], dir)
    expect(stopped.stdout).toContain('service api: stopped')
    expect(copies(port)).toEqual([])
    expect(running(pid)).toBe(false)
  })

  it('should send nothing new for an outage across a restart, and resolve it once, also when it ended while the agent was down', async () => {
    await setup()
    let agent = await start()
    hooks.health.ext = 503
    await until(() => received(hooks).includes('firing:service-down/ext'), 15_000, 'the firing notification')
    // Delivery is at least once: a kill in the instant between the receiver's answer and the
    // agent marking it sent resends it (with the same idempotency key). Past that, never.
    await until(() => agent.sent('hook', 1), 5_000, 'the delivery marked sent')
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      await crash(agent.agent, signal)
      agent = await start()
      await quiet()
    }
    expect(received(hooks), received(hooks).join(', ')).toEqual(['firing:service-down/ext'])
    hooks.health.ext = 200
    await until(
      () => received(hooks).includes('resolved:service-down/ext'),
      15_000,
      'the resolved notification',
    )

    // A second outage that ends while the agent is down.
    hooks.health.ext = 503
    await until(
      () => received(hooks).filter((a) => a.startsWith('firing')).length === 2,
      15_000,
      'firing again',
    )
    // This agent sent the resolved and this firing.
    await until(() => agent.sent('hook', 2), 5_000, 'the delivery marked sent')
    await crash(agent.agent, 'SIGKILL')
    hooks.health.ext = 200
    agent = await start()
    await until(
      () => received(hooks).filter((a) => a.startsWith('resolved')).length === 2,
      15_000,
      'resolved again',
    )
    await quiet()
    expect(received(hooks)).toEqual([
      'firing:service-down/ext',
      'resolved:service-down/ext',
      'firing:service-down/ext',
      'resolved:service-down/ext',
    ])
  })

  it('should keep a 24 h silence across a crash', async () => {
    await setup()
    const first = await start()
    const res = await fetch(`http://127.0.0.1:${first.info.port}/api/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'service', value: 'ext' }],
        endsAt: Date.now() + 24 * 3_600_000,
        comment: 'maintenance of ext',
      }),
    })
    expect(res.status).toBe(201)
    hooks.health.ext = 503
    await until(
      async () => (await first.state('ext')) === 'error' || (await first.state('ext')) === 'unhealthy',
      15_000,
      'ext down',
    )
    await quiet()
    await crash(first.agent, 'SIGKILL')
    const second = await start()
    const alerts = await second.api<{ silences: Array<{ comment: string }> }>('/api/alerts')
    expect(alerts.silences.map((s) => s.comment)).toEqual(['maintenance of ext'])
    await quiet()
    expect(received(hooks)).toEqual([])
  })

  it('should close a healing cut short by SIGKILL as interrupted and heal the service once more', async () => {
    await setup()
    const first = await start()
    await until(async () => (await first.state('api')) === 'healthy', 20_000, 'api healthy')
    // On a busy machine a slow first check can have the service restarted: healthy as last
    // seen while its next copy is still starting. Wait for the copy to stop.
    const hung = await until(() => copies(port)[0], 20_000, 'a running copy of api')
    process.kill(hung, 'SIGSTOP')
    await until(
      async () => (await first.healings()).some((r) => r.outcome === 'running'),
      15_000,
      'a healing of the hung service to start',
    )
    await crash(first.agent, 'SIGKILL')
    const second = await start()
    await until(async () => (await second.state('api')) === 'healthy', 30_000, 'api healthy again')
    await until(
      async () => (await second.healings()).some((r) => r.outcome === 'succeeded'),
      15_000,
      'the new healing to end',
    )
    const records = await second.healings()
    expect(records.filter((r) => r.outcome === 'interrupted')).toHaveLength(1)
    expect(records.filter((r) => r.outcome === 'running')).toEqual([])
    expect(running(hung)).toBe(false)
    expect(copies(port)).toHaveLength(1)
  })
})
