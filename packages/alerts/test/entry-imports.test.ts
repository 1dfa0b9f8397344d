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

  // The engine still validates rules and channel options with the zod schemas when it is built;
  // moving that validation out of the main entry is the next step of the smaller-bundle work.
  it.todo('should load no zod from the main entry')
})
