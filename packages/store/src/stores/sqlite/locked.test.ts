import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HealingRecord } from '@noa/core'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Store } from '../../store.ts'
import { createSqliteStore } from './index.ts'

const record = (id: string): HealingRecord => ({
  id,
  service: 'api',
  trigger: 'service-down',
  strategy: 'restart',
  startedAt: 1000,
  outcome: 'succeeded',
  steps: [],
  dryRun: false,
})

/** How long one healing save took, and why it failed (undefined when it was written). */
async function timedSave(store: Store, id: string): Promise<{ ms: number; error?: string }> {
  const started = performance.now()
  try {
    await store.healing.saveHealing(record(id))
    return { ms: performance.now() - started }
  } catch (error) {
    return { ms: performance.now() - started, error: (error as Error).message }
  }
}

describe('the SQLite store while another program holds its lock', () => {
  const dirs: string[] = []
  const opened: Array<{ close(): unknown }> = []
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('should wait busyTimeoutMs once, then fail writes at once until the lock is gone, then wait again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-store-locked-'))
    dirs.push(dir)
    const path = join(dir, 'noa.db')
    const store = await createSqliteStore({ path, busyTimeoutMs: 1000 })
    opened.push(store)
    const other = new Database(path)
    opened.push(other)

    other.exec('BEGIN EXCLUSIVE')
    const first = await timedSave(store, 'a')
    expect(first.error).toMatch(/database is locked/)
    expect(first.ms).toBeGreaterThanOrEqual(900)
    // the process is not held up busyTimeoutMs by every write while the lock stays
    const second = await timedSave(store, 'b')
    expect(second.error).toMatch(/database is locked/)
    expect(second.ms).toBeLessThan(500)
    expect(store.health()).toMatchObject({ ok: false, failedWrites: 2 })

    other.exec('ROLLBACK')
    expect(await timedSave(store, 'c')).not.toHaveProperty('error')
    expect(store.health().ok).toBe(true)

    // once a write worked, the next lock is waited for again
    other.exec('BEGIN EXCLUSIVE')
    const again = await timedSave(store, 'd')
    other.exec('ROLLBACK')
    expect(again.error).toMatch(/database is locked/)
    expect(again.ms).toBeGreaterThanOrEqual(900)
    expect((await store.healing.healings()).map((r) => r.id)).toEqual(['c'])
  })
})
