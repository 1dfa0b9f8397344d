import { FakeClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import { startMaintenance } from '../../maintenance.ts'
import { storeContract } from '../../testing/contract.ts'
import { createMemoryStore } from './index.ts'

storeContract('memory', async (options) => createMemoryStore(options), { describe, it, expect, afterEach })

describe('createMemoryStore', () => {
  it('should refuse bad options, listing every problem with the value found', () => {
    expect(() => createMemoryStore({ retention: { samples: -1 }, maxPointsPerSeries: 0 } as never)).toThrow(
      /store\.retention\.samples: .*\n?[\s\S]*store\.maxPointsPerSeries/,
    )
  })

  it('should keep a bounded recent window per series', async () => {
    const store = createMemoryStore({ maxPointsPerSeries: 3, maxSnapshots: 2, maxCheckResults: 2 })
    await store.samples.append([5, 1, 2, 3, 4].map((i) => ({ name: 'x', value: i, at: i * 1000 })))
    expect((await store.samples.recent(10)).map((s) => s.at)).toEqual([5000, 4000, 3000])
    for (let i = 0; i < 3; i++)
      await store.snapshots.append({
        timestamp: new Date(i * 1000).toISOString(),
        system: {},
        application: {},
        business: {},
        custom: {},
      })
    expect(await store.snapshots.recent(5)).toHaveLength(2)
    for (let i = 0; i < 3; i++) {
      const result = { service: 'a', state: 'healthy' as const, at: i, durationMs: 1, attempts: 1 }
      await store.checks.append(result)
      await store.checks.appendChange({ service: 'a', from: 'unknown', to: 'healthy', at: i, result })
    }
    expect(await store.checks.results()).toHaveLength(2)
    expect(await store.checks.changes()).toHaveLength(2)
  })

  it('should keep at most maxDrills runs, letting the one that started first go', async () => {
    const store = createMemoryStore({ maxDrills: 2 })
    for (const [id, at] of [
      ['b', 2000],
      ['a', 1000],
      ['c', 3000],
    ] as const)
      await store.drills.saveDrill({ id, startedAt: at, finishedAt: at + 1, results: [] })
    expect((await store.drills.drills()).map((d) => d.id)).toEqual(['c', 'b'])
  })

  it('should never share objects with callers', async () => {
    const store = createMemoryStore()
    const approval = {
      id: 'a',
      service: 's',
      action: 'rollback',
      reason: 'r',
      requestedAt: 1,
      expiresAt: 2,
      status: 'pending' as const,
    }
    await store.approvals.createApproval(approval)
    approval.service = 'changed'
    const got = await store.approvals.getApproval('a')
    expect(got?.service).toBe('s')
    if (got) got.service = 'changed again'
    expect((await store.approvals.getApproval('a'))?.service).toBe('s')
  })

  it('should run maintenance on a schedule with the injected clock, and stop', async () => {
    const clock = new FakeClock()
    const store = createMemoryStore({ clock, retention: { checks: 1 } })
    await store.checks.append({ service: 'a', state: 'healthy', at: clock.now(), durationMs: 1, attempts: 1 })
    const stop = startMaintenance(store, { clock, intervalMs: 60_000 })
    await clock.advance(86_400_000 + 60_000)
    expect(await store.checks.results()).toEqual([])
    stop()
    expect(clock.pending).toBe(0)
  })

  it('should log a failed maintenance run and keep the schedule', async () => {
    const clock = new FakeClock()
    const warnings: string[] = []
    let runs = 0
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) }
    const stop = startMaintenance(
      {
        maintain: async () => {
          runs++
          throw new Error('disk gone')
        },
      },
      { clock, logger, intervalMs: 1000 },
    )
    await clock.advance(3000)
    stop()
    expect(runs).toBe(3)
    expect(warnings[0]).toBe('store maintenance failed')
  })
})

describe('maintenance', () => {
  it('should start 1-hour rollups where the data starts, not at the retention edge', async () => {
    const store = createMemoryStore()
    const t0 = Date.parse('2025-10-22T22:10:00.000Z')
    await store.samples.append([{ name: 'g', value: 1, at: t0 }])
    const first = await store.maintain(t0 + 5 * 60_000)
    expect(first.rolledUp).toEqual({ '1m': 1, '1h': 0 })
    await store.samples.append([{ name: 'g', value: 3, at: t0 + 60 * 60_000 }])
    const second = await store.maintain(t0 + 2 * 3_600_000)
    expect(second.complete).toBe(true)
    expect(second.rolledUp).toEqual({ '1m': 1, '1h': 2 })
    const [s] = await store.samples.range({
      name: 'g',
      start: t0 - 600_000,
      end: t0 + 2 * 3_600_000,
      step: 3_600_000,
    })
    expect(s?.points).toEqual([
      [Date.parse('2025-10-22T22:00:00.000Z'), 1],
      [Date.parse('2025-10-22T23:00:00.000Z'), 3],
    ])
  })
})
