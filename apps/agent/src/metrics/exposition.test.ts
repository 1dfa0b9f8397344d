import { Registry } from '@noa/metrics'
import { describe, expect, it } from 'vitest'
import { sharedExposition } from './exposition.ts'

describe('sharedExposition', () => {
  it('answers scrapes that arrive during a render with that render, and renders again after', async () => {
    const registry = new Registry()
    let collects = 0
    registry.gauge({ name: 'collects', help: 'Collect callbacks run', collect: (g) => g.set(++collects) })
    const exposition = sharedExposition(registry)
    const render = async (format: 'prometheus' | 'openmetrics') =>
      Buffer.from(await exposition(format)).toString()
    const [a, b] = await Promise.all([render('prometheus'), render('prometheus')])
    expect(collects).toBe(1)
    expect(b).toBe(a)
    expect(a).toContain('collects 1\n')
    expect(await render('prometheus')).toContain('collects 2\n')
  })

  it('renders each format on its own', async () => {
    const registry = new Registry()
    let collects = 0
    registry.gauge({ name: 'collects', help: 'Collect callbacks run', collect: (g) => g.set(++collects) })
    const exposition = sharedExposition(registry)
    const render = async (format: 'prometheus' | 'openmetrics') =>
      Buffer.from(await exposition(format)).toString()
    const [text, open] = await Promise.all([render('prometheus'), render('openmetrics')])
    expect(collects).toBe(2)
    expect(text.endsWith('# EOF\n')).toBe(false)
    expect(open.endsWith('# EOF\n')).toBe(true)
  })
})
