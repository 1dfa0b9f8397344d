import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { AlertRecord, Silence } from '@noa/core'
import { FakeClock } from '@noa/core'
import Database from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { runFixture, stop } from '../../../test/processes.ts'
import { isStoreError } from '../../errors.ts'
import { storeContract } from '../../testing/contract.ts'
import { createSqliteStore } from './index.ts'
import { SQLITE_MIGRATIONS } from './schema.ts'

const root = mkdtempSync(join(tmpdir(), 'noa-store-sqlite-'))

/** Makes a directory read-only, also for root (which ignores mode bits): `chattr +i`. Returns the undo, or undefined. */
function makeReadOnly(dir: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555)
    return () => chmodSync(dir, 0o755)
  }
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' })
    return () => execFileSync('chattr', ['-i', dir], { stdio: 'ignore' })
  } catch {
    return undefined
  }
}
const oldAlert: AlertRecord = {
  fingerprint: 'fp',
  rule: 'ServiceDown',
  severity: 'critical',
  state: 'firing',
  labels: { service: 'api' },
  annotations: {},
  firedAt: 1000,
  updatedAt: 1000,
}
const kept: Silence = {
  id: 's1',
  matchers: [{ label: 'service', op: '=', value: 'api' }],
  startsAt: 1000,
  endsAt: 2000,
  comment: 'maintenance',
}
let n = 0
const nextPath = () => join(root, `run-${++n}`, 'noa.db')
afterAll(() => rmSync(root, { recursive: true, force: true }))

storeContract('sqlite', async (options) => createSqliteStore({ path: nextPath(), ...options }), {
  describe,
  it,
  expect,
  afterEach,
})

describe('createSqliteStore', () => {
  const children: Array<ReturnType<typeof runFixture>['child']> = []
  afterEach(async () => {
    for (const c of children.splice(0)) await stop(c)
  })

  it('should keep data across a reopen, in WAL mode, under the given path', async () => {
    const path = nextPath()
    const a = await createSqliteStore({ path })
    await a.samples.append([{ name: 'x', labels: { a: '1' }, value: 1, at: 1000 }])
    await a.close()
    const b = await createSqliteStore({ path })
    expect(await b.samples.recent(5)).toEqual([{ name: 'x', labels: { a: '1' }, value: 1, at: 1000 }])
    await b.samples.append([{ name: 'x', labels: { a: '1' }, value: 2, at: 2000 }])
    expect((await b.samples.series()).length).toBe(1)
    await b.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length)
    raw.close()
  })

  it('should write check results in batches: on time, before a read, on flush and at close', async () => {
    const path = nextPath()
    const clock = new FakeClock()
    const rows = () => {
      const raw = new Database(path, { readonly: true })
      const n = raw.prepare('SELECT count(*) FROM check_results').pluck().get()
      raw.close()
      return n
    }
    const result = (at: number) => ({
      service: 'api',
      state: 'healthy' as const,
      at,
      durationMs: 1,
      attempts: 1,
    })
    const a = await createSqliteStore({ path, clock })
    const first = a.checks.append(result(1))
    void a.checks.append(result(2))
    expect(a.stats().buffered).toBe(2)
    expect(rows()).toBe(0)
    await clock.advance(200)
    await first
    expect(rows()).toBe(2)
    void a.checks.append(result(3))
    expect((await a.checks.results()).map((r) => r.at)).toEqual([3, 2, 1])
    void a.checks.append(result(4))
    await a.flush()
    expect(rows()).toBe(4)
    void a.checks.append(result(5))
    await a.close()
    expect(rows()).toBe(5)
    expect(a.stats()).toEqual({ buffered: 0, dropped: 0 })
  })

  it('should open a file made by the first version, keep its data and add the silences and drills tables', async () => {
    const path = nextPath()
    mkdirSync(dirname(path), { recursive: true })
    // The first version's schema is its one migration: migrations are only ever appended.
    const old = new Database(path)
    old.pragma('journal_mode = WAL')
    old.exec(SQLITE_MIGRATIONS[0] as string)
    old.pragma('user_version = 1')
    old
      .prepare('INSERT INTO alerts (fingerprint, state, service, updated_at, data) VALUES (?, ?, ?, ?, ?)')
      .run('fp', 'firing', 'api', 1000, JSON.stringify(oldAlert))
    old.close()
    const store = await createSqliteStore({ path })
    expect(await store.alerts.alerts()).toEqual([oldAlert])
    await store.silences.saveSilence(kept)
    expect(await store.silences.silences({ activeAt: 1500 })).toEqual([kept])
    const drill = { id: 'd', startedAt: 1000, finishedAt: 2000, results: [] }
    await store.drills.saveDrill(drill)
    expect(await store.drills.drills()).toEqual([drill])
    await store.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length)
    raw.close()
  })

  it('should give back after a reopen what the agent restores: pending alerts, notification times, silences, running healings', async () => {
    const path = nextPath()
    const a = await createSqliteStore({ path })
    const pending = { ...oldAlert, fingerprint: 'p', state: 'pending' as const, activeAt: 900 }
    const notified = { ...oldAlert, notifiedAt: 1200 }
    const running = {
      id: 'h1',
      service: 'api',
      trigger: 'service-down',
      strategy: 'restart',
      startedAt: 1000,
      outcome: 'running' as const,
      steps: [],
      dryRun: false,
      agentId: 'agent-1',
    }
    const skipped = { ...running, id: 'h2', outcome: 'skipped' as const, skip: 'cooldown' as const }
    await a.alerts.saveAlert(pending)
    await a.alerts.saveAlert(notified)
    await a.silences.saveSilence(kept)
    await a.healing.saveHealing(running)
    await a.healing.saveHealing(skipped)
    await a.close()
    const b = await createSqliteStore({ path })
    expect(await b.alerts.alerts({ state: 'pending' })).toEqual([pending])
    expect((await b.alerts.alerts({ state: 'firing' }))[0]?.notifiedAt).toBe(1200)
    expect(await b.silences.silences({ activeAt: 1500 })).toEqual([kept])
    expect(await b.healing.healings({ outcome: 'running' })).toEqual([running])
    expect(await b.healing.healings({ outcome: 'skipped' })).toEqual([skipped])
    await b.close()
  })

  it('should write a batch larger than one statement in one transaction', async () => {
    const store = await createSqliteStore({ path: nextPath() })
    const batch = Array.from({ length: 1234 }, (_, i) => ({
      name: 'm',
      labels: { k: String(i % 3) },
      value: i,
      at: i,
    }))
    await store.samples.append(batch)
    expect(await store.samples.recent(2000)).toHaveLength(1234)
    await store.close()
  })

  it('should refuse bad options, naming the field and value', async () => {
    await expect(createSqliteStore({ path: '', busyTimeoutMs: -5 })).rejects.toThrow(
      /store\.path[\s\S]*store\.busyTimeoutMs/,
    )
    await expect(createSqliteStore(undefined as never)).rejects.toThrow(/store\.path/)
  })

  it('should say why the path cannot be written without putting the path in the message, and name it in error.path', async () => {
    const file = join(root, 'a-file')
    writeFileSync(file, 'not a directory')
    const path = join(file, 'noa.db')
    const error = await createSqliteStore({ path }).catch((e: unknown) => e)
    expect(isStoreError(error)).toBe(true)
    // Node's mkdir error names the folder; the message an API may show must not.
    expect((error as Error).message).toBe(
      "cannot open the SQLite store: EEXIST: file already exists, mkdir '<store folder>'",
    )
    expect((error as Error).stack).not.toContain(root)
    expect(error).toMatchObject({ code: 'ERR_STORE_PATH', path })
  })

  it('should give a clear error naming the path for a read-only directory, new or existing file', async (ctx) => {
    const dir = join(root, 'read-only')
    const existing = join(dir, 'existing.db')
    const fresh = join(dir, 'fresh.db')
    const s = await createSqliteStore({ path: existing })
    await s.samples.append([{ name: 'x', value: 1, at: 1 }])
    await s.close()
    const restore = makeReadOnly(dir)
    if (!restore) {
      console.warn('[store] read-only directory test skipped: cannot make a directory read-only here')
      return ctx.skip()
    }
    try {
      await expect(createSqliteStore({ path: fresh })).rejects.toMatchObject({
        code: 'ERR_STORE_PATH',
        path: fresh,
        message: 'cannot open the SQLite store: unable to open database file',
      })
      // WAL needs its -wal and -shm files beside the database: an existing file cannot be opened either.
      await expect(createSqliteStore({ path: existing })).rejects.toMatchObject({
        code: 'ERR_STORE_PATH',
        path: existing,
      })
    } finally {
      restore()
    }
  })

  it('should report a full file as ERR_STORE_FULL, in health() too, keep answering reads, and heal when retention frees pages', async () => {
    const path = nextPath()
    const clock = new FakeClock()
    const store = await createSqliteStore({ path, maxSizeBytes: 512 * 1024, clock })
    await store.samples.append([{ name: 'kept', value: 1, at: 1 }])
    let error: unknown
    for (let i = 0; i < 200 && !error; i++) {
      const batch = Array.from({ length: 1000 }, (_, j) => ({
        name: 'fill',
        labels: { i: String(j) },
        value: j,
        at: i * 1000 + j,
      }))
      error = await store.samples.append(batch).catch((e: unknown) => e)
    }
    expect(error).toMatchObject({ code: 'ERR_STORE_FULL', path, retryable: true })
    expect((error as Error).message).toBe(
      'append samples failed on the SQLite store: database or disk is full',
    )
    const lastError = (error as Error).message
    expect(store.health()).toEqual({ ok: false, failingSince: clock.now(), lastError, failedWrites: 1 })
    expect((await store.samples.recent(1, { name: 'kept' }))[0]?.value).toBe(1)
    await clock.advance(10_000)
    // The samples are from 1970: retention deletes them, their pages are reused, writes work again.
    expect((await store.maintain()).deleted.samples).toBeGreaterThan(0)
    expect(store.health()).toEqual({ ok: true, lastError, failedWrites: 1 })
    await store.samples.append([{ name: 'after', value: 2, at: clock.now() }])
    expect(await store.samples.recent(5)).toEqual([{ name: 'after', labels: {}, value: 2, at: clock.now() }])
    await store.close()
  })

  it('should lose at most the batch in flight when the writing process is killed', async () => {
    const path = nextPath()
    const writer = runFixture('sqlite-writer.ts', [path])
    children.push(writer.child)
    await writer.waitFor(/^committed 10$/)
    await stop(writer.child, 'SIGKILL')
    const reported = Math.max(...writer.lines.map((l) => Number(l.split(' ')[1])))
    const raw = new Database(path)
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok')
    raw.close()
    const store = await createSqliteStore({ path })
    const count = (await store.samples.recent(1_000_000)).length
    expect(count % 2000).toBe(0)
    expect(count).toBeGreaterThanOrEqual(reported * 2000)
    const snaps = await store.snapshots.recent(1_000_000)
    expect(snaps.length).toBeGreaterThanOrEqual(reported)
    await store.samples.append([{ name: 'after', value: 1, at: 1 }])
    await store.close()
  })

  // four processes started through tsx: slow on a loaded machine, so a longer limit
  it('should let exactly one of several processes take a lease', { timeout: 60_000 }, async () => {
    const path = nextPath()
    const first = await createSqliteStore({ path })
    await first.close()
    const acquirers = Array.from({ length: 4 }, (_, i) =>
      runFixture('lease-acquirer.ts', ['sqlite', path, `agent-${i}`]),
    )
    for (const a of acquirers) children.push(a.child)
    await Promise.all(acquirers.map((a) => a.waitFor(/^ready$/)))
    for (const a of acquirers) a.child.stdin?.write('go\n')
    const results = await Promise.all(acquirers.map((a) => a.waitFor(/^(won|lost)$/)))
    expect(results.filter((r) => r === 'won')).toHaveLength(1)
  })

  it('should keep the file small: bytes on disk per sample stay bounded', async () => {
    const path = nextPath()
    const store = await createSqliteStore({ path })
    for (let b = 0; b < 20; b++)
      await store.samples.append(
        Array.from({ length: 1000 }, (_, i) => ({
          name: 'cpu',
          labels: { core: String(i % 10) },
          value: Math.random(),
          at: b * 100_000 + i,
        })),
      )
    await store.close()
    expect(statSync(path).size / 20_000).toBeLessThan(64)
  })
})
