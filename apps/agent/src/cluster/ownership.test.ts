import { describe, expect, it } from 'vitest'
import { ownerOf, shareOf } from './ownership.ts'

const services = Array.from({ length: 3000 }, (_, i) => `svc-${i}`)

describe('ownerOf', () => {
  it('should give every service to exactly one member, about evenly', () => {
    const members = ['agent-a', 'agent-b', 'agent-c']
    const shares = members.map((m) => shareOf(m, services, members))
    expect(shares.reduce((n, s) => n + s.size, 0)).toBe(services.length)
    for (const share of shares) expect(share.size).toBeGreaterThan(850)
    expect(ownerOf('svc-1', [])).toBeUndefined()
  })

  it('should move only the services of a member that leaves, and only to the others', () => {
    const three = ['agent-a', 'agent-b', 'agent-c']
    const two = ['agent-a', 'agent-b']
    const moved = services.filter((s) => ownerOf(s, three) !== ownerOf(s, two))
    expect(moved.every((s) => ownerOf(s, three) === 'agent-c')).toBe(true)
    expect(moved.length).toBe(shareOf('agent-c', services, three).size)
    // The same answer whatever the order the members are listed in.
    expect(services.every((s) => ownerOf(s, three) === ownerOf(s, [...three].reverse()))).toBe(true)
  })
})
