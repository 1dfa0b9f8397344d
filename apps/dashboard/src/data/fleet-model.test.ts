import { describe, expect, it } from 'vitest'
import { fleetService } from '../test-utils/fixtures.ts'
import { applyDelta, fleetPath, groupRows, matchesQuery } from './fleet-model.ts'

const names = (list: ReadonlyArray<{ name: string }>) => list.map((s) => s.name)

describe('fleetPath', () => {
  it('should ask the agent for the query, trimmed and bounded, with the page', () => {
    expect(fleetPath({}, { limit: 1000 })).toBe('/api/services?limit=1000')
    expect(
      fleetPath(
        { q: '  Api ', states: ['unhealthy', 'error'], tag: 'eu', group: 'web' },
        { limit: 48, cursor: 'abc' },
      ),
    ).toBe('/api/services?state=unhealthy%2Cerror&tag=eu&group=web&q=Api&limit=48&cursor=abc')
    expect(fleetPath({ q: 'x'.repeat(100) }, { limit: 1 })).toBe(`/api/services?q=${'x'.repeat(64)}&limit=1`)
  })
})

describe('matchesQuery', () => {
  it('should judge state, tag, group and a case-insensitive part of the name together', () => {
    const s = fleetService({ name: 'Pay-API', state: 'error', tags: ['eu'], group: 'web' })
    expect(matchesQuery(s, { q: 'pay-a', states: ['error'], tag: 'eu', group: 'web' })).toBe(true)
    expect(matchesQuery(s, { states: ['healthy'] })).toBe(false)
    expect(matchesQuery(s, { tag: 'us' })).toBe(false)
    expect(matchesQuery(s, { group: 'db' })).toBe(false)
    expect(matchesQuery(s, { q: 'cart' })).toBe(false)
  })
})

describe('applyDelta', () => {
  const list = ['a', 'c', 'e'].map((name) => fleetService({ name }))

  it('should replace changed services in place and drop removed ones', () => {
    const r = applyDelta(
      list,
      {
        services: [fleetService({ name: 'c', state: 'error' })],
        removed: ['e'],
        truncated: false,
        changed: 2,
      },
      {},
      true,
    )
    expect(r.services.map((s) => [s.name, s.state])).toEqual([
      ['a', 'healthy'],
      ['c', 'error'],
    ])
    expect([r.totalDelta, r.refetch]).toEqual([-1, false])
  })

  it('should move services in and out of a state filter, in name order', () => {
    const down = applyDelta(
      [fleetService({ name: 'c', state: 'error' })],
      {
        services: [fleetService({ name: 'c' }), fleetService({ name: 'b', state: 'unhealthy' })],
        removed: [],
        truncated: false,
        changed: 2,
      },
      { states: ['unhealthy', 'error'] },
      true,
    )
    expect(names(down.services)).toEqual(['b'])
    expect(down.totalDelta).toBe(0)
    const more = applyDelta(
      list,
      {
        services: [fleetService({ name: 'b' }), fleetService({ name: 'z' })],
        removed: [],
        truncated: false,
        changed: 2,
      },
      {},
      true,
    )
    expect(names(more.services)).toEqual(['a', 'b', 'c', 'e', 'z'])
    // A list still loading gets new services with its later pages, but counts them.
    const partial = applyDelta(
      list,
      { services: [fleetService({ name: 'b' })], removed: [], truncated: false, changed: 1 },
      {},
      false,
    )
    expect([names(partial.services), partial.totalDelta]).toEqual([['a', 'c', 'e'], 1])
  })

  it('should ask for the list again when the delta was too big to send', () => {
    const r = applyDelta(list, { services: [], removed: [], truncated: true, changed: 9000 }, {}, true)
    expect(r).toEqual({ services: list, totalDelta: 0, refetch: true })
  })
})

describe('groupRows', () => {
  it('should head each group, by name, with its count and how many are down, ungrouped last', () => {
    const rows = groupRows([
      fleetService({ name: 'a', group: 'web' }),
      fleetService({ name: 'b' }),
      fleetService({ name: 'c', group: 'db', state: 'error' }),
      fleetService({ name: 'd', group: 'web', state: 'unhealthy' }),
    ])
    expect(
      rows.map((r) => (r.kind === 'group' ? `# ${r.name} ${r.count}/${r.down}` : r.service.name)),
    ).toEqual(['# db 1/1', 'c', '# web 2/1', 'a', 'd', '# Ungrouped 1/0', 'b'])
  })

  it('should not count a down service in maintenance as down in its heading, but as in maintenance', () => {
    const window = { id: 'mnt_1', reason: 'disk swap', endsAt: null }
    const rows = groupRows([
      fleetService({ name: 'a', group: 'web', state: 'error', maintenance: window }),
      fleetService({ name: 'b', group: 'web', state: 'error' }),
      fleetService({ name: 'c', group: 'web', maintenance: window }),
    ])
    expect(rows[0]).toMatchObject({ kind: 'group', name: 'web', count: 3, down: 1, maintenance: 2 })
  })

  it('should list services without headings when none has a group', () => {
    expect(groupRows([fleetService({ name: 'a' }), fleetService({ name: 'b' })]).map((r) => r.kind)).toEqual([
      'service',
      'service',
    ])
  })
})
