import type { SloFacts } from '@noa/alerts'
import { FakeClock } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import { createHealthMonitor } from '@noa/health'
import { describe, expect, it } from 'vitest'
import type { MetricsRound } from '../metrics/round.ts'
import { ruleContext } from './facts.ts'

/** A real monitor (results reported by hand); healing and the round reduced to what the facts read. */
function world() {
  const clock = new FakeClock()
  const health = createHealthMonitor({
    clock,
    services: ['a', 'b', 'c'].map((name) => ({
      name,
      check: { type: 'http' as const, url: `http://127.0.0.1:1/${name}` },
      ...(name === 'c' ? { dependsOn: ['a'] } : {}),
    })),
  })
  const degraded = new Set<string>()
  const healing = {
    guardState: (s: string) => ({ circuit: 'closed', degraded: degraded.has(s), healingFailed: false }),
  } as unknown as HealingEngine
  const round = { latest: undefined, samples: [], scrapeLimited: () => undefined } as unknown as MetricsRound
  const escalations = new Map<string, string>()
  const slos = new Map<string, SloFacts>()
  const read = (last?: Awaited<ReturnType<typeof ruleContext>>['services']) =>
    ruleContext({
      health,
      healing,
      round,
      escalations,
      agent: { storeUnavailable: false } as never,
      last,
      slo: (s) => slos.get(s),
    })
  return { health, degraded, escalations, slos, read }
}

describe('ruleContext', () => {
  it('should keep the entry of a service whose facts did not change, and make a new one for each that did', async () => {
    const { health, degraded, escalations, read } = world()
    for (const name of ['a', 'b', 'c']) health.report(name, { state: 'healthy' })
    const first = (await read()).services!
    const same = (await read(first)).services!
    expect(same.a).toBe(first.a)
    expect(same.b).toBe(first.b)
    expect(same.c).toBe(first.c)

    health.report('a', { state: 'error', message: 'down' })
    degraded.add('b')
    const next = (await read(same)).services!
    expect(next.a).not.toBe(same.a)
    expect(next.a).toMatchObject({ state: 'error', failures: 1 })
    expect(next.b).toMatchObject({ state: 'healthy', degraded: true })
    // c depends on a: its blockedBy changed without a result of its own.
    expect(next.c).toMatchObject({ state: 'healthy', blockedBy: ['a'] })
    expect(next.c).not.toBe(same.c)

    escalations.set('b', 'restart budget spent')
    const last = (await read(next)).services!
    expect(last.b).toMatchObject({ degraded: true, escalation: 'restart budget spent' })
    expect(last.a).toBe(next.a)
    expect(last.c).toBe(next.c)
  })

  it("should carry a service's SLO facts, and a new entry only when the tracker gave new ones", async () => {
    const { health, slos, read } = world()
    for (const name of ['a', 'b', 'c']) health.report(name, { state: 'healthy' })
    const facts: SloFacts = { budgetRemaining: 0.5, burnRates: { '1h': 20, '5m': 16 } }
    slos.set('a', facts)
    const first = (await read()).services!
    expect(first.a?.slo).toBe(facts)
    expect(first.b?.slo).toBeUndefined()
    const same = (await read(first)).services!
    expect(same.a).toBe(first.a)
    slos.set('a', { ...facts, heldTrigger: 'deployment-failure' })
    const next = (await read(same)).services!
    expect(next.a).not.toBe(same.a)
    expect(next.a?.slo?.heldTrigger).toBe('deployment-failure')
    expect(next.b).toBe(same.b)
  })
})
