import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, FakeClock, type Logger, type LogRecord } from '@noa/core'
import { createMemoryStore, openStore, type SampleInput, type SampleStore, type Store } from '@noa/store'
import { afterEach, describe, expect, it } from 'vitest'
import { renderStatusPage } from './html.ts'
import type { StatusPageIncident, StatusPageIncidents } from './incidents.ts'
import { createStatusPage, type StatusPageDeps } from './page.ts'
import { STATUS_PAGE_DAYS } from './types.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const NOW = Date.parse('2026-03-10T12:00:00.000Z')
const TODAY = Date.parse('2026-03-10T00:00:00.000Z')
/** One sample every 10 minutes: 144 a day. */
const EVERY = 10 * MIN

const SERVICES = [
  { name: 'api', public: true, group: 'web' },
  { name: 'db', public: true },
  { name: 'secret-billing', public: false, group: 'internal' },
  { name: 'also-private', group: 'web' },
]

/**
 * api: up every day of the 90 except day -10 (no data), yesterday (up until 18:00, then
 * down) and today (up until 11:00, then down). db: today only, up. The private services:
 * down all along (they must not show, nor change anything).
 */
function seed(): SampleInput[] {
  const out: SampleInput[] = []
  const up = (service: string, value: number, at: number) =>
    out.push({ name: 'noa_service_up', labels: { service }, value, at })
  for (let day = -89; day <= 0; day++) {
    if (day === -10) continue
    const start = TODAY + day * DAY
    for (let t = start; t < Math.min(start + DAY, NOW); t += EVERY) {
      const down = (day === -1 && t >= start + 18 * HOUR) || (day === 0 && t >= start + 11 * HOUR)
      up('api', down ? 0 : 1, t)
      up('secret-billing', 0, t)
      up('also-private', 0, t)
    }
  }
  for (let t = TODAY; t < NOW; t += EVERY) up('db', 1, t)
  return out
}

/** The expected figures, from the seed's own counts. */
const ratio = (up: number, all: number) => Math.round((up / all) * 100_000) / 1000
const FULL = 144
const YESTERDAY_UP = 108 // 18 of 24 hours
const TODAY_ALL = 72 // 12 hours so far
const TODAY_UP = 66 // 11 of them up

const dirs: string[] = []
const stores: Store[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function sqlite(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'noa-status-page-'))
  dirs.push(dir)
  const store = await openStore({ type: 'sqlite', path: join(dir, 'noa.db') })
  stores.push(store)
  return store
}

function memory(): Store {
  const store = createMemoryStore()
  stores.push(store)
  return store
}

const STATES: Record<string, string> = { api: 'error', db: 'healthy', 'secret-billing': 'error' }

function pageOver(samples: SampleStore, more: Partial<StatusPageDeps> = {}) {
  const clock = more.clock ?? new FakeClock(NOW)
  return createStatusPage({
    samples,
    services: () => SERVICES,
    state: (name) => STATES[name],
    settings: () => ({ title: 'Acme status', description: 'Our APIs' }),
    clock,
    ...more,
  })
}

describe('createStatusPage', () => {
  for (const [backend, open, rolledUp] of [
    ['memory, raw samples', memory, false],
    ['SQLite, raw samples', sqlite, false],
    ['SQLite, 1-hour rollups', sqlite, true],
    ['memory, 1-hour rollups', memory, true],
  ] as const)
    it(`should show public services only, with uptime weighed by samples and a bar per day (${backend})`, async () => {
      const store = await open()
      if (!rolledUp) await store.samples.append(seed())
      // Day by day as the agent writes and rolls them up: past 30 days only 1-hour rollups remain.
      else
        for (let day = TODAY - 89 * DAY, all = seed(); day <= TODAY; day += DAY) {
          await store.samples.append(all.filter((s) => s.at >= day && s.at < day + DAY))
          const report = await store.maintain(Math.min(day + DAY, NOW))
          expect(report.complete).toBe(true)
        }
      if (rolledUp) expect(await store.samples.recent(1, { name: 'noa_service_up' })).toHaveLength(1)
      const page = await pageOver(store.samples).get()

      expect(page.title).toBe('Acme status')
      expect(page.description).toBe('Our APIs')
      expect(page.generatedAt).toBe(NOW)
      expect(page.status).toBe('partial_outage')
      expect(page.banner).toBe('Partial outage')
      // Named groups first, then the services without one; nothing of the private services.
      expect(page.groups.map((g) => [g.name, g.services.map((s) => s.name)])).toEqual([
        ['web', ['api']],
        [null, ['db']],
      ])
      expect(JSON.stringify(page)).not.toMatch(/secret|private|internal/)
      expect(page.omittedServices).toBeUndefined()

      const api = page.groups[0]?.services[0]
      expect(api?.state).toBe('outage')
      expect(api?.days).toHaveLength(STATUS_PAGE_DAYS)
      expect(api?.days[0]).toEqual({ date: '2025-12-11', uptime: 100 })
      expect(api?.days.at(-1)).toEqual({ date: '2026-03-10', uptime: ratio(TODAY_UP, TODAY_ALL) })
      expect(api?.days.at(-2)).toEqual({ date: '2026-03-09', uptime: 75 })
      expect(api?.days.at(-11)).toEqual({ date: '2026-02-28', uptime: null })
      expect(api?.days.filter((d) => d.uptime === 100)).toHaveLength(STATUS_PAGE_DAYS - 3)
      expect(api?.uptime).toEqual({
        // From yesterday 12:00: 6 hours up, 6 down, 11 up, 1 down.
        '24h': ratio(6 * 6 + TODAY_UP, 12 * 6 + TODAY_ALL),
        '7d': ratio(5 * FULL + YESTERDAY_UP + TODAY_UP, 6 * FULL + TODAY_ALL),
        // Day -10 has no samples: it weighs nothing, it is not counted as down.
        '30d': ratio(27 * FULL + YESTERDAY_UP + TODAY_UP, 28 * FULL + TODAY_ALL),
        '90d': ratio(87 * FULL + YESTERDAY_UP + TODAY_UP, 88 * FULL + TODAY_ALL),
      })

      const db = page.groups[1]?.services[0]
      expect(db?.state).toBe('operational')
      // A service known only since today: 100 % over every window, not diluted by empty days.
      expect(db?.uptime).toEqual({ '24h': 100, '7d': 100, '30d': 100, '90d': 100 })
      expect(db?.days.slice(0, -1).every((d) => d.uptime === null)).toBe(true)
    })

  it('should say all systems operational, or a major outage when most public services are down', async () => {
    const store = memory()
    const up = pageOver(store.samples, { state: () => 'healthy' })
    expect((await up.get()).banner).toBe('All systems operational')
    const down = pageOver(store.samples, {
      state: (name) => (name === 'secret-billing' ? 'healthy' : 'error'),
    })
    const page = await down.get()
    expect(page.status).toBe('major_outage')
    expect(page.banner).toBe('Major outage')
    // No samples at all: the bars are there, empty, and the figures say so.
    expect(page.groups[0]?.services[0]?.uptime).toEqual({ '24h': null, '7d': null, '30d': null, '90d': null })
    expect(page.groups[0]?.services[0]?.days.every((d) => d.uptime === null)).toBe(true)
  })

  it('should show incidents of public services only, newest first, with their updates and without who made them', async () => {
    const asked: Array<{ services: string[]; since: number; limit: number }> = []
    const incident = (id: string, service: string, openedAt: number): StatusPageIncident => ({
      id,
      service,
      title: `${service} is down`,
      severity: 'critical',
      state: 'resolved',
      openedAt,
      resolvedAt: openedAt + HOUR,
      events: [
        { at: openedAt + HOUR, kind: 'resolved', text: 'back up' },
        { at: openedAt, kind: 'opened', text: '<b>502</b> from the load balancer' },
        { at: openedAt + MIN, kind: 'acknowledged', text: 'looking into it', by: 'alice' },
      ],
    })
    // A source that does not filter: the page does.
    const source: StatusPageIncidents = {
      async incidents(q) {
        asked.push(q)
        return [
          incident('i1', 'api', NOW - 2 * DAY),
          incident('i2', 'secret-billing', NOW - DAY),
          incident('i3', 'db', NOW - HOUR * 3),
        ]
      },
    }
    const page = await pageOver(memory().samples, { incidents: source }).get()
    expect(asked).toEqual([{ services: ['api', 'db'], since: NOW - 30 * DAY, limit: 20 }])
    expect(page.incidents.map((i) => i.id)).toEqual(['i3', 'i1'])
    expect(page.incidents[1]).toEqual({
      id: 'i1',
      service: 'api',
      title: 'api is down',
      severity: 'critical',
      state: 'resolved',
      openedAt: NOW - 2 * DAY,
      resolvedAt: NOW - 2 * DAY + HOUR,
      updates: [
        { at: NOW - 2 * DAY, kind: 'opened', text: '<b>502</b> from the load balancer' },
        { at: NOW - 2 * DAY + MIN, kind: 'acknowledged', text: 'looking into it' },
        { at: NOW - 2 * DAY + HOUR, kind: 'resolved', text: 'back up' },
      ],
    })
    expect(JSON.stringify(page)).not.toMatch(/secret|alice/)
  })

  it('should show a public service in a maintenance window as maintenance, never as an outage', async () => {
    const store = memory()
    const covered = new Set(['api', 'secret-billing'])
    const states: Record<string, string> = { api: 'error', db: 'healthy', 'secret-billing': 'error' }
    const page = pageOver(store.samples, {
      state: (name) => states[name],
      inMaintenance: (name) => covered.has(name),
      ttlMs: 0,
    })
    const during = await page.get()
    expect(during.groups.flatMap((g) => g.services.map((s) => [s.name, s.state]))).toEqual([
      ['api', 'maintenance'],
      ['db', 'operational'],
    ])
    expect(during.status).toBe('maintenance')
    expect(during.banner).toBe('Scheduled maintenance in progress')
    const html = renderStatusPage(during)
    expect(html).toContain(
      '<div class="banner maintenance" role="status">Scheduled maintenance in progress</div>',
    )
    expect(html).toContain('<span class="state maintenance">Under maintenance</span>')
    expect(html).not.toContain('Outage')
    // Healthy or down, a covered service reads the same: the page tells nothing the window hides.
    states.api = 'healthy'
    expect((await page.get()).groups[0]?.services[0]?.state).toBe('maintenance')
    // A public service down outside the window is an outage all the same.
    states.db = 'error'
    const both = await page.get()
    expect([both.status, both.banner]).toEqual(['partial_outage', 'Partial outage'])
    // The window ends: what the checks say.
    covered.clear()
    states.api = 'error'
    const after = await page.get()
    expect(after.groups.flatMap((g) => g.services.map((s) => s.state))).toEqual(['outage', 'outage'])
    expect([after.status, after.banner]).toEqual(['major_outage', 'Major outage'])
  })

  it('should compute the page again at the next request once invalidated, even one read before', async () => {
    const store = memory()
    const clock = new FakeClock(NOW)
    let covered = false
    const page = pageOver(store.samples, { clock, ttlMs: 30_000, inMaintenance: () => covered })
    expect((await page.get()).status).toBe('partial_outage')
    covered = true
    expect((await page.get()).status).toBe('partial_outage') // cached
    page.invalidate()
    expect((await page.get()).status).toBe('maintenance')
    expect(page.stats().computed).toBe(2)
    // Invalidated while a computation runs: its page answers, the next request computes again.
    await clock.advance(30_000)
    const reading = page.get()
    covered = false
    page.invalidate()
    await reading
    expect((await page.get()).status).toBe('partial_outage')
    expect(page.stats().computed).toBe(4)
  })

  it('should compute once per ttl however many read it, one computation at a time', async () => {
    const store = memory()
    await store.samples.append(seed())
    let ranges = 0
    const counting: SampleStore = {
      ...store.samples,
      range: (q) => {
        ranges++
        return store.samples.range(q)
      },
    }
    const clock = new FakeClock(NOW)
    const page = pageOver(counting, { clock, ttlMs: 30_000 })
    const bodies = await Promise.all(Array.from({ length: 100 }, () => page.get()))
    expect(new Set(bodies).size).toBe(1)
    expect(ranges).toBe(4) // days and hours, each as avg and count
    await clock.advance(29_999)
    await page.get()
    expect(ranges).toBe(4)
    await clock.advance(1)
    const next = await page.get()
    // Whole days do not change: only the last 24 hours are read again.
    expect(ranges).toBe(6)
    expect(next.generatedAt).toBe(NOW + 30_000)
    expect(next).toEqual({ ...bodies[0], generatedAt: NOW + 30_000 })
    // An hour on, the days are read again too (a late sample of yesterday is taken in).
    await clock.advance(HOUR)
    await page.get()
    expect(ranges).toBe(10)
    expect(page.stats()).toMatchObject({ computed: 3, failed: 0, servedStale: 0 })
  })

  it('should read the whole days again on a new day and when the public services change', async () => {
    const store = memory()
    await store.samples.append(seed())
    const asked: number[] = []
    const counting: SampleStore = {
      ...store.samples,
      range: (q) => {
        asked.push(q.step)
        return store.samples.range(q)
      },
    }
    const clock = new FakeClock(NOW)
    let services = SERVICES
    const page = pageOver(counting, { clock, services: () => services })
    await page.get()
    const days = () => asked.filter((step) => step === DAY).length
    expect(days()).toBe(2)
    services = SERVICES.filter((s) => s.name !== 'db')
    await clock.advance(30_000)
    expect((await page.get()).groups.map((g) => g.name)).toEqual(['web'])
    expect(days()).toBe(4)
    // Past midnight: yesterday is a whole day now, and the bars move by one.
    await clock.advanceTo(TODAY + DAY + 5 * MIN)
    const next = await page.get()
    expect(days()).toBe(6)
    expect(next.groups[0]?.services[0]?.days.at(-2)).toEqual({
      date: '2026-03-10',
      uptime: ratio(TODAY_UP, TODAY_ALL),
    })
    expect(next.groups[0]?.services[0]?.days.at(-1)).toEqual({ date: '2026-03-11', uptime: null })
  })

  it('should serve the last page when the store fails, counted and logged, and fail without one', async () => {
    const store = memory()
    let broken = true
    const failing: SampleStore = {
      ...store.samples,
      range: async (q) => {
        if (broken) throw new Error('SQLITE_BUSY: database is locked')
        return store.samples.range(q)
      },
    }
    const records: LogRecord[] = []
    const logger: Logger = createLogger({ level: 'debug', write: (r) => records.push(r) })
    const clock = new FakeClock(NOW)
    const page = pageOver(failing, { clock, logger, ttlMs: 30_000 })
    await expect(page.get()).rejects.toThrow('SQLITE_BUSY')
    broken = false
    // Within 5 s of the failure, without a page to serve, readers fail at once: no new computation.
    await expect(page.get()).rejects.toThrow('SQLITE_BUSY')
    await clock.advance(5000)
    const good = await page.get()
    broken = true
    await clock.advance(30_000)
    expect(await page.get()).toBe(good)
    // Served again for a ttl: not one failing computation per request.
    expect(await page.get()).toBe(good)
    expect(page.stats()).toMatchObject({ computed: 1, failed: 2, servedStale: 1 })
    expect(records.filter((r) => r.msg === 'the status page could not be computed')).toHaveLength(2)
  })

  it('should bound the page to 500 public services and say how many more there are', async () => {
    const many = Array.from({ length: 503 }, (_, i) => ({
      name: `svc-${String(i).padStart(3, '0')}`,
      public: true,
    }))
    const records: LogRecord[] = []
    const page = await pageOver(memory().samples, {
      services: () => [...many, { name: 'hidden', public: false }],
      logger: createLogger({ level: 'debug', write: (r) => records.push(r) }),
    }).get()
    expect(page.groups[0]?.services).toHaveLength(500)
    expect(page.omittedServices).toBe(3)
    expect(records.some((r) => r.level === 'warn' && r.msg.includes('first public services'))).toBe(true)
  })
})
