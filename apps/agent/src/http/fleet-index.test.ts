import { describe, expect, it } from 'vitest'
import { decodeServiceCursor, encodeServiceCursor, FleetIndex } from './fleet-index.ts'

function fleet(n: number) {
  const index = new FleetIndex()
  index.configure(
    Array.from({ length: n }, (_, i) => ({
      name: `svc-${String(i).padStart(5, '0')}`,
      critical: i % 10 === 0,
      group: i % 2 === 0 ? 'even' : 'odd',
      tags: i % 3 === 0 ? ['three', 'x'] : ['x'],
    })),
  )
  return index
}

describe('FleetIndex', () => {
  it('should page through every service in name order with the cursor, none twice and none missed', () => {
    const index = fleet(2503)
    const seen: string[] = []
    let after: string | undefined
    let pages = 0
    for (;;) {
      const page = index.query({}, { limit: 1000, ...(after === undefined ? {} : { after }) })
      expect(page.total).toBe(2503)
      seen.push(...page.services.map((s) => s.name))
      pages++
      if (page.next === null) break
      after = decodeServiceCursor(page.next)
    }
    expect(pages).toBe(3)
    expect(seen).toEqual([...seen].sort())
    expect(new Set(seen).size).toBe(2503)
  })

  it('should filter by state, critical, every tag, group and part of the name, and count all matches', () => {
    const index = fleet(100)
    index.update('svc-00003', { state: 'error' })
    index.update('svc-00010', { state: 'unhealthy' })
    index.update('svc-00011', { state: 'healthy' })
    const names = (r: { services: Array<{ name: string }> }) => r.services.map((s) => s.name)
    expect(names(index.query({ states: new Set(['error', 'unhealthy']) }, { limit: 10 }))).toEqual([
      'svc-00003',
      'svc-00010',
    ])
    expect(index.query({ critical: true }, { limit: 100 }).total).toBe(10)
    expect(index.query({ tags: ['three', 'x'] }, { limit: 100 }).total).toBe(34)
    expect(index.query({ tags: ['three', 'nope'] }, { limit: 100 }).total).toBe(0)
    expect(index.query({ group: 'odd', critical: true }, { limit: 100 }).total).toBe(0)
    const q = index.query({ q: 'SVC-0009' }, { limit: 3 })
    expect(q).toEqual({ services: q.services, total: 10, next: encodeServiceCursor('svc-00092') })
    expect(names(q)).toEqual(['svc-00090', 'svc-00091', 'svc-00092'])
  })

  it('should keep a page stable when the cursor names a service that was removed since', () => {
    const index = fleet(10)
    const first = index.query({}, { limit: 4 })
    index.configure(
      Array.from({ length: 10 }, (_, i) => ({
        name: `svc-${String(i).padStart(5, '0')}`,
        critical: false,
      })).filter((s) => s.name !== 'svc-00003'),
    )
    const second = index.query({}, { limit: 4, after: decodeServiceCursor(first.next!)! })
    expect(second.services.map((s) => s.name)).toEqual(['svc-00004', 'svc-00005', 'svc-00006', 'svc-00007'])
  })

  it('should refuse cursors it did not make', () => {
    expect(decodeServiceCursor(encodeServiceCursor('a.b'))).toBe('a.b')
    expect(decodeServiceCursor('not a cursor')).toBeUndefined()
    expect(decodeServiceCursor(Buffer.from('x:abc').toString('base64url'))).toBeUndefined()
    expect(decodeServiceCursor('')).toBeUndefined()
  })

  it('should gather changes into one bounded batch, and not count a new latency as a change', () => {
    const index = fleet(3)
    expect(index.takeChanges(10).changed).toBe(3) // new services are news
    expect(index.update('svc-00001', { latencyMs: 12, lastCheckAt: 5 })).toBe(false)
    expect(index.get('svc-00001')?.latencyMs).toBe(12)
    expect(index.takeChanges(10)).toEqual({ services: [], removed: [], truncated: false, changed: 0 })
    index.update('svc-00002', { state: 'error', message: 'refused' })
    index.update('svc-00000', { flapping: true })
    index.update('svc-00002', { state: 'unhealthy' })
    const batch = index.takeChanges(10)
    expect(batch.services.map((s) => [s.name, s.state])).toEqual([
      ['svc-00000', 'unknown'],
      ['svc-00002', 'unhealthy'],
    ])
    index.configure([{ name: 'svc-00000', critical: true }])
    expect(index.takeChanges(10)).toMatchObject({ removed: ['svc-00001', 'svc-00002'], changed: 3 })
  })

  it('should send no list when more changed than a batch holds', () => {
    const index = fleet(50)
    const batch = index.takeChanges(20)
    expect(batch).toEqual({ services: [], removed: [], truncated: true, changed: 50 })
    expect(index.takeChanges(20).changed).toBe(0)
  })

  it('should count states, critical ones down, groups and tags, bounded to the biggest', () => {
    const index = fleet(30)
    index.update('svc-00000', { state: 'error' })
    index.update('svc-00001', { state: 'healthy' })
    const counts = index.counts(1)
    expect(counts).toMatchObject({
      total: 30,
      counts: { healthy: 1, unhealthy: 0, error: 1, unknown: 28 },
      down: 1,
      criticalDown: 1,
      maintenance: 0,
      ungrouped: 0,
      groups: [{ name: 'even', total: 15, down: 1, unknown: 14, maintenance: 0 }],
      tags: [{ name: 'x', total: 30, down: 1, unknown: 28, maintenance: 0 }],
      omitted: { groups: 1, tags: 1 },
    })
    expect(index.counts(1)).toBe(counts) // nothing changed: the same counts, not a new walk
    index.update('svc-00001', { state: 'unknown' })
    expect(index.counts(1).counts.healthy).toBe(0)
  })

  it('should not count a service in maintenance as down, though its state stays as checked', () => {
    const index = fleet(4)
    for (const name of index.names()) index.update(name, { state: 'healthy' })
    index.update('svc-00000', { state: 'error' }) // critical, group even, tags three and x
    index.update('svc-00001', { state: 'unhealthy' }) // not critical, group odd
    expect(index.counts()).toMatchObject({ down: 2, criticalDown: 1, maintenance: 0 })
    const window = { id: 'mnt_1', reason: 'disk swap', endsAt: null }
    expect(index.update('svc-00000', { maintenance: window })).toBe(true)
    index.update('svc-00002', { maintenance: window }) // healthy and in maintenance: counted there only
    const during = index.counts()
    expect(during).toMatchObject({
      counts: { healthy: 2, unhealthy: 1, error: 1, unknown: 0 },
      down: 1,
      criticalDown: 0,
      maintenance: 2,
      groups: [
        { name: 'even', total: 2, down: 0, unknown: 0, maintenance: 2 },
        { name: 'odd', total: 2, down: 1, unknown: 0, maintenance: 0 },
      ],
    })
    expect(during.tags.find((t) => t.name === 'three')).toEqual({
      name: 'three',
      total: 2,
      down: 0,
      unknown: 0,
      maintenance: 1,
    })
    // The window ends: down again.
    index.update('svc-00000', { maintenance: undefined })
    index.update('svc-00002', { maintenance: undefined })
    expect(index.counts()).toMatchObject({ down: 2, criticalDown: 1, maintenance: 0 })
  })
})
