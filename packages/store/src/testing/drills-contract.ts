import type { Store } from '../store.ts'
import type { ContractStoreOptions, ContractTestApi } from './contract.ts'
import { drillRun, HOUR, T0 } from './records.ts'

/** What the Drills page reads: runs kept whole, listed newest first, paged without gaps or repeats. */
export function drillsContract(
  fresh: (options?: ContractStoreOptions) => Promise<Store>,
  t: Pick<ContractTestApi, 'describe' | 'it' | 'expect'>,
): void {
  const { describe, it, expect } = t

  describe('drills', () => {
    it('should keep a run whole, replace it by id and list runs newest first', async () => {
      const store = await fresh()
      const first = drillRun('d1', T0)
      await store.drills.saveDrill(first)
      await store.drills.saveDrill(drillRun('d2', T0 + HOUR, 1))
      expect(await store.drills.getDrill('d1')).toEqual(first)
      expect(await store.drills.getDrill('nope')).toBeUndefined()
      const redone = drillRun('d1', T0, 3)
      await store.drills.saveDrill(redone)
      expect(await store.drills.drills()).toEqual([drillRun('d2', T0 + HOUR, 1), redone])
      expect((await store.drills.drills({ limit: 1 })).map((d) => d.id)).toEqual(['d2'])
      expect(await store.drills.drills({ limit: 0 })).toEqual([])
      // What a caller does with a run it got back does not change the stored one.
      const got = (await store.drills.getDrill('d1'))!
      got.results[0]!.actions.push('changed')
      expect(await store.drills.getDrill('d1')).toEqual(redone)
    })

    it('should page newest first after a run, ties on startedAt broken by id, none twice and none missed', async () => {
      const store = await fresh()
      const ids = ['a', 'c', 'b', 'e', 'd']
      for (const [i, id] of ids.entries()) await store.drills.saveDrill(drillRun(id, T0 + (i < 3 ? 0 : i), 0))
      const seen: string[] = []
      let before: { startedAt: number; id: string } | undefined
      for (let page = 0; page < 5; page++) {
        const runs = await store.drills.drills({ limit: 2, ...(before ? { before } : {}) })
        seen.push(...runs.map((r) => r.id))
        const last = runs.at(-1)
        if (!last) break
        before = { startedAt: last.startedAt, id: last.id }
      }
      expect(seen).toEqual(['d', 'e', 'c', 'b', 'a'])
      expect((await store.drills.drills({ before: { startedAt: T0, id: 'b' } })).map((r) => r.id)).toEqual([
        'a',
      ])
      await expect(store.drills.drills({ before: { startedAt: Number.NaN, id: 'x' } })).rejects.toThrow(
        'drills: before must be { startedAt: epoch ms, id: string }',
      )
      await expect(store.drills.drills({ limit: 1.5 })).rejects.toThrow(/limit must be/)
    })

    it('should refuse a run it cannot keep, naming the field, and keep nothing of it', async () => {
      const store = await fresh()
      const ok = drillRun('d', T0)
      const refused = async (run: unknown, message: string) => {
        await expect(store.drills.saveDrill(run as never)).rejects.toThrow(message)
      }
      await refused({ ...ok, id: '' }, 'saveDrill: run.id must be a non-empty string')
      await refused(
        { ...ok, id: 'x'.repeat(129) },
        'saveDrill: run.id must be at most 128 characters, got 129',
      )
      await refused({ ...ok, startedAt: Number.NaN }, 'saveDrill: run.startedAt must be epoch ms, got NaN')
      await refused({ ...ok, finishedAt: T0 - 1 }, 'saveDrill: run.finishedAt must not be before startedAt')
      await refused(
        drillRun('d', T0, 1001),
        'saveDrill: run.results must hold at most 1000 results, got 1001',
      )
      const result = ok.results[0]!
      const withResult = (patch: Record<string, unknown>) => ({
        ...ok,
        results: [result, { ...result, ...patch }],
      })
      await refused(
        withResult({ outcome: 'won' }),
        'saveDrill: run.results[1].outcome must be one of healed, escalated, failed, got "won"',
      )
      await refused(
        withResult({ detectMs: -1 }),
        'saveDrill: run.results[1].detectMs must be ms >= 0 or null, got -1',
      )
      await refused(
        withResult({ service: 's'.repeat(257) }),
        'saveDrill: run.results[1].service must be at most 256',
      )
      await refused(
        withResult({ actions: ['restart', 7] }),
        'saveDrill: run.results[1].actions[1] must be a non-empty string',
      )
      await refused(
        withResult({ doubleActions: 0.5 }),
        'saveDrill: run.results[1].doubleActions must be a whole number >= 0, got 0.5',
      )
      await refused(
        withResult({ detail: 'd'.repeat(4001) }),
        'saveDrill: run.results[1].detail must be at most 4000',
      )
      expect(await store.drills.drills()).toEqual([])
      // Refused input is the caller's mistake, not a failing store.
      expect(store.health()).toEqual({ ok: true, failedWrites: 0 })
    })
  })
}
