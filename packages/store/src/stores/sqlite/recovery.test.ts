import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { FakeClock } from '@noa/core'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../../open.ts'
import type { StoreRecovery } from '../../store.ts'
import { createSqliteStore } from './index.ts'

const root = mkdtempSync(join(tmpdir(), 'noa-store-recovery-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const nextPath = () => join(root, `run-${++n}`, 'noa.db')

/** Bytes that are no SQLite page, the same on every run (a linear congruential generator). */
function garbage(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** A closed store file of about 120 pages: samples, an alert, a silence. */
async function writeStore(path: string): Promise<void> {
  const store = await createSqliteStore({ path })
  for (let b = 0; b < 20; b++)
    await store.samples.append(
      Array.from({ length: 1000 }, (_, i) => ({
        name: 'cpu',
        labels: { core: String(i % 10) },
        value: i,
        at: b * 100_000 + i,
      })),
    )
  await store.silences.saveSilence({ id: 's', matchers: [], startsAt: 1, endsAt: 2, comment: '' })
  await store.close()
}

/** Overwrites `bytes` from `offset` of the middle page of the file, as a failing disk or a stray write would. */
function overwriteMiddle(path: string, bytes: Buffer, offset = 0): void {
  const pageSize = 4096
  const middle = Math.floor(statSync(path).size / pageSize / 2)
  const fd = openSync(path, 'r+')
  writeSync(fd, bytes, 0, bytes.length, middle * pageSize + offset)
  closeSync(fd)
}

const recorder = () => {
  const calls: StoreRecovery[] = []
  return { calls, onRecovered: (r: StoreRecovery) => void calls.push(r) }
}

describe('createSqliteStore with an unreadable file', () => {
  it.each([
    {
      damage: 'four whole pages of garbage',
      write: (path: string) => overwriteMiddle(path, garbage(4 * 4096, 7)),
      // SQLite refuses to read such a page at all.
      why: /^database disk image is malformed$/,
    },
    {
      damage: 'the cells of one page overwritten',
      write: (path: string) => overwriteMiddle(path, Buffer.alloc(2000, 0x41), 1000),
      // The page still looks like a page: quick_check lists what is wrong in it.
      why: /^integrity check failed: Multiple uses for byte \d+ of page \d+; database disk image is malformed$/,
    },
  ])(
    'should move a file with $damage aside, open a new store in its place and say so once',
    async ({ write, why }) => {
      const path = nextPath()
      await writeStore(path)
      write(path)
      const damaged = readFileSync(path)
      const clock = new FakeClock(Date.parse('2026-12-06T05:30:00.123Z'))
      const { calls, onRecovered } = recorder()
      const errors: Array<Record<string, unknown> | undefined> = []
      const logger = {
        debug() {},
        info() {},
        warn() {},
        error: (_: string, f?: Record<string, unknown>) => errors.push(f),
      }

      const store = await createSqliteStore({ path, clock, logger, onRecovered })

      expect(calls).toHaveLength(1)
      const [recovery] = calls as [StoreRecovery]
      expect(recovery.movedTo).toBe(`${path}.corrupt-20261206T053000Z`)
      expect(recovery.at).toBe(clock.now())
      expect(readFileSync(recovery.movedTo).equals(damaged)).toBe(true)
      expect(recovery.error).toMatchObject({ code: 'ERR_STORE_CORRUPT', path })
      const [, reason] =
        /^the SQLite store file was unreadable \((.+)\); it was moved aside and a new, empty store created in its place$/.exec(
          recovery.error.message,
        ) ?? []
      expect(reason).toMatch(why)
      expect(recovery.error.message).not.toContain(root)
      expect(errors).toEqual([{ path, movedTo: recovery.movedTo, error: recovery.error.message }])
      // The new store is empty and works; the data went with the moved file.
      expect(await store.silences.silences()).toEqual([])
      await store.samples.append([{ name: 'after', value: 1, at: 1 }])
      expect(await store.samples.recent(5)).toEqual([{ name: 'after', labels: {}, value: 1, at: 1 }])
      expect(store.health()).toEqual({ ok: true, failedWrites: 0 })
      await store.close()
      const raw = new Database(path, { readonly: true })
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok')
      raw.close()
      // Opening the new file again finds nothing wrong: the callback stays at one call.
      await (await createSqliteStore({ path, clock, onRecovered })).close()
      expect(calls).toHaveLength(1)
    },
  )

  it('should move a file of random bytes aside with its -wal and -shm, through openStore', async () => {
    const path = nextPath()
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, garbage(64 * 1024, 1))
    writeFileSync(`${path}-wal`, garbage(8 * 1024, 2))
    writeFileSync(`${path}-shm`, garbage(32 * 1024, 3))
    const clock = new FakeClock(Date.parse('2026-12-06T05:30:00Z'))
    // A file already moved aside at the same second keeps its name: the new one is numbered.
    writeFileSync(`${path}.corrupt-20261206T053000Z`, 'an earlier one')
    const { calls, onRecovered } = recorder()

    const store = await openStore({ type: 'sqlite', path, clock }, { onRecovered })

    expect(calls).toHaveLength(1)
    const movedTo = `${path}.corrupt-20261206T053000Z-2`
    expect(calls[0]?.movedTo).toBe(movedTo)
    expect(calls[0]?.error.message).toBe(
      'the SQLite store file was unreadable (file is not a database); it was moved aside and a new, empty store created in its place',
    )
    expect(readFileSync(movedTo).equals(garbage(64 * 1024, 1))).toBe(true)
    // The -wal may hold the latest writes: it is moved as it was. The -shm is SQLite's index of
    // the -wal, rewritten by any connection: it only has to go along.
    expect(readFileSync(`${movedTo}-wal`).equals(garbage(8 * 1024, 2))).toBe(true)
    expect(existsSync(`${movedTo}-shm`)).toBe(true)
    expect(readFileSync(`${path}.corrupt-20261206T053000Z`, 'utf8')).toBe('an earlier one')
    await store.alerts.saveAlert({
      fingerprint: 'fp',
      rule: 'StoreReplaced',
      severity: 'critical',
      state: 'firing',
      labels: {},
      annotations: {},
      updatedAt: 1,
    })
    expect(await store.alerts.alerts()).toHaveLength(1)
    await store.close()
  })

  it('should leave a damaged file in place when asked not to check it, and fail where it is damaged', async () => {
    const path = nextPath()
    await writeStore(path)
    overwriteMiddle(path, garbage(4 * 4096, 7))
    const { calls, onRecovered } = recorder()
    const store = await createSqliteStore({ path, integrityCheck: 'off', onRecovered })
    expect(calls).toEqual([])
    await expect(store.samples.recent(1_000_000)).rejects.toMatchObject({
      code: 'ERR_STORE',
      message: expect.stringMatching(/^recent samples failed on the SQLite store: .*malformed/),
    })
    await store.close()
    expect(existsSync(path)).toBe(true)
  })

  it('should open a sound file without moving it or calling back', async () => {
    const path = nextPath()
    await writeStore(path)
    const { calls, onRecovered } = recorder()
    const store = await createSqliteStore({ path, onRecovered })
    expect(calls).toEqual([])
    expect(await store.silences.silences()).toHaveLength(1)
    await store.close()
  })
})
