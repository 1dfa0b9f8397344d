import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStore } from './stores/sqlite/index.ts'
import { withRecentWindow } from './window.ts'

const root = mkdtempSync(join(tmpdir(), 'noa-window-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function recorder() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = []
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    lines.push({ level, msg, fields })
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}

describe('withRecentWindow', () => {
  it('should keep running on the window when the disk is full, counting and logging the loss once', async () => {
    const path = join(root, 'full', 'noa.db')
    const { lines, logger } = recorder()
    const store = withRecentWindow(await createSqliteStore({ path, maxSizeBytes: 512 * 1024 }), { logger })
    let i = 0
    while (store.stats().dropped === 0 && i < 200) {
      await store.samples.append(
        Array.from({ length: 500 }, (_, j) => ({
          name: 'fill',
          labels: { j: String(j) },
          value: i,
          at: i * 1000 + j,
        })),
      )
      i++
    }
    expect(store.stats().dropped).toBe(500)
    await store.samples.append(
      Array.from({ length: 500 }, (_, j) => ({
        name: 'fill',
        labels: { j: String(j) },
        value: i,
        at: i * 1000 + j,
      })),
    )
    expect(store.stats().dropped).toBe(1000)
    const errors = lines.filter((l) => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.fields).toMatchObject({ what: 'samples', path })
    // The store still answers with what it holds; the newest samples are in the window only.
    expect((await store.samples.recent(1, { name: 'fill' }))[0]?.value).toBeLessThan(i - 1)
    // Small writes still fit: the store says so once.
    await store.checks.append({ service: 'api', state: 'healthy', at: 5000, durationMs: 1, attempts: 1 })
    expect(lines.filter((l) => l.msg === 'store writes work again')).toHaveLength(1)
    await store.close()
  })

  it('should pass bad queries, a closed store and the ports through unchanged', async () => {
    const primary = await createSqliteStore({ path: join(root, 'plain', 'noa.db') })
    const store = withRecentWindow(primary)
    expect(store.outbox).toBe(primary.outbox)
    expect(store.leases).toBe(primary.leases)
    expect(store.type).toBe('sqlite')
    await expect(store.samples.range({ name: 'x', start: 0, end: 1, step: 0 })).rejects.toThrow(
      /step must be/,
    )
    await expect(store.samples.append([{ name: '', value: 1, at: 1 }])).rejects.toThrow(/samples\[0\]\.name/)
    await store.samples.append([{ name: 'x', value: 1, at: 1000 }])
    expect((await store.maintain(10_000)).complete).toBe(true)
    await store.flush()
    await store.close()
    await expect(primary.samples.recent(1)).rejects.toThrow(/closed/)
  })
})
