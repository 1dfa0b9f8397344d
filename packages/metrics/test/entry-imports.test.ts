import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { entryImports } from '../../../config/entry-imports.ts'

const dir = join(import.meta.dirname, '..')

describe('what importing @noa/metrics loads', () => {
  it('should load no zod and no systeminformation up front: systeminformation only when the system collector needs it', async () => {
    const imports = await entryImports(dir, 'src/index.ts')
    expect(imports.static).toEqual([])
    expect(imports.dynamic).toEqual(['systeminformation'])
  })

  it('should keep hono out of the main entry and in @noa/metrics/hono', async () => {
    expect((await entryImports(dir, 'src/index.ts')).static).not.toContain('hono')
    expect((await entryImports(dir, 'src/hono.ts')).static).toEqual([])
  })

  it('should keep remote write in @noa/metrics/remote-write, with no dependency', async () => {
    expect((await entryImports(dir, 'src/remote-write.ts')).static).toEqual([])
    expect((await entryImports(dir, 'src/remote-write.ts')).dynamic).toEqual([])
  })
})
