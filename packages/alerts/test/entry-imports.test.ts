import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { entryImports } from '../../../config/entry-imports.ts'

const dir = join(import.meta.dirname, '..')

describe('what importing @noa/alerts loads', () => {
  it('should load nodemailer only when an email is sent', async () => {
    const imports = await entryImports(dir, 'src/index.ts')
    expect(imports.static).not.toContain('nodemailer')
    expect(imports.dynamic).toEqual(['nodemailer'])
  })

  it('should load no third-party package from @noa/alerts/testing', async () => {
    expect(await entryImports(dir, 'src/testing/index.ts')).toEqual({ static: [], dynamic: [] })
  })

  // The engine validates the rules and channel options it is given (a user's configuration) with
  // the schemas the agent's config loader uses, so one set of rules and messages holds everywhere.
  it('should load zod and nothing else up front from the main entry', async () => {
    expect((await entryImports(dir, 'src/index.ts')).static).toEqual(['zod'])
  })
})
