import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAll, noa, readRunInfo, run, writeConfig } from './cli.ts'
import { type HookServer, startHookServer, until } from './helpers.ts'

const TOKEN = 'reload-token'

describe('reloading the configuration without a restart (a real agent process)', () => {
  let hooks: HookServer
  let dir = ''

  beforeAll(async () => {
    hooks = await startHookServer({ keep: 200, gone: 200, changed: 200, added: 503 })
    dir = mkdtempSync(join(tmpdir(), 'noa-reload-'))
  })
  afterAll(async () => {
    killAll([dir])
    await run(['stop', '--timeout', '2000'], dir)
    await hooks.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const service = (name: string, interval = 300) => ({
    name,
    interval,
    timeout: 300,
    retries: 0,
    check: { type: 'http', url: `${hooks.base}/health/${name}` },
  })
  const config = (services: unknown[]) => ({
    metrics: { enabled: false },
    dashboard: { port: 0 },
    alerting: { channels: {} },
    services,
  })

  it('should apply services from SIGHUP and POST /api/reload, keeping the state of unchanged ones', async () => {
    writeConfig(dir, config([service('keep'), service('gone'), service('changed')]))
    const agent = noa(['start'], dir, { NOA_API_TOKEN: TOKEN })
    const info = await until(() => readRunInfo(dir), 30_000, 'the agent to start')
    const api = `http://127.0.0.1:${info.port}`
    type Status = { services: Array<{ name: string; state: string }> }
    const health = async () =>
      (await (await fetch(`${api}/api/health`)).json()) as {
        services: Array<{ service: string; state: string; since?: number }>
      }
    const state = async (name: string) => (await health()).services.find((s) => s.service === name)
    await until(async () => (await state('keep'))?.state === 'healthy', 15_000, 'keep healthy')
    const since = (await state('keep'))?.since

    // One more service from services.d, one removed, one changed: applied on SIGHUP.
    writeConfig(dir, config([service('keep'), service('changed', 600)]))
    mkdirSync(join(dir, 'config', 'services.d'), { recursive: true })
    writeFileSync(join(dir, 'config', 'services.d', 'more.json'), JSON.stringify([service('added')]))
    process.kill(agent.pid!, 'SIGHUP')
    await until(async () => (await state('added')) !== undefined, 10_000, 'the reload')
    const names = (await health()).services.map((s) => s.service)
    expect(names).toEqual(['keep', 'changed', 'added'])
    expect(await state('keep')).toMatchObject({ state: 'healthy', since })
    await until(async () => (await state('added'))?.state === 'unhealthy', 10_000, 'added checked')
    const status = (await (await fetch(`${api}/api/status`)).json()) as Status
    expect(status.services.map((s) => s.name)).toEqual(['keep', 'changed', 'added'])

    // Through the API: a bad file changes nothing and says why; a good one answers what it did.
    const post = () =>
      fetch(`${api}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
    writeConfig(dir, config([service('keep'), { name: 'bad', check: { type: 'http', url: 'nope' } }]))
    const refused = await post()
    expect(refused.status).toBe(422)
    expect(((await refused.json()) as { issues: string[] }).issues).toEqual([
      expect.stringMatching(/^services\.bad\.check\.url: /),
    ])
    expect((await health()).services.map((s) => s.service)).toEqual(['keep', 'changed', 'added'])
    writeConfig(dir, { ...config([service('keep')]), dashboard: { port: 0, refreshInterval: 1000 } })
    const applied = await post()
    expect(applied.status).toBe(200)
    expect(await applied.json()).toEqual({
      // services.d still holds `added`
      services: { added: [], removed: ['changed'], changed: [], kept: ['keep', 'added'] },
      notApplied: ['dashboard'],
    })
    expect(await state('keep')).toMatchObject({ state: 'healthy', since })
    expect((await fetch(`${api}/api/reload`, { method: 'POST' })).status).toBe(401)
    agent.kill('SIGTERM')
    await agent.done
  })
})
