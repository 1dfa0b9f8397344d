import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { killAll, noa, readRunInfo, run, writeConfig } from './cli.ts'
import { freePort, until } from './helpers.ts'

const demo = resolve(import.meta.dirname, '..', '..', 'demo', 'src', 'service.ts')
const tsx = fileURLToPath(import.meta.resolve('tsx'))
const TOKEN = 'incident-token'

/** Pids of processes whose command line contains `text`. */
function pidsOf(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number)
      .filter((p) => p > 0 && p !== process.pid)
  } catch {
    return []
  }
}

const dir = mkdtempSync(join(tmpdir(), 'noa-incident-'))
let marker = ''
afterAll(() => {
  killAll([dir])
  for (const pid of pidsOf(marker)) process.kill(pid, 'SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('an incident end to end', () => {
  it('should detect a killed demo service, write an alert, restart it and see it healthy, all in the API', async () => {
    const port = await freePort()
    marker = `noa-e2e-${port}`
    writeConfig(dir, {
      healthChecks: { interval: 200, timeout: 500, retries: 0 },
      metrics: { collectInterval: 500 },
      dashboard: { port: 0, refreshInterval: 200 },
      selfHealing: {
        restartCooldown: 0,
        strategies: { serviceRestart: { cooldown: 0, stopWait: 100, startWait: 300 } },
      },
      alerting: { groupWait: 0, channels: { file: { path: './logs/alerts' } } },
      services: [
        {
          name: 'neural-processing',
          check: { type: 'http', url: `http://127.0.0.1:${port}/v1/health` },
          metrics: `http://127.0.0.1:${port}/metrics`,
          executor: {
            type: 'local',
            command: [
              process.execPath,
              '--conditions=@noa/source',
              '--import',
              tsx,
              demo,
              '--name',
              marker,
              '--port',
              String(port),
              '--health',
              '/v1/health',
            ],
            shutdownTimeoutMs: 2000,
          },
        },
      ],
    })
    const agent = noa(['start'], dir, { NOA_API_TOKEN: TOKEN })
    const info = await until(() => readRunInfo(dir), 30_000, 'the agent to start')
    const api = async <T>(path: string): Promise<T> =>
      (await (await fetch(`http://127.0.0.1:${info.port}${path}`)).json()) as T
    type Service = {
      service: { state: string }
      changes: Array<{ from: string; to: string }>
      healings: Array<{ outcome: string; trigger: string; strategy: string }>
    }
    await until(
      async () => (await api<Service>('/api/services/neural-processing')).service.state === 'healthy',
      30_000,
      'the demo service to be healthy',
    )
    const [first] = pidsOf(marker)
    expect(first).toBeGreaterThan(0)
    const before = await api<Service>('/api/services/neural-processing')

    process.kill(first!, 'SIGKILL')

    const page = await until(
      async () => {
        const p = await api<Service>('/api/services/neural-processing')
        const recovered =
          p.service.state === 'healthy' &&
          p.changes.length >= before.changes.length + 2 &&
          p.healings.filter((h) => h.outcome === 'succeeded').length >
            before.healings.filter((h) => h.outcome === 'succeeded').length
        return recovered && p
      },
      30_000,
      'detection, healing and recovery',
    )
    // Newest first: back to healthy after the error the kill caused.
    expect(page.changes.slice(0, 2)).toMatchObject([
      { from: 'error', to: 'healthy' },
      { from: 'healthy', to: 'error' },
    ])
    expect(page.healings[0]).toMatchObject({ outcome: 'succeeded' })
    const second = pidsOf(marker)
    expect(second).toHaveLength(1)
    expect(second[0]).not.toBe(first)

    const alerts = await until(
      async () => {
        const body = await api<{
          alerts: Array<{ rule: string; labels: Record<string, string>; state: string }>
        }>('/api/alerts')
        return body.alerts.find((a) => a.rule === 'service-down' && a.labels.service === 'neural-processing')
      },
      15_000,
      'the service-down alert',
    )
    expect(['firing', 'resolved']).toContain(alerts.state)
    const files = await until(() =>
      readdirSync(join(dir, 'logs', 'alerts')).filter((f) => f.endsWith('.jsonl')),
    )
    const written = readFileSync(join(dir, 'logs', 'alerts', files[0]!), 'utf8')
    expect(written).toContain('"alertname":"service-down"')
    expect(written).toContain('"service":"neural-processing"')

    const healing = await api<{ healings: Array<{ service: string }> }>('/api/healing')
    expect(healing.healings.some((h) => h.service === 'neural-processing')).toBe(true)
    const status = await api<{ health: string }>('/api/status')
    expect(status.health).toBe('healthy')

    await run(['stop'], dir)
    expect((await agent.done).code).toBe(0)
    // Shutdown stops the supervised service too.
    await until(() => pidsOf(marker).length === 0, 10_000, 'the demo service to stop with the agent')
  })
})
