import { join } from 'node:path'
import { expect, it } from 'vitest'
import { entryImports } from '../../../config/entry-imports.ts'

it('should load no third-party package: @noa/core has no dependencies', async () => {
  expect(await entryImports(join(import.meta.dirname, '..'), 'src/index.ts')).toEqual({
    static: [],
    dynamic: [],
  })
})
