import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type TestAgent } from '../../test/helpers.ts'
import { main } from '../cli.ts'
import type { MaintenanceWindow } from '../http/api-types.ts'
import { parseDuration } from './maintenance.ts'

const TOKEN = 'cli-maintenance-token'
const service = { name: 'web', tags: ['edge'], check: { type: 'tcp', host: '127.0.0.1', port: 9 } }

describe('parseDuration', () => {
  it('should read units, combinations and plain ms, and refuse the rest', () => {
    expect(parseDuration('30m')).toBe(1_800_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('2d')).toBe(172_800_000)
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('1500')).toBe(1500)
    for (const bad of ['', 'm', '30x', '1h 30m', '-5m']) expect(parseDuration(bad)).toBeUndefined()
  })
})

describe('noa maintenance (a real agent and its API)', () => {
  let t: TestAgent
  let cwd: string
  beforeAll(async () => {
    t = await startAgent({ healthChecks: { enabled: false }, services: [service] }, { apiToken: TOKEN })
    // A folder as `noa start` leaves it: the config, and run/agent.json naming the agent's address.
    cwd = mkdtempSync(join(tmpdir(), 'noa-cli-maintenance-'))
    mkdirSync(join(cwd, 'config'))
    mkdirSync(join(cwd, 'run'))
    writeFileSync(join(cwd, 'config', 'monitoring-config.json'), JSON.stringify({ services: [service] }))
    const port = Number(new URL(t.url).port)
    writeFileSync(
      join(cwd, 'run', 'agent.json'),
      JSON.stringify({
        pid: process.pid,
        host: '127.0.0.1',
        port,
        startedAt: 0,
        config: '',
        agentId: 'a',
        components: [],
      }),
    )
  })
  afterAll(async () => {
    await t.close()
    rmSync(cwd, { recursive: true, force: true })
  })

  const run = async (args: string[], env: Record<string, string> = { NOA_API_TOKEN: TOKEN }) => {
    const out: string[] = []
    const err: string[] = []
    const code = await main(['maintenance', ...args], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env,
      cwd,
    })
    return { code, out, err }
  }

  it('should open a window for a service, list it and end it, recording who and why', async () => {
    const started = await run(['start', 'web', '--for', '30m', '--reason', 'kernel upgrade', '--json'])
    expect(started.err).toEqual([])
    expect(started.code).toBe(0)
    const window = JSON.parse(started.out.join('\n')) as MaintenanceWindow
    expect(window).toMatchObject({
      services: ['web'],
      reason: 'kernel upgrade',
      state: 'active',
      createdBy: 'admin',
    })
    expect(window.endsAt! - window.startsAt!).toBeGreaterThan(29 * 60_000)
    expect(t.agent.api.status().services.find((s) => s.name === 'web')?.maintenance).toBe(true)

    const listed = await run(['list'], {})
    expect(listed.code).toBe(0)
    expect(listed.out).toEqual([
      expect.stringMatching(new RegExp(`^${window.id} \\[active\\] web .* by admin: kernel upgrade$`)),
    ])

    const ended = await run(['end', window.id])
    expect(ended.code).toBe(0)
    expect(ended.out).toEqual([expect.stringMatching(/^ended .*\[ended\].*\(ended by admin\)$/)])
    expect((await run(['list'], {})).out).toEqual(['no maintenance window is open or planned'])
  })

  it('should say what is wrong: usage (2), a refusal or a missing token (1)', async () => {
    expect((await run(['start', 'web', '--reason', 'x'])).code).toBe(2)
    expect((await run(['start', 'web', '--for', 'soon', '--reason', 'x'])).err[0]).toMatch(
      /--for: expected a duration/,
    )
    expect((await run(['start', 'web', '--for', '5m'])).code).toBe(2)
    expect((await run(['bogus'])).code).toBe(2)
    const unknown = await run(['start', 'nope', '--for', '5m', '--reason', 'x'])
    expect(unknown).toMatchObject({ code: 1, err: ['noa: the agent answered 404: unknown service "nope"'] })
    const noToken = await run(['start', 'web', '--for', '5m', '--reason', 'x'], {})
    expect(noToken).toMatchObject({ code: 1, err: ['noa: set NOA_API_TOKEN to change maintenance windows'] })
    expect((await run(['end', 'mnt_nope'])).err[0]).toMatch(/answered 404/)
  })
})
