import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Executor } from '../../executor.ts'
import { createPm2Executor, pm2ExecutorSchema } from './pm2.ts'

const fixture = fileURLToPath(new URL('../../testing/fixtures/service.mjs', import.meta.url))
let home: string
let ex: Executor

/** Kills the daemon this test started, through pm2's own API, with the same PM2_HOME. */
async function killDaemon(pm2Home: string) {
  const mod = (await import('pm2')) as unknown as {
    default: { custom: new (o: object) => Record<string, (...a: unknown[]) => void> }
  }
  const api = new mod.default.custom({ pm2_home: pm2Home, daemon_mode: true })
  await new Promise<void>((r) => api.connect!(() => r()))
  await new Promise<void>((r) => api.killDaemon!(() => r()))
  api.disconnect!()
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'noa-pm2-'))
  ex = createPm2Executor(
    pm2ExecutorSchema.parse({
      type: 'pm2',
      name: 'svc',
      script: fixture,
      pm2Home: home,
      env: { MODE: 'ok' },
      maxInstances: 2,
    }),
  )
}, 60_000)

afterAll(async () => {
  await ex?.close?.()
  await killDaemon(home)
  await rm(home, { recursive: true, force: true })
}, 60_000)

describe('pm2 executor (real pm2 daemon, own PM2_HOME)', () => {
  it('should start, restart, scale within the bound, report status and stop', async () => {
    expect(await ex.start?.()).toEqual({ ok: true, output: 'pm2 start svc' })
    const first = await ex.status?.()
    expect(first).toMatchObject({ ok: true, running: true, replicas: 1 })
    expect(await ex.restart?.()).toEqual({ ok: true, output: 'pm2 restart svc' })
    expect((await ex.status?.())?.restarts).toBeGreaterThanOrEqual(1)
    expect(await ex.scale?.(1)).toEqual({ ok: true, output: 'pm2 scaled svc from 1 to 2', replicas: 2 })
    expect(await ex.scale?.(1)).toMatchObject({ ok: false, error: 'already at 2 instances, max 2' })
    expect(await ex.stop?.()).toEqual({ ok: true, output: 'pm2 stop svc' })
    expect((await ex.status?.())?.running).toBe(false)
  }, 60_000)

  it('should fail with the reason for an app pm2 does not know', async () => {
    const unknown = createPm2Executor(pm2ExecutorSchema.parse({ type: 'pm2', name: 'ghost', pm2Home: home }))
    expect(await unknown.start?.()).toMatchObject({
      ok: false,
      error: 'pm2 start ghost failed: app is not known to pm2 and no script is set',
    })
    expect(await unknown.scale?.(1)).toMatchObject({ ok: false, error: 'pm2 app ghost is not running' })
    await unknown.close?.()
  }, 60_000)
})
