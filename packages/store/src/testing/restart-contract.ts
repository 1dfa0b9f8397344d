import type { HealingRecord } from '@noa/core'
import type { Store } from '../store.ts'
import type { ContractStoreOptions, ContractTestApi } from './contract.ts'
import { alert, DAY, HOUR, healingRecord, MIN, silence, T0 } from './records.ts'

/**
 * What the agent reads back after a restart to carry on where it stopped: silences,
 * pending and notified alerts, healings left running and why others were skipped.
 */
export function restartContract(
  fresh: (options?: ContractStoreOptions) => Promise<Store>,
  t: Pick<ContractTestApi, 'describe' | 'it' | 'expect'>,
): void {
  const { describe, it, expect } = t

  describe('silences', () => {
    it('should upsert silences by id and expire one when it is saved with an earlier endsAt', async () => {
      const store = await fresh()
      const s1 = silence('s1', T0, T0 + 2 * HOUR)
      await store.silences.saveSilence(s1)
      await store.silences.saveSilence(silence('s2', T0 + MIN, T0 + HOUR))
      expect(await store.silences.silences()).toEqual([silence('s2', T0 + MIN, T0 + HOUR), s1])
      const expired = { ...s1, endsAt: T0 + 30 * MIN, comment: 'done early' }
      await store.silences.saveSilence(expired)
      expect(await store.silences.silences({ activeAt: T0 + 45 * MIN })).toEqual([
        silence('s2', T0 + MIN, T0 + HOUR),
      ])
      expect(await store.silences.silences()).toEqual([silence('s2', T0 + MIN, T0 + HOUR), expired])
    })

    it('should list the silences not ended at activeAt, newest startsAt first, bounded by limit', async () => {
      const store = await fresh()
      await store.silences.saveSilence(silence('old', T0 - DAY, T0 - HOUR))
      await store.silences.saveSilence(silence('a', T0, T0 + HOUR))
      await store.silences.saveSilence(silence('later', T0 + 2 * HOUR, T0 + 3 * HOUR))
      await store.silences.saveSilence(silence('b', T0, T0 + HOUR))
      const ids = async (q?: { activeAt?: number; limit?: number }) =>
        (await store.silences.silences(q)).map((s) => s.id)
      // A silence not started yet is not ended either: the agent loads it now and it applies at its start.
      expect(await ids({ activeAt: T0 })).toEqual(['later', 'a', 'b'])
      // A silence ending exactly at activeAt has ended, as in Alertmanager (startsAt <= t < endsAt).
      expect(await ids({ activeAt: T0 + HOUR })).toEqual(['later'])
      expect(await ids()).toEqual(['later', 'a', 'b', 'old'])
      expect(await ids({ limit: 2 })).toEqual(['later', 'a'])
      expect(await ids({ activeAt: T0, limit: 0 })).toEqual([])
      await expect(store.silences.silences({ limit: -1 })).rejects.toThrow(/limit must be/)
      await expect(store.silences.silences({ activeAt: Number.NaN })).rejects.toThrow(
        'silences: activeAt must be epoch ms, got NaN',
      )
    })

    it('should refuse a silence it cannot store, naming the field', async () => {
      const store = await fresh()
      const ok = silence('s', T0, T0 + HOUR)
      await expect(store.silences.saveSilence({ ...ok, id: '' })).rejects.toThrow(
        'saveSilence: silence.id must be a non-empty string',
      )
      await expect(store.silences.saveSilence({ ...ok, endsAt: Number.NaN })).rejects.toThrow(
        'saveSilence: silence.endsAt must be epoch ms, got NaN',
      )
      await expect(
        store.silences.saveSilence({ ...ok, matchers: [{ label: 'a', op: '==' as never, value: 'b' }] }),
      ).rejects.toThrow('saveSilence: silence.matchers[0].op must be one of =, !=, =~, !~, got "=="')
      await expect(store.silences.saveSilence({ ...ok, matchers: undefined as never })).rejects.toThrow(
        'saveSilence: silence.matchers must be a list of matchers',
      )
      expect(await store.silences.silences()).toEqual([])
    })

    it('should delete silences that ended longer ago than their retention, keeping the others', async () => {
      const store = await fresh({ retention: { silences: 1 } })
      await store.silences.saveSilence(silence('ended-long-ago', T0 - 3 * DAY, T0 - 2 * DAY))
      await store.silences.saveSilence(silence('ended-recently', T0 - DAY, T0 - HOUR))
      await store.silences.saveSilence(silence('active', T0 - DAY, T0 + DAY))
      const report = await store.maintain(T0)
      expect(report.deleted.silences).toBe(1)
      // Same startsAt: ids break the tie, in the same order on every backend.
      expect((await store.silences.silences()).map((s) => s.id)).toEqual(['active', 'ended-recently'])
    })
  })

  describe('alerts after a restart', () => {
    it('should give back pending alerts and when each alert was last notified', async () => {
      const store = await fresh()
      const pending = { ...alert('fp-pending', 'pending', T0 + MIN, 91), activeAt: T0 }
      const firing = {
        ...alert('fp-firing', 'firing', T0 + 5 * MIN, 97),
        activeAt: T0,
        firedAt: T0 + 5 * MIN,
        notifiedAt: T0 + 5 * MIN + 200,
      }
      await store.alerts.saveAlert(pending)
      await store.alerts.saveAlert(firing)
      expect(await store.alerts.alerts({ state: 'pending' })).toEqual([pending])
      expect(await store.alerts.alerts({ state: 'firing' })).toEqual([firing])
      // A repeat notification moves notifiedAt without a state change: no new history entry.
      const repeated = { ...firing, notifiedAt: T0 + 4 * HOUR, updatedAt: T0 + 4 * HOUR }
      await store.alerts.saveAlert(repeated)
      expect(await store.alerts.alerts({ state: 'firing' })).toEqual([repeated])
      expect(await store.alerts.alertHistory('fp-firing')).toEqual([
        { state: 'firing', at: T0 + 5 * MIN, value: 97 },
      ])
    })
  })

  describe('healings after a restart', () => {
    it('should filter healings by outcome and keep why one was skipped and which agent ran it', async () => {
      const store = await fresh()
      const running = { ...healingRecord('h-run', 'api', T0), agentId: 'agent-1' }
      const skipped: HealingRecord = {
        ...healingRecord('h-skip', 'api', T0 + MIN, 'skipped'),
        endedAt: T0 + MIN,
        reason: 'another agent holds the healing lease of api',
        skip: 'lease-held',
        agentId: 'agent-2',
      }
      const otherRunning = { ...healingRecord('h-web', 'web', T0 + 2 * MIN), agentId: 'agent-2' }
      await store.healing.saveHealing(running)
      await store.healing.saveHealing(skipped)
      await store.healing.saveHealing(otherRunning)
      await store.healing.saveHealing({ ...healingRecord('h-done', 'api', T0 + 3 * MIN, 'succeeded') })
      expect(await store.healing.healings({ outcome: 'running' })).toEqual([otherRunning, running])
      expect(await store.healing.healings({ outcome: 'skipped' })).toEqual([skipped])
      expect(await store.healing.healings({ outcome: 'running', service: 'api' })).toEqual([running])
      expect(await store.healing.healings({ outcome: 'running', limit: 1 })).toEqual([otherRunning])
      expect(await store.healing.healings({ outcome: 'interrupted' })).toEqual([])
      // The agent marks a healing left running by a crash: the filter follows the new outcome.
      await store.healing.saveHealing({ ...running, outcome: 'interrupted', endedAt: T0 + HOUR })
      expect((await store.healing.healings({ outcome: 'running' })).map((h) => h.id)).toEqual(['h-web'])
      expect((await store.healing.healings({ outcome: 'interrupted' })).map((h) => h.id)).toEqual(['h-run'])
    })
  })
}
