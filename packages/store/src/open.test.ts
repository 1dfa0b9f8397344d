import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isConfigError } from '@noa/core'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { StoreError } from './errors.ts'
import { openStore, storeConfigSchema } from './open.ts'

const root = mkdtempSync(join(tmpdir(), 'noa-open-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('openStore', () => {
  it('should open the backend its type names', async () => {
    const memory = await openStore({ type: 'memory' })
    expect(memory.type).toBe('memory')
    await memory.close()
    const sqlite = await openStore({ type: 'sqlite', path: join(root, 'a', 'noa.db') })
    expect(sqlite.type).toBe('sqlite')
    await sqlite.close()
  })

  it('should refuse an unknown type naming the allowed ones', async () => {
    const error = await openStore({ type: 'mongo' } as never).catch((e: unknown) => e)
    expect(isConfigError(error)).toBe(true)
    expect((error as Error).message).toBe(
      'store.type: must be one of memory, sqlite, postgres; found "mongo"',
    )
    await expect(openStore(undefined as never)).rejects.toThrow('found nothing')
  })

  it('should fall back to an in-memory recent window when asked, and say why', async () => {
    const file = join(root, 'file')
    writeFileSync(file, 'x')
    const path = join(file, 'noa.db')
    await expect(openStore({ type: 'sqlite', path })).rejects.toThrow('cannot open the SQLite store: EEXIST')
    const seen: StoreError[] = []
    const logged: unknown[] = []
    const logger = { debug() {}, info() {}, warn() {}, error: (_m: string, f?: unknown) => logged.push(f) }
    const store = await openStore(
      { type: 'sqlite', path },
      { fallbackToMemory: true, onFallback: (e) => seen.push(e), logger },
    )
    expect(store.type).toBe('memory')
    expect(seen[0]?.path).toBe(path)
    expect(logged[0]).toMatchObject({ type: 'sqlite', path })
    await store.samples.append([{ name: 'x', value: 1, at: 1 }])
    expect(await store.samples.recent(1)).toHaveLength(1)
    await store.close()
  })

  it('should not hide a configuration error behind the fallback', async () => {
    await expect(openStore({ type: 'sqlite', path: '' }, { fallbackToMemory: true })).rejects.toThrow(
      /store\.path/,
    )
  })

  it('should refuse options it does not know, with the one it is a typo of', async () => {
    const error = await openStore({
      type: 'sqlite',
      path: join(root, 'b.db'),
      busyTimeout: 5,
    } as never).catch((e: unknown) => e)
    expect(isConfigError(error) && error.issues).toEqual([
      { path: 'store.busyTimeout', message: 'unknown key; did you mean busyTimeoutMs?' },
    ])
    const parsed = storeConfigSchema.safeParse({ type: 'memory', retention: { sample: 1 } })
    expect(parsed.success).toBe(false)
  })

  it('should validate a store section of the configuration', () => {
    expect(
      storeConfigSchema.safeParse({ type: 'sqlite', path: 'data/noa.db', retention: { samples: 7 } }).success,
    ).toBe(true)
    expect(
      storeConfigSchema.safeParse({ type: 'postgres', connectionString: 'postgres://x', schema: 'noa' })
        .success,
    ).toBe(true)
    expect(storeConfigSchema.safeParse({ type: 'postgres', schema: 'x; DROP' }).success).toBe(false)
    const jsonSchema = JSON.stringify(z.toJSONSchema(storeConfigSchema))
    expect(jsonSchema).toContain('"connectionString"')
    expect(jsonSchema).not.toContain('"pool"')
  })
})
