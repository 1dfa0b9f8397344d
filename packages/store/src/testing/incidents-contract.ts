import type { Store } from '../store.ts'
import type { ContractStoreOptions, ContractTestApi } from './contract.ts'
import { DAY, HOUR, incident, T0 } from './records.ts'

/** What the incident view reads: incidents kept whole, filtered by service and state, paged newest first. */
export function incidentsContract(
  fresh: (options?: ContractStoreOptions) => Promise<Store>,
  t: Pick<ContractTestApi, 'describe' | 'it' | 'expect'>,
): void {
  const { describe, it, expect } = t

  describe('incidents', () => {
    it('should keep an incident whole, replace it by id and list newest first, filtered by service and state', async () => {
      const store = await fresh()
      const first = incident('i1', 'api', T0)
      await store.incidents.saveIncident(first)
      await store.incidents.saveIncident(incident('i2', 'db', T0 + HOUR))
      await store.incidents.saveIncident(incident('i3', 'api', T0 + 2 * HOUR, { state: 'acknowledged' }))
      expect(await store.incidents.getIncident('i1')).toEqual(first)
      expect(await store.incidents.getIncident('nope')).toBeUndefined()
      // Resolving it replaces the row: its state and resolvedAt change, the list follows.
      const resolved = incident('i1', 'api', T0, { state: 'resolved', events: 3 })
      await store.incidents.saveIncident(resolved)
      expect(await store.incidents.getIncident('i1')).toEqual(resolved)
      const ids = async (q?: Parameters<Store['incidents']['incidents']>[0]) =>
        (await store.incidents.incidents(q)).map((i) => i.id)
      expect(await ids()).toEqual(['i3', 'i2', 'i1'])
      expect(await ids({ service: 'api' })).toEqual(['i3', 'i1'])
      expect(await ids({ state: 'open' })).toEqual(['i2'])
      expect(await ids({ state: 'resolved', service: 'api' })).toEqual(['i1'])
      expect(await ids({ state: 'acknowledged', service: 'db' })).toEqual([])
      expect(await ids({ limit: 1 })).toEqual(['i3'])
      expect(await ids({ limit: 0 })).toEqual([])
      // What a caller does with an incident it got back does not change the stored one.
      const got = (await store.incidents.getIncident('i1'))!
      got.events.push({ at: T0, kind: 'note', text: 'changed' })
      expect(await store.incidents.getIncident('i1')).toEqual(resolved)
    })

    it('should page newest first after an incident, ties on openedAt broken by id, none twice and none missed', async () => {
      const store = await fresh()
      const ids = ['a', 'c', 'b', 'e', 'd']
      for (const [i, id] of ids.entries())
        await store.incidents.saveIncident(incident(id, 'api', T0 + (i < 3 ? 0 : i)))
      const seen: string[] = []
      let before: { openedAt: number; id: string } | undefined
      for (let page = 0; page < 5; page++) {
        const list = await store.incidents.incidents({ limit: 2, ...(before ? { before } : {}) })
        seen.push(...list.map((r) => r.id))
        const last = list.at(-1)
        if (!last) break
        before = { openedAt: last.openedAt, id: last.id }
      }
      expect(seen).toEqual(['d', 'e', 'c', 'b', 'a'])
      expect(
        (await store.incidents.incidents({ service: 'api', before: { openedAt: T0, id: 'b' } })).map(
          (r) => r.id,
        ),
      ).toEqual(['a'])
      await expect(store.incidents.incidents({ before: { openedAt: Number.NaN, id: 'x' } })).rejects.toThrow(
        'incidents: before must be { openedAt: epoch ms, id: string }',
      )
      await expect(store.incidents.incidents({ state: 'gone' as never })).rejects.toThrow(
        'incidents: state must be one of open, acknowledged, resolved, got "gone"',
      )
    })

    it('should refuse an incident it cannot keep, naming the field, and keep nothing of it', async () => {
      const store = await fresh()
      const ok = incident('i', 'api', T0)
      const refused = async (value: unknown, message: string) => {
        await expect(store.incidents.saveIncident(value as never)).rejects.toThrow(message)
      }
      await refused({ ...ok, id: '' }, 'saveIncident: incident.id must be a non-empty string')
      await refused({ ...ok, service: 's'.repeat(257) }, 'saveIncident: incident.service must be at most 256')
      await refused(
        { ...ok, state: 'closed' },
        'saveIncident: incident.state must be one of open, acknowledged, resolved',
      )
      await refused(
        { ...ok, state: 'resolved' },
        'saveIncident: incident.resolvedAt must be set when the state is resolved',
      )
      await refused(
        { ...ok, openedAt: Number.NaN },
        'saveIncident: incident.openedAt must be epoch ms, got NaN',
      )
      await refused(
        incident('i', 'api', T0, { events: 1001 }),
        'saveIncident: incident.events must hold at most 1000',
      )
      await refused(
        { ...ok, events: [{ at: T0, kind: 'gossip', text: '' }] },
        'saveIncident: incident.events[0].kind must be one of',
      )
      await refused(
        { ...ok, events: [{ at: T0, kind: 'note', text: 'x'.repeat(4001) }] },
        'saveIncident: incident.events[0].text must be at most 4000',
      )
      expect(await store.incidents.incidents()).toEqual([])
      expect(store.health()).toEqual({ ok: true, failedWrites: 0 })
    })

    it('should delete resolved incidents by retention, counted from when they resolved, and keep open ones whatever their age', async () => {
      const store = await fresh({ retention: { incidents: 10 } })
      await store.incidents.saveIncident(incident('old-resolved', 'api', T0, { state: 'resolved' }))
      await store.incidents.saveIncident(incident('old-open', 'api', T0))
      await store.incidents.saveIncident(incident('old-acked', 'db', T0, { state: 'acknowledged' }))
      await store.incidents.saveIncident(incident('new-resolved', 'api', T0 + 5 * DAY, { state: 'resolved' }))
      const report = await store.maintain(T0 + 11 * DAY)
      expect(report.deleted.incidents).toBe(1)
      expect((await store.incidents.incidents()).map((i) => i.id).sort()).toEqual([
        'new-resolved',
        'old-acked',
        'old-open',
      ])
    })
  })
}
