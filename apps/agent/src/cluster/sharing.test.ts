import { FakeClock, type LeaseStore, noopLogger } from '@noa/core'
import { createHealthMonitor, type HealthMonitor } from '@noa/health'
import { createMemoryStore, type Store } from '@noa/store'
import { afterEach, describe, expect, it } from 'vitest'
import { CheckSharing } from './sharing.ts'

const SERVICES = ['api', 'db', 'cache', 'queue', 'search', 'mail', 'worker', 'cron']
const TTL = 3_000

function monitor(clock: FakeClock): HealthMonitor {
  return createHealthMonitor({
    clock,
    services: SERVICES.map((name) => ({
      name,
      check: { type: 'http', url: `http://127.0.0.1:9/${name}` },
      retries: 0,
    })),
  })
}

describe('CheckSharing', () => {
  const stores: Store[] = []
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close()
  })

  function member(agentId: string, store: Store, clock: FakeClock, leases: LeaseStore = store.leases) {
    const health = monitor(clock)
    const sharing = new CheckSharing({
      leases,
      checks: store.checks,
      health,
      agentId,
      ttlMs: TTL,
      pinned: (service) => service === 'cron',
      clock,
      logger: noopLogger,
    })
    return { health, sharing }
  }

  /** Agents a and b on one store and one clock. */
  function twoMembers() {
    const clock = new FakeClock()
    const store = createMemoryStore()
    stores.push(store)
    return { clock, store, a: member('agent-a', store, clock), b: member('agent-b', store, clock) }
  }

  it('should split the services among the live members, keep pinned ones on each, and move a dead member’s share', async () => {
    const { clock, a, b } = twoMembers()

    // Alone, a member checks everything.
    await a.sharing.renew()
    expect(SERVICES.every((s) => a.sharing.owns(s) && a.health.checksHere(s))).toBe(true)

    await b.sharing.renew()
    await a.sharing.renew()
    expect(a.sharing.members).toEqual(['agent-a', 'agent-b'])
    expect(b.sharing.members).toEqual(['agent-a', 'agent-b'])
    for (const s of SERVICES.filter((s) => s !== 'cron')) {
      expect(a.sharing.owns(s)).not.toBe(b.sharing.owns(s))
      expect(a.health.checksHere(s)).toBe(a.sharing.owns(s))
    }
    expect(a.sharing.owns('cron') && b.sharing.owns('cron')).toBe(true)
    expect(a.sharing.checkedHere + b.sharing.checkedHere).toBe(SERVICES.length + 1)
    expect(a.sharing.checkedHere).toBeGreaterThan(1)
    expect(b.sharing.checkedHere).toBeGreaterThan(1)

    // b dies: once its membership runs out, a takes its services back.
    await clock.advance(TTL / 2)
    await a.sharing.renew()
    expect(a.sharing.members).toHaveLength(2)
    await clock.advance(TTL)
    await a.sharing.renew()
    expect(a.sharing.members).toEqual(['agent-a'])
    expect(SERVICES.every((s) => a.sharing.owns(s))).toBe(true)

    // A member that leaves hands its share over at the others' next renewal, without the TTL.
    await b.sharing.renew()
    await a.sharing.renew()
    expect(a.sharing.members).toHaveLength(2)
    await b.sharing.leave()
    await a.sharing.renew()
    expect(a.sharing.members).toEqual(['agent-a'])
  })

  it('should apply the other members’ results of the services it does not check, each through its thresholds', async () => {
    const { clock, store, a, b } = twoMembers()
    await a.sharing.renew()
    await b.sharing.renew()
    await a.sharing.renew()
    const theirs = SERVICES.find((s) => b.sharing.owns(s) && !a.sharing.owns(s))!
    const mine = SERVICES.find((s) => a.sharing.owns(s) && s !== 'cron')!

    await a.sharing.mirror() // the first read: the latest of each (none yet)
    await clock.advance(1_000)
    for (const service of [theirs, mine])
      await store.checks.append({ service, state: 'unhealthy', at: clock.now(), durationMs: 2, attempts: 1 })
    await a.sharing.mirror()
    expect(a.health.status(theirs).state).toBe('unhealthy')
    // What this agent checks itself is its own to judge.
    expect(a.health.status(mine).state).toBe('unknown')

    // A result written late, within the overlap, still arrives; one older than the latest does not count.
    await clock.advance(1_000)
    await store.checks.append({
      service: theirs,
      state: 'healthy',
      at: clock.now() - 1_500,
      durationMs: 2,
      attempts: 1,
    })
    await a.sharing.mirror()
    expect(a.health.status(theirs).state).toBe('unhealthy')
    await store.checks.append({
      service: theirs,
      state: 'healthy',
      at: clock.now() - 500,
      durationMs: 2,
      attempts: 1,
    })
    await a.sharing.mirror()
    expect(a.health.status(theirs).state).toBe('healthy')
  })

  it('should check everything while the store cannot say who the members are', async () => {
    const clock = new FakeClock()
    const store = createMemoryStore()
    stores.push(store)
    const failing: LeaseStore = {
      ...store.leases,
      acquireLease: () => Promise.reject(new Error('connection refused')),
    }
    const a = member('agent-a', store, clock, failing)
    await a.sharing.renew()
    expect(SERVICES.every((s) => a.sharing.owns(s) && a.health.checksHere(s))).toBe(true)
  })
})
