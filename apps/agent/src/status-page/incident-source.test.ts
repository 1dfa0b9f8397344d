import type { Incident } from '@noa/store'
import { describe, expect, it } from 'vitest'
import { publicIncidents } from './incident-source.ts'

const T0 = Date.UTC(2026, 11, 7, 9)
const incident = (id: string, service: string, fields: Partial<Incident> = {}): Incident => ({
  id,
  service,
  title: `${service} is error: connect ECONNREFUSED 10.0.0.5:5432`,
  severity: 'critical',
  state: 'resolved',
  openedAt: T0,
  resolvedAt: T0 + 600_000,
  events: [
    { at: T0, kind: 'state', text: 'healthy -> error: connect ECONNREFUSED 10.0.0.5:5432' },
    { at: T0 + 60_000, kind: 'note', text: 'db-2 disk full again, ping Sam', by: 'alice' },
    {
      at: T0 + 120_000,
      kind: 'maintenance',
      text: 'maintenance opened: disk swap',
      by: 'alice',
      ref: 'mnt_1',
    },
  ],
  ...fields,
})

describe('publicIncidents', () => {
  it('should tell the public what happened and when, in its own words, never the team’s', async () => {
    const stored = [
      incident('inc_3', 'shop', {
        openedAt: T0 + 2000,
        acknowledgedAt: T0 + 30_000,
        acknowledgedBy: 'alice',
      }),
      incident('inc_2', 'billing-db', { openedAt: T0 + 1000 }),
      incident('inc_1', 'shop', { openedAt: T0 - 40 * 86_400_000, resolvedAt: T0 - 39 * 86_400_000 }),
    ]
    const open = incident('inc_4', 'shop', {
      state: 'open',
      openedAt: T0 - 50 * 86_400_000,
      resolvedAt: undefined,
    })
    const source = publicIncidents({
      list: async ({ limit }) => stored.slice(0, limit),
      openFor: (service) => (service === 'shop' ? open : undefined),
    })
    const seen = await source.incidents({ services: ['shop'], since: T0 - 86_400_000, limit: 20 })
    // The open one whenever it opened, the recent resolved one; not billing-db (private), not the old one.
    expect(seen.map((i) => i.id)).toEqual(['inc_3', 'inc_4'])
    expect(seen[0]).toEqual({
      id: 'inc_3',
      service: 'shop',
      title: 'shop outage',
      severity: 'critical',
      state: 'resolved',
      openedAt: T0 + 2000,
      resolvedAt: T0 + 600_000,
      events: [
        { at: T0 + 2000, kind: 'investigating', text: 'We are looking into a problem with shop.' },
        { at: T0 + 30_000, kind: 'identified', text: 'The team is working on it.' },
        { at: T0 + 120_000, kind: 'maintenance', text: 'Planned maintenance.' },
        { at: T0 + 600_000, kind: 'resolved', text: 'shop is working normally again.' },
      ],
    })
    const shown = JSON.stringify(seen)
    for (const secret of ['ECONNREFUSED', '10.0.0.5', 'alice', 'Sam', 'disk swap'])
      expect(shown).not.toContain(secret)
  })
})
