import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { runFixture, stop } from '../../../test/processes.ts'
import { isStoreError } from '../../errors.ts'
import { openStore } from '../../open.ts'
import type { SampleInput, Store } from '../../store.ts'
import { mountTmpfs } from '../../testing/tmpfs.ts'
import { createSqliteStore } from './index.ts'

// These tests need root and permission to mount: without them they fail, saying so.

const batch = (k: number): SampleInput[] =>
  Array.from({ length: 500 }, (_, i) => ({
    name: 'fill',
    labels: { slot: String(i % 50) },
    value: k,
    at: k * 1000 + i,
  }))

describe('createSqliteStore on a real file system', () => {
  it('should reject writes with ERR_STORE_FULL on a full file system, say so in health(), and recover once space is freed', async () => {
    const fs = mountTmpfs('2m')
    let store: Store | undefined
    try {
      const ballast = join(fs.dir, 'ballast')
      writeFileSync(ballast, Buffer.alloc(512 * 1024, 1))
      const clock = new FakeClock()
      store = await createSqliteStore({ path: join(fs.dir, 'noa.db'), clock })
      let error: unknown
      let k = 0
      for (; k < 1000 && !error; k++) error = await store.samples.append(batch(k)).catch((e: unknown) => e)
      expect(isStoreError(error)).toBe(true)
      expect(error).toMatchObject({
        code: 'ERR_STORE_FULL',
        retryable: true,
        message: 'append samples failed on the SQLite store: database or disk is full',
      })
      const failedAt = clock.now()
      expect(store.health()).toEqual({
        ok: false,
        failingSince: failedAt,
        lastError: (error as Error).message,
        failedWrites: 1,
      })
      // The ports fail the same way on a full disk, and each failed write counts.
      await clock.advance(1000)
      const big = { channel: 'webhook', idempotencyKey: 'k', payload: 'x'.repeat(256 * 1024), createdAt: 1 }
      await expect(store.outbox.enqueue([big])).rejects.toMatchObject({ code: 'ERR_STORE_FULL' })
      expect(store.health()).toEqual({
        ok: false,
        failingSince: failedAt,
        lastError: 'enqueue failed on the SQLite store: database or disk is full',
        failedWrites: 2,
      })
      expect(JSON.stringify(store.health())).not.toContain(fs.dir)
      expect((await store.samples.recent(1))[0]?.value).toBe(k - 2)

      rmSync(ballast)
      await store.samples.append(batch(k))
      expect(store.health()).toMatchObject({ ok: true, failedWrites: 2 })
      expect(store.health().failingSince).toBeUndefined()
      expect((await store.samples.recent(1))[0]?.value).toBe(k)
      await store.outbox.enqueue([big])
      expect(await store.outbox.deliveries()).toHaveLength(1)
    } finally {
      await store?.close()
      fs.unmount()
    }
  })
  it('should refuse with ERR_STORE_CORRUPT when an unreadable file cannot be moved aside, so openStore falls back to memory', async () => {
    const fs = mountTmpfs('1m')
    try {
      const path = join(fs.dir, 'noa.db')
      writeFileSync(path, Buffer.alloc(64 * 1024, 0x5a))
      fs.remount('ro')
      const error = await createSqliteStore({ path }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'ERR_STORE_CORRUPT', path })
      expect((error as Error).message).toMatch(
        /^the SQLite store file is unreadable \(file is not a database\) and could not be moved aside: EROFS: read-only file system, rename '<store file>' -> '<store file>\.corrupt-\d{8}T\d{6}Z'$/,
      )
      const seen: string[] = []
      const store = await openStore(
        { type: 'sqlite', path },
        { fallbackToMemory: true, onFallback: (e) => seen.push(e.code) },
      )
      expect(store.type).toBe('memory')
      expect(seen).toEqual(['ERR_STORE_CORRUPT'])
      await store.close()
    } finally {
      fs.unmount()
    }
  })
  it('should reject writes on a read-only file system, say so in health(), and write again once it is read-write', async () => {
    const fs = mountTmpfs('4m')
    let store: Store | undefined
    try {
      const path = join(fs.dir, 'noa.db')
      // A store left by a crash (its -wal and -shm beside it) on a file system that then turned
      // read-only, as the kernel does after disk errors: SQLite can open it, but only to read.
      const crashed = runFixture('sqlite-crash.ts', [path])
      await crashed.waitFor(/^written$/)
      await stop(crashed.child, 'SIGKILL')
      fs.remount('ro')
      const clock = new FakeClock()
      store = await createSqliteStore({ path, clock })
      expect((await store.alerts.alerts()).map((a) => a.fingerprint)).toEqual(['fp-before-crash'])

      const error = await store.samples
        .append([{ name: 'up', labels: { service: 'api' }, value: 1, at: 2000 }])
        .catch((e: unknown) => e)
      expect(isStoreError(error)).toBe(true)
      expect(error).toMatchObject({
        code: 'ERR_STORE_PATH',
        retryable: true,
        path,
        message: 'append samples failed on the SQLite store: attempt to write a readonly database',
      })
      const failedAt = clock.now()
      expect(store.health()).toEqual({
        ok: false,
        failingSince: failedAt,
        lastError: (error as Error).message,
        failedWrites: 1,
      })
      await clock.advance(1000)
      // Still read-only: trying again fails again, and reads keep working.
      await expect(
        store.silences.saveSilence({ id: 's', matchers: [], startsAt: 0, endsAt: 5000, comment: '' }),
      ).rejects.toMatchObject({ code: 'ERR_STORE_PATH' })
      expect(store.health()).toMatchObject({ ok: false, failingSince: failedAt, failedWrites: 2 })
      expect(JSON.stringify(store.health())).not.toContain(fs.dir)
      expect(await store.samples.recent(5)).toHaveLength(1)

      fs.remount('rw')
      await store.samples.append([{ name: 'up', labels: { service: 'api' }, value: 1, at: 2000 }])
      expect(store.health()).toMatchObject({ ok: true, failedWrites: 2 })
      expect((await store.samples.recent(5)).map((s) => s.value)).toEqual([1, 0])
      await store.silences.saveSilence({ id: 's', matchers: [], startsAt: 0, endsAt: 5000, comment: '' })
      expect(await store.silences.silences()).toHaveLength(1)
      expect((await store.alerts.alerts()).map((a) => a.fingerprint)).toEqual(['fp-before-crash'])
    } finally {
      await store?.close()
      fs.unmount()
    }
  })
})
