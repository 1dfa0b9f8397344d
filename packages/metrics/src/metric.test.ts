import { ConfigError } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { Counter } from './counter.ts'
import { Gauge } from './gauge.ts'
import { Histogram } from './histogram.ts'

describe('Metric label lookup', () => {
  it('should keep thousands of overlapping label sets apart', () => {
    const counter = new Counter({ name: 'c', help: '', labelNames: ['x', 'y', 'z'], maxSeries: 20_000 })
    const sets: Array<{ x: string; y: string; z: string }> = []
    for (let i = 0; i < 60; i++)
      for (let j = 0; j < 60; j++) sets.push({ x: `v${i}`, y: `v${j}`, z: `v${(i * j) % 7}` })
    for (const [i, set] of sets.entries()) counter.inc(set, i)
    expect(counter.seriesCount).toBe(sets.length)
    for (const [i, set] of sets.entries()) expect(counter.get({ ...set })).toBe(i)
    for (const set of sets.slice(0, 1000)) expect(counter.remove(set)).toBe(true)
    expect(counter.get(sets[0]!)).toBeUndefined()
    expect(counter.get(sets[1000]!)).toBe(1000)
    counter.inc(sets[0]!, 5)
    expect(counter.get(sets[0]!)).toBe(5)
    expect(counter.seriesCount).toBe(sets.length - 999)
  })

  it('should forget the ids of values no series uses any more', () => {
    const counter = new Counter({ name: 'c', help: '', labelNames: ['k'] })
    counter.inc({ k: 'a' })
    counter.inc({ k: 'b' })
    expect(counter.remove({ k: 'a' })).toBe(true)
    counter.inc({ k: 'c' })
    counter.inc({ k: 'a' })
    expect([counter.get({ k: 'a' }), counter.get({ k: 'b' }), counter.get({ k: 'c' })]).toEqual([1, 1, 1])
    expect(counter.seriesCount).toBe(3)
  })

  it('should use the one series of a metric without labels for an empty label set', () => {
    const counter = new Counter({ name: 'c', help: '' })
    counter.inc({} as never)
    counter.inc({} as never, 2)
    counter.inc({ extra: 'x' } as never)
    expect(counter.get()).toBe(3)
    expect(counter.seriesCount).toBe(1)
    expect(counter.remove({} as never)).toBe(false)
    expect(counter.drops.get('extra_label')).toBe(1)
  })

  it('should keep label sets apart whatever characters their values hold', () => {
    const counter = new Counter({ name: 'c', help: '', labelNames: ['a', 'b'] })
    counter.inc({ a: 'x\u0000y', b: 'z' })
    counter.inc({ a: 'x', b: 'y\u0000z' })
    expect(counter.seriesCount).toBe(2)
    expect(counter.get({ a: 'x\u0000y', b: 'z' })).toBe(1)
  })
})

describe('Metric.addLabelNames', () => {
  it('should keep every series and its value when label names are added, writing empty values as absent', () => {
    const histogram = new Histogram<string>({ name: 'h', help: 'x', buckets: [1] })
    histogram.observe(0.5)
    histogram.addLabelNames(['route'])
    histogram.observe({ route: '/a' }, 2)
    histogram.observe({ route: '' }, 3)
    expect(histogram.get({ route: '' })).toEqual({ count: 2, sum: 3.5, buckets: { '1': 1, '+Inf': 2 } })
    expect(histogram.render('prometheus', false)).toBe(
      [
        '# HELP h x',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_bucket{le="+Inf"} 2',
        'h_sum 3.5',
        'h_count 2',
        'h_bucket{route="/a",le="1"} 0',
        'h_bucket{route="/a",le="+Inf"} 1',
        'h_sum{route="/a"} 2',
        'h_count{route="/a"} 1',
        '',
      ].join('\n'),
    )
  })

  it('should find the old series under their old values after a second widening', () => {
    const counter = new Counter<string>({ name: 'c', help: '', labelNames: ['a'] })
    counter.inc({ a: 'x' }, 1)
    counter.inc({ a: 'y' }, 2)
    counter.addLabelNames(['b'])
    counter.inc({ a: 'x', b: 'z' }, 5)
    counter.addLabelNames(['c'])
    counter.inc({ a: 'y', b: '', c: '' })
    expect(counter.get({ a: 'x', b: '', c: '' })).toBe(1)
    expect(counter.get({ a: 'y', b: '', c: '' })).toBe(3)
    expect(counter.get({ a: 'x', b: 'z', c: '' })).toBe(5)
    expect(counter.seriesCount).toBe(3)
    expect(counter.render('prometheus', false).split('\n').slice(2)).toEqual([
      'c_total{a="x"} 1',
      'c_total{a="y"} 3',
      'c_total{a="x",b="z"} 5',
      '',
    ])
    expect(counter.remove({ a: 'x', b: 'z', c: '' })).toBe(true)
    expect(counter.inc({ a: 'x' } as never)).toBeUndefined()
    expect(counter.drops.get('missing_label')).toBe(1)
  })

  it('should refuse a reserved or repeated label name and change nothing', () => {
    const histogram = new Histogram<string>({ name: 'h', help: '', labelNames: ['a'] })
    expect(() => histogram.addLabelNames(['le'])).toThrow(ConfigError)
    expect(() => histogram.addLabelNames(['a'])).toThrow(/listed twice/)
    expect(histogram.labelNames).toEqual(['a'])
  })

  it('should make a metric without label names hold no implicit series once opened with no names', () => {
    const gauge = new Gauge<string>({ name: 'g', help: '' })
    gauge.addLabelNames([])
    expect(gauge.remove({})).toBe(true)
    expect(gauge.render('prometheus', false)).toBe('# HELP g \n# TYPE g gauge\n')
    gauge.set({}, 4)
    expect(gauge.get({})).toBe(4)
    expect(gauge.render('prometheus', false)).toBe('# HELP g \n# TYPE g gauge\ng 4\n')
    gauge.reset()
    expect(gauge.seriesCount).toBe(0)
    gauge.set(1)
    expect(gauge.drops.get('missing_label')).toBe(1)
  })
})
