import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { entryImports } from '../../../config/entry-imports.ts'

const dir = join(import.meta.dirname, '..')

describe('what importing @noa/health loads', () => {
  it('should load the database and broker clients only when a check of theirs runs', async () => {
    const imports = await entryImports(dir, 'src/index.ts')
    for (const client of ['amqplib', 'mqtt', 'mysql2', 'pg', 'redis'])
      expect(imports.static).not.toContain(client)
    expect(imports.dynamic).toEqual(['amqplib', 'mqtt', 'mysql2', 'pg', 'redis'])
  })

  it('should load no third-party package from @noa/health/endpoint (no checker, no zod)', async () => {
    expect(await entryImports(dir, 'src/endpoint.ts')).toEqual({ static: [], dynamic: [] })
  })

  // The monitor still validates its options with the zod schemas when it is built; moving that
  // validation out of the main entry is the next step of the smaller-bundle work.
  it.todo('should load no zod from the main entry')
})
