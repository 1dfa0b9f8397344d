import { isNoaError } from '@noa/core'
import { describe, expect, it, vi } from 'vitest'
import { ExpressionError } from './expression/parse.ts'
import { SilenceStoreError } from './silence-sync.ts'
import { TemplateFieldError } from './template.ts'

// A second copy of each module stands for the CommonJS build, or a second installed version.
async function copies() {
  vi.resetModules()
  const [parse, silences, template] = await Promise.all([
    import('./expression/parse.ts'),
    import('./silence-sync.ts'),
    import('./template.ts'),
  ])
  return { parse, silences, template }
}

describe('the errors of @noa/alerts', () => {
  it('should be recognised when thrown by another copy of the package, each as its own class', async () => {
    const copy = await copies()
    expect(copy.parse.ExpressionError).not.toBe(ExpressionError)
    const expression: unknown = new copy.parse.ExpressionError('cpu', 3, 'unexpected ")"')
    const silence: unknown = new copy.silences.SilenceStoreError('add a silence', new Error('disk full'))
    const template: unknown = new copy.template.TemplateFieldError('$lables.service', ['$labels.*'])
    expect(expression instanceof ExpressionError).toBe(true)
    expect(silence instanceof SilenceStoreError).toBe(true)
    expect(template instanceof TemplateFieldError).toBe(true)
    expect([expression, silence, template].every(isNoaError)).toBe(true)
    expect(expression instanceof SilenceStoreError || template instanceof ExpressionError).toBe(false)
    expect((template as TemplateFieldError).code).toBe('ERR_TEMPLATE_FIELD')
    expect((template as TemplateFieldError).name).toBe('TemplateFieldError')
  })
})
