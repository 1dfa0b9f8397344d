import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AlertRecord, HealingRecord } from '@noa/core'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { withPendingRecords } from './pending.ts'
import type { Store } from './store.ts'
import { createSqliteStore } from './stores/sqlite/index.ts'

const healing = (outcome: HealingRecord['outcome'], at: number): HealingRecord => ({
  id: 'h1',
  service: 'api',
  trigger: 'service-down',
  strategy: 'restart',
  startedAt: 1000,
  outcome,
  steps: [],
  dryRun: false,
  ...(outcome === 'running' ? {} : { endedAt: at }),
})

const alert = (state: AlertRecord['state'], at: number): AlertRecord => ({
  fingerprint: 'f1',
  rule: 'service-down',
  severity: 'critical',
  state,
  labels: { alertname: 'service-down', service: 'api' },
  annotations: {},
  firedAt: 2000,
  ...(state === 'resolved' ? { resolvedAt: at } : {}),
  updatedAt: at,
})

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((ok) => setTimeout(ok, 20))
  }
}

describe('withPendingRecords', () => {
  const dirs: string[] = []
  const opened: Array<{ close(): unknown }> = []
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  /** A SQLite store with kept records, and another connection that can lock its file. */
  async function locked(retryMs = 50): Promise<{ store: Store; other: Database.Database }> {
    const dir = mkdtempSync(join(tmpdir(), 'noa-pending-'))
    dirs.push(dir)
    const path = join(dir, 'noa.db')
    const store = withPendingRecords(await createSqliteStore({ path, busyTimeoutMs: 50 }), { retryMs })
    opened.push(store)
    const other = new Database(path)
    opened.push(other)
    return { store, other }
  }

  it('should write the healings and alerts of a locked store, in order, once it is back', async () => {
    const { store, other } = await locked()
    other.exec('BEGIN EXCLUSIVE')
    await store.healing.saveHealing(healing('running', 1500))
    await store.alerts.saveAlert(alert('firing', 2000))
    await store.healing.saveHealing(healing('succeeded', 3000))
    await store.alerts.saveAlert(alert('resolved', 4000))
    // the running record is replaced by the one that ended; each state of the alert stays
    expect(store.stats().buffered).toBe(3)
    expect(store.health().ok).toBe(false)
    expect(await store.healing.healings()).toEqual([])

    other.exec('ROLLBACK')
    await until(() => store.stats().buffered === 0, 5000, 'the kept records written')
    expect(await store.healing.healings()).toEqual([healing('succeeded', 3000)])
    expect(await store.alerts.alerts()).toEqual([alert('resolved', 4000)])
    expect((await store.alerts.alertHistory('f1')).map((h) => h.state)).toEqual(['firing', 'resolved'])
    expect(store.stats().dropped).toBe(0)
  })

  it('should keep a newer record behind the kept ones, so an older one never overwrites it', async () => {
    const { store, other } = await locked()
    other.exec('BEGIN EXCLUSIVE')
    await store.alerts.saveAlert(alert('firing', 2000))
    other.exec('ROLLBACK')
    // written after the store is back, but behind the kept firing record
    await store.alerts.saveAlert(alert('resolved', 4000))
    await until(() => store.stats().buffered === 0, 5000, 'the kept records written')
    expect((await store.alerts.alerts())[0]?.state).toBe('resolved')
  })

  it('should keep and write again in a second outage, after its retry found nothing left to write', async () => {
    const { store, other } = await locked(300)
    const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms))
    for (const [outage, id] of ['h1', 'h2'].entries()) {
      other.exec('BEGIN EXCLUSIVE')
      await store.healing.saveHealing({ ...healing('succeeded', 3000), id })
      expect(store.stats().buffered, `outage ${outage + 1}`).toBe(1)
      await pause(20) // its first retry, at once, failed
      other.exec('ROLLBACK')
      // written at once, with the kept one, before the retry timer fires
      await store.healing.saveHealing({ ...healing('succeeded', 3000), id: `${id}-after` })
      await until(() => store.stats().buffered === 0, 5000, `the records of outage ${outage + 1} written`)
      await pause(400) // the retry timer fires on an empty queue
    }
    expect((await store.healing.healings()).map((r) => r.id).sort()).toEqual([
      'h1',
      'h1-after',
      'h2',
      'h2-after',
    ])
  })

  it('should throw input the store refuses, and drop the oldest kept beyond the bound, counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-pending-'))
    dirs.push(dir)
    const path = join(dir, 'noa.db')
    const store = withPendingRecords(await createSqliteStore({ path, busyTimeoutMs: 50 }), {
      retryMs: 60_000,
      maxPending: 2,
    })
    opened.push(store)
    const other = new Database(path)
    opened.push(other)
    await expect(store.healing.saveHealing({ ...healing('succeeded', 1), id: '' })).rejects.toThrow(/id/)
    other.exec('BEGIN EXCLUSIVE')
    for (const [i, state] of (['firing', 'resolved', 'firing'] as const).entries())
      await store.alerts.saveAlert(alert(state, 2000 + i))
    expect(store.stats()).toMatchObject({ buffered: 2, dropped: 1 })
    other.exec('ROLLBACK')
  })
})
