import { mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mountTmpfs, type Tmpfs } from '@noa/store/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { Agent } from '../src/agent.ts'
import { formatConfigIssues, validateConfig } from '../src/config/load.ts'
import type { HealthBody } from '../src/http/api-types.ts'
import { type HookServer, startHookServer, until } from './helpers.ts'

/** What the webhook receiver got, as `status:alertname/service` per alert. */
const received = (hooks: HookServer) =>
  hooks.notifications.flatMap((body) =>
    (JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> }).alerts.map(
      (a) => `${a.status}:${a.labels.alertname}${a.labels.service ? `/${a.labels.service}` : ''}`,
    ),
  )

describe('the agent when its own store breaks (a real SQLite file on a real file system)', () => {
  let hooks: HookServer | undefined
  let agent: Agent | undefined
  let fs: Tmpfs | undefined
  const dirs: string[] = []

  afterEach(async () => {
    await agent?.stop()
    agent = undefined
    await hooks?.close()
    hooks = undefined
    fs?.unmount()
    fs = undefined
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  /** An agent whose SQLite store is `path`, watching `ext` (its health set by the test), alerting to a webhook. */
  async function start(path: string) {
    hooks = await startHookServer({ ext: 200 })
    const dir = mkdtempSync(join(tmpdir(), 'noa-store-faults-'))
    dirs.push(dir)
    const lines: string[] = []
    const result = validateConfig(
      {
        store: { type: 'sqlite', path },
        healthChecks: { interval: 200, timeout: 200, retries: 0 },
        metrics: { enabled: false },
        dashboard: { port: 0 },
        alerting: {
          groupWait: 0,
          channels: {
            console: { enabled: true },
            hook: { type: 'webhook', url: '$' + '{HOOK}' },
          },
        },
        services: [{ name: 'ext', critical: true, check: { type: 'http', url: `${hooks.base}/health/ext` } }],
      },
      { HOOK: `${hooks.base}/hook` },
    )
    if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
    agent = await Agent.create(result.config, { baseDir: dir, write: (line) => lines.push(line) })
    await agent.start()
    await until(() => agent!.health.status('ext').state === 'healthy', 10_000, 'ext healthy')
    return { lines, hooks }
  }

  it('should still notify, on the console and the webhook, when the disk is full, and alert about the store', async () => {
    fs = mountTmpfs('2m')
    const { lines, hooks } = await start(join(fs.dir, 'noa.db'))
    // Fill the file system: every store write now fails with SQLITE_FULL.
    const filler = openSync(join(fs.dir, 'filler'), 'w')
    try {
      const chunk = Buffer.alloc(64 * 1024, 1)
      for (;;) writeSync(filler, chunk)
    } catch {
      // full
    }
    hooks.health.ext = 503
    await until(
      () => received(hooks).includes('firing:service-down/ext'),
      15_000,
      'the service-down notification',
    )
    await until(
      () => received(hooks).includes('firing:store-unavailable'),
      15_000,
      'the store-unavailable notification',
    )
    expect(lines.some((l) => l.includes('[ALERT]') && l.includes('service-down'))).toBe(true)
    const health = agent!.api.health() as HealthBody
    expect(health.store).toMatchObject({ type: 'sqlite', ok: false, outboxFailing: true })
    expect(JSON.stringify(health.store)).not.toContain(fs.dir)
    const metrics = await agent!.renderMetrics('prometheus')
    expect(metrics).toContain('noa_store_up 0')
  })

  it('should replace a corrupted store at start and alert about it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-store-corrupt-'))
    dirs.push(dir)
    const path = join(dir, 'noa.db')
    writeFileSync(path, Buffer.alloc(64 * 1024, 7))
    const { hooks } = await start(path)
    await until(
      () => received(hooks).includes('firing:store-recovered'),
      15_000,
      'the store-recovered notification',
    )
    const health = agent!.api.health() as HealthBody
    expect(health.store.ok).toBe(true)
    expect(health.store.recovered?.movedTo).toMatch(/^noa\.db\.corrupt-/)
    expect(readdirSync(dir).some((f) => f.startsWith('noa.db.corrupt-'))).toBe(true)
  })
})
