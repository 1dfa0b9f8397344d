import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseExposition } from './parse.ts'

const root = join(import.meta.dirname, 'fixtures', 'openmetrics', 'parsers')
const cases = readdirSync(root)
  .sort()
  .map((dir) => {
    const meta = JSON.parse(readFileSync(join(root, dir, 'test.json'), 'utf8')) as {
      file: string
      shouldParse: boolean
    }
    return { dir, shouldParse: meta.shouldParse, text: readFileSync(join(root, dir, meta.file), 'utf8') }
  })

describe('parseExposition (OpenMetrics parser suite)', () => {
  it('should hold the 211 cases of the OpenMetrics project (44 good, 167 bad)', () => {
    expect(cases.filter((c) => c.shouldParse)).toHaveLength(44)
    expect(cases.filter((c) => !c.shouldParse)).toHaveLength(167)
  })

  it.each(cases.filter((c) => c.shouldParse))('should accept $dir', ({ text }) => {
    const result = parseExposition(text, { format: 'openmetrics' })
    expect(result.ok ? 'accepted' : result.error).toBe('accepted')
  })

  it.each(cases.filter((c) => !c.shouldParse))('should reject $dir with a line number', ({ text }) => {
    const result = parseExposition(text, { format: 'openmetrics' })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.line).toBeGreaterThanOrEqual(0)
      expect(result.error.message.length).toBeGreaterThan(0)
    }
  })
})
