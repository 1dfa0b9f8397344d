import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { HealingRecord } from '@noa/core'
import { isStoreError, openStore, type Store } from '@noa/store'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { until } from '../../test/helpers.ts'
import { Agent } from '../agent.ts'
import { formatConfigIssues, validateConfig } from '../config/load.ts'
import type { HealthBody } from '../http/api-types.ts'
import { holdStore, type StoreHold, type StoreSettings, unholdable } from './store-hold.ts'

const postgresUrl = process.env.NOA_TEST_POSTGRES_URL
const FIXTURE = resolve(import.meta.dirname, '../../test/fixtures/hold-store.ts')

/** A drill process holding the store (test/fixtures/hold-store.ts), once it says it holds it. */
async function holdingProcess(config: StoreSettings, baseDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@noa/source', '--import', 'tsx', FIXTURE, JSON.stringify(config), baseDir],
    { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stderr!.on('data', (c) => (output += c))
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (c) => String(c).includes('held') && ok())
    child.once('exit', () => fail(new Error(`the drill process ended early:\n${output}`)))
  })
  return child
}

const exited = (child: ChildProcess) =>
  new Promise<unknown>((r) =>
    child.exitCode !== null || child.signalCode !== null
      ? r(child.exitCode ?? child.signalCode)
      : child.once('exit', (code, signal) => r(code ?? signal)),
  )

const record = (id: string): HealingRecord => ({
  id,
  service: 'api',
  trigger: 'service-down',
  strategy: 'restart',
  startedAt: Date.now(),
  outcome: 'succeeded',
  steps: [],
  dryRun: false,
})

/** The settings as the agent's config validates them. */
function settings(store: Record<string, unknown>, env: Record<string, string> = {}): StoreSettings {
  const result = validateConfig({ store, services: [] }, env)
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  return result.config.store
}

/** A write of the agent's healing audit: why it failed, or undefined when it reached the store. */
async function saveFails(store: Store, id: string): Promise<string | undefined> {
  try {
    await store.healing.saveHealing(record(id))
    return undefined
  } catch (error) {
    expect(isStoreError(error), String(error)).toBe(true)
    return (error as Error).message
  }
}

describe('holdStore: the store-down drill takes the store away from outside', () => {
  const dirs: string[] = []
  let store: Store | undefined
  let hold: StoreHold | undefined
  let agent: Agent | undefined

  afterEach(async () => {
    await hold?.release()
    hold = undefined
    await agent?.stop()
    agent = undefined
    await store?.close()
    store = undefined
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-store-hold-'))
    dirs.push(dir)
    return dir
  }

  it('should refuse a store in memory, which no other connection can reach', () => {
    expect(unholdable(settings({ type: 'memory' }))).toMatch(/^its store is in memory/)
    expect(unholdable(settings({ type: 'sqlite', path: ':memory:' }))).toMatch(
      /^its SQLite store is in memory/,
    )
    expect(unholdable(settings({ type: 'sqlite', path: 'data/noa.db' }))).toBeUndefined()
  })

  it('should make a SQLite store fail its writes as locked while reads still answer, and give it back on release', async () => {
    const dir = tempDir()
    const config = settings({ type: 'sqlite', path: 'data/noa.db', busyTimeoutMs: 100 })
    store = await openStore({ type: 'sqlite', path: join(dir, 'data/noa.db'), busyTimeoutMs: 100 })
    expect(await saveFails(store, 'before')).toBeUndefined()

    hold = await holdStore(config, dir)
    expect(await saveFails(store, 'held')).toMatch(/database is locked/)
    expect(store.health()).toMatchObject({ ok: false, failedWrites: 1 })
    // WAL: the agent's API still reads what the store held before
    expect((await store.healing.healings()).map((r) => r.id)).toEqual(['before'])

    await hold.release()
    expect(await saveFails(store, 'after')).toBeUndefined()
    expect(store.health().ok).toBe(true)
    expect((await store.healing.healings()).map((r) => r.id).sort()).toEqual(['after', 'before'])
  })

  it('should make a real agent report its SQLite store down while held, and working again once released', async () => {
    const dir = tempDir()
    const result = validateConfig({
      store: { type: 'sqlite', path: 'data/noa.db', busyTimeoutMs: 100 },
      healthChecks: { interval: 200, timeout: 200, retries: 0 },
      metrics: { enabled: false },
      dashboard: { port: 0 },
      alerting: { channels: {} },
      // a check of a port nothing listens on: a result, and a write, every 200 ms
      services: [{ name: 'ext', check: { type: 'tcp', host: '127.0.0.1', port: 9 } }],
    })
    if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
    agent = await Agent.create(result.config, { baseDir: dir, write: () => undefined })
    await agent.start()
    const storeStatus = () => (agent!.api.health() as HealthBody).store
    await until(() => agent!.health.status('ext').state !== 'unknown', 10_000, 'a first check')
    await until(() => storeStatus().ok, 10_000, 'the store working')

    hold = await holdStore(result.config.store, dir)
    await until(() => !storeStatus().ok, 15_000, 'the agent seeing its store down')
    expect(storeStatus().lastError).toMatch(/database is locked/)

    await hold.release()
    await until(() => storeStatus().ok, 15_000, 'the agent seeing its store working again')
  })

  it.each(['SIGINT', 'SIGKILL'] as const)(
    'should give the SQLite store back when the drill process holding it gets %s',
    async (signal) => {
      const dir = tempDir()
      const config = settings({ type: 'sqlite', path: 'data/noa.db', busyTimeoutMs: 100 })
      store = await openStore({ type: 'sqlite', path: join(dir, 'data/noa.db'), busyTimeoutMs: 100 })
      const drill = await holdingProcess(config, dir)
      try {
        expect(await saveFails(store, 'held')).toMatch(/database is locked/)
        drill.kill(signal)
        // Ctrl-C: the restorer releases it; killed: the system drops the dead process's lock
        expect(await exited(drill)).toBe(signal === 'SIGINT' ? 130 : 'SIGKILL')
        expect(await saveFails(store, 'after')).toBeUndefined()
      } finally {
        drill.kill('SIGKILL')
      }
    },
  )

  it.skipIf(!postgresUrl)(
    'should make a PostgreSQL store fail its writes while reads still answer, and give it back on release',
    async () => {
      const schema = `noa_test_hold_${process.pid}_${Date.now().toString(36)}`
      const config = settings(
        { type: 'postgres', connectionString: '$' + '{PG_URL}', schema, queryTimeoutMs: 500 },
        { PG_URL: postgresUrl! },
      )
      store = await openStore({
        type: 'postgres',
        connectionString: postgresUrl!,
        schema,
        queryTimeoutMs: 500,
      })
      const admin = new pg.Client({ connectionString: postgresUrl })
      await admin.connect()
      try {
        expect(await saveFails(store, 'before')).toBeUndefined()

        hold = await holdStore(config, tempDir())
        expect(await saveFails(store, 'held')).toMatch(/timeout/i)
        expect(store.health().ok).toBe(false)
        expect((await store.healing.healings()).map((r) => r.id)).toEqual(['before'])

        await hold.release()
        expect(await saveFails(store, 'after')).toBeUndefined()
        expect(store.health().ok).toBe(true)
      } finally {
        await hold?.release()
        await store.close()
        store = undefined
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await admin.end()
      }
    },
  )
})
