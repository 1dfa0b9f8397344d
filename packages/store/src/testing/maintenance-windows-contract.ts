import type { MaintenanceWindowRecord, Store } from '../store.ts'
import type { ContractStoreOptions, ContractTestApi } from './contract.ts'
import { DAY, HOUR, T0 } from './records.ts'

function maintenanceWindow(id: string, startsAt: number, endsAt: number): MaintenanceWindowRecord {
  return {
    id,
    services: ['api'],
    tags: ['db'],
    startsAt,
    endsAt,
    reason: 'disk swap',
    createdBy: 'ops',
    createdAt: startsAt - 1000,
  }
}

/** What the agent's maintenance windows need: kept whole, an early end saved, the open ones listed. */
export function maintenanceWindowsContract(
  fresh: (options?: ContractStoreOptions) => Promise<Store>,
  t: Pick<ContractTestApi, 'describe' | 'it' | 'expect'>,
): void {
  const { describe, it, expect } = t

  describe('maintenance windows', () => {
    it('should keep a window whole, save its early end and list the open ones, latest start first', async () => {
      const store = await fresh()
      const mw = store.maintenanceWindows
      const past = maintenanceWindow('past', T0, T0 + HOUR)
      const now = maintenanceWindow('now', T0 + 2 * HOUR, T0 + 4 * HOUR)
      const later = maintenanceWindow('later', T0 + 5 * HOUR, T0 + 6 * HOUR)
      for (const w of [past, now, later]) await mw.saveWindow(w)
      expect(await mw.getWindow('now')).toEqual(now)
      expect(await mw.getWindow('nope')).toBeUndefined()
      expect((await mw.windows()).map((w) => w.id)).toEqual(['later', 'now', 'past'])
      expect((await mw.windows({ endsAfter: T0 + 3 * HOUR })).map((w) => w.id)).toEqual(['later', 'now'])
      expect((await mw.windows({ endedAt: T0 + 3 * HOUR })).map((w) => w.id)).toEqual(['past'])
      expect((await mw.windows({ limit: 1 })).map((w) => w.id)).toEqual(['later'])
      // Ended early: over from then on, its planned end and who ended it kept for the audit.
      const ended = { ...now, endedEarlyAt: T0 + 3 * HOUR, endedBy: 'alice' }
      await mw.saveWindow(ended)
      expect(await mw.getWindow('now')).toEqual(ended)
      expect((await mw.windows({ endsAfter: T0 + 3 * HOUR })).map((w) => w.id)).toEqual(['later'])
      expect((await mw.windows({ endedAt: T0 + 3 * HOUR })).map((w) => w.id)).toEqual(['now', 'past'])
      // What a caller does with a window it got back does not change the stored one.
      const got = (await mw.getWindow('later'))!
      got.services.push('changed')
      expect(await mw.getWindow('later')).toEqual(later)
    })

    it('should refuse a window it cannot keep, naming the field, and keep nothing of it', async () => {
      const store = await fresh()
      const ok = maintenanceWindow('w', T0, T0 + HOUR)
      const refused = async (w: unknown, message: string) => {
        await expect(store.maintenanceWindows.saveWindow(w as never)).rejects.toThrow(message)
      }
      await refused({ ...ok, id: '' }, 'saveWindow: window.id must be a non-empty string')
      await refused({ ...ok, endsAt: T0 }, 'saveWindow: window.endsAt must be after startsAt')
      await refused({ ...ok, startsAt: Number.NaN }, 'saveWindow: window.startsAt must be epoch ms')
      await refused({ ...ok, services: [], tags: [] }, 'must name at least one service or tag')
      await refused({ ...ok, services: [''] }, 'saveWindow: window.services[0] must be a non-empty string')
      await refused({ ...ok, reason: 'x'.repeat(2001) }, 'reason must be a string of at most 2000')
      await expect(store.maintenanceWindows.windows({ endsAfter: Number.NaN })).rejects.toThrow(
        'windows: endsAfter must be epoch ms',
      )
      expect(await store.maintenanceWindows.windows()).toEqual([])
    })

    it('should delete windows that ended longer ago than their retention, and keep the open ones', async () => {
      const store = await fresh()
      await store.maintenanceWindows.saveWindow(maintenanceWindow('old', T0, T0 + HOUR))
      await store.maintenanceWindows.saveWindow(maintenanceWindow('open', T0, T0 + 200 * DAY))
      const report = await store.maintain(T0 + 100 * DAY)
      expect(report.deleted.maintenanceWindows).toBe(1)
      expect((await store.maintenanceWindows.windows()).map((w) => w.id)).toEqual(['open'])
    })
  })
}
