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

  it('should load the schemas and no checker from @noa/health/config (no client, even lazily)', async () => {
    expect(await entryImports(dir, 'src/schemas.ts')).toEqual({ static: ['zod'], dynamic: [] })
  })

  // The monitor validates the services it is given (a user's configuration) with the same schemas
  // the agent's config loader uses, so one set of rules and messages holds everywhere. zod is the
  // main entry's one third-party package besides the http checker's JSON path reader; a service
  // that only serves /health imports @noa/health/endpoint, which loads nothing.
  it('should load zod and the JSON path reader and nothing else up front from the main entry', async () => {
    expect((await entryImports(dir, 'src/index.ts')).static).toEqual(['jsonpath-plus', 'zod'])
  })
})
