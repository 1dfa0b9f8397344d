import { FakeClock, noopLogger } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { afterEach, describe, expect, it } from 'vitest'
import type { MaintenanceWindowConfig } from '../config/maintenance.ts'
import { createMaintenanceWindows, type MaintenanceEvent, type MaintenanceWindows } from './windows.ts'

const T0 = Date.parse('2026-01-05T10:00:00.000Z') // a Monday
const MIN = 60_000
const HOUR = 3_600_000
const services = [
  { name: 'api', tags: ['edge'] },
  { name: 'db', tags: ['storage'] },
  { name: 'cache', tags: ['storage'] },
]

const configWindow = (w: Partial<MaintenanceWindowConfig> & { id: string }): MaintenanceWindowConfig => ({
  services: [],
  tags: [],
  reason: 'planned',
  timeZone: 'UTC',
  ...w,
})

describe('createMaintenanceWindows', () => {
  const made: MaintenanceWindows[] = []
  afterEach(() => {
    for (const m of made.splice(0)) m.stop()
  })
  const setup = (windows: MaintenanceWindowConfig[] = [], store = createMemoryStore()) => {
    const clock = new FakeClock(T0)
    const m = createMaintenanceWindows({
      windows,
      services,
      store: store.maintenanceWindows,
      clock,
      logger: noopLogger,
      refreshMs: 24 * HOUR,
    })
    made.push(m)
    const events: Array<[MaintenanceEvent['phase'], string]> = []
    m.on('maintenance', (e) => events.push([e.phase, e.window.id]))
    return { m, clock, store, events }
  }

  it('should open and end a one-off config window on time, covering its services and tags', async () => {
    const { m, clock, events } = setup([
      configWindow({ id: 'swap', tags: ['storage'], startsAt: T0 + HOUR, endsAt: T0 + 2 * HOUR }),
    ])
    const moved: unknown[] = []
    m.on('coverage', (c) => moved.push(c))
    await m.start()
    expect(m.covering('db')).toBeUndefined()
    expect((await m.list(['active', 'upcoming'], 10)).map((w) => [w.id, w.state])).toEqual([
      ['config:swap', 'upcoming'],
    ])
    await clock.advance(HOUR)
    expect(m.covering('db')?.id).toBe('config:swap')
    expect(m.covering('cache')?.id).toBe('config:swap')
    expect(m.covering('api')).toBeUndefined()
    await clock.advance(HOUR - 1)
    expect(m.covering('db')).toBeDefined()
    await clock.advance(1)
    expect(m.covering('db')).toBeUndefined()
    expect(events).toEqual([
      ['opened', 'config:swap'],
      ['ended', 'config:swap'],
    ])
    expect(moved).toEqual([
      { entered: ['db', 'cache'], left: [] },
      { entered: [], left: ['db', 'cache'] },
    ])
  })

  it('should open a weekly window in its time zone at each opening', async () => {
    // Monday 12:00 in Berlin (winter) is 11:00 UTC, an hour after T0
    const { m, clock, events } = setup([
      configWindow({
        id: 'weekly',
        services: ['api'],
        weekly: { days: ['mon'], at: '12:00' },
        duration: 30 * MIN,
        timeZone: 'Europe/Berlin',
      }),
    ])
    await m.start()
    const [upcoming] = await m.list(['upcoming'], 10)
    expect(upcoming).toMatchObject({ startsAt: T0 + HOUR, endsAt: T0 + HOUR + 30 * MIN, state: 'upcoming' })
    await clock.advance(HOUR)
    expect(m.covering('api')?.id).toBe('config:weekly')
    await clock.advance(30 * MIN)
    expect(m.covering('api')).toBeUndefined()
    await clock.advance(7 * 24 * HOUR - 30 * MIN)
    expect(m.covering('api')?.id).toBe('config:weekly')
    expect(events.map((e) => e[0])).toEqual(['opened', 'ended', 'opened'])
  })

  it('should keep an API window in the store, reload it after a restart and end it early with who did', async () => {
    const store = createMemoryStore()
    const first = setup([], store)
    await first.m.start()
    const opened = await first.m.open({ services: ['api'], endsAt: T0 + HOUR, reason: 'deploy' }, 'alice')
    expect(opened).toMatchObject({
      source: 'api',
      services: ['api'],
      startsAt: T0,
      endsAt: T0 + HOUR,
      createdBy: 'alice',
      createdAt: T0,
      state: 'active',
    })
    expect(first.m.covering('api')?.id).toBe(opened.id)
    expect(first.events).toEqual([['opened', opened.id]])
    first.m.stop()

    const second = setup([], store)
    await second.m.start()
    expect(second.m.covering('api')?.id).toBe(opened.id)
    await second.clock.advance(10 * MIN)
    const ended = await second.m.end(opened.id, 'bob')
    expect(ended).toMatchObject({ state: 'ended', endedEarlyAt: T0 + 10 * MIN, endedBy: 'bob' })
    expect(second.m.covering('api')).toBeUndefined()
    expect(second.events).toEqual([
      ['opened', opened.id],
      ['ended', opened.id],
    ])
    expect(await store.maintenanceWindows.getWindow(opened.id)).toMatchObject({
      reason: 'deploy',
      createdBy: 'alice',
      endedBy: 'bob',
      endedEarlyAt: T0 + 10 * MIN,
    })
    expect((await second.m.list(['ended'], 10)).map((w) => w.id)).toEqual([opened.id])
    await expect(second.m.end(opened.id, 'bob')).rejects.toMatchObject({ status: 409 })
  })

  it('should refuse what it cannot open or end, with the status that says why', async () => {
    const { m } = setup([configWindow({ id: 'c', services: ['api'], endsAt: T0 + HOUR })])
    await m.start()
    const refused = async (p: Promise<unknown>, status: number, message: RegExp) => {
      await expect(p).rejects.toMatchObject({ status, message: expect.stringMatching(message) })
    }
    await refused(
      m.open({ services: ['nope'], endsAt: T0 + HOUR, reason: 'x' }, 'a'),
      404,
      /unknown service "nope"/,
    )
    await refused(
      m.open({ services: [], tags: ['nope'], endsAt: T0 + HOUR, reason: 'x' }, 'a'),
      400,
      /no service has the tag/,
    )
    await refused(
      m.open({ services: ['api'], endsAt: T0 - 1, reason: 'x' }, 'a'),
      400,
      /endsAt must be after/,
    )
    await refused(
      m.open({ services: ['api'], startsAt: T0 - HOUR, endsAt: T0 - 1, reason: 'x' }, 'a'),
      400,
      /endsAt must be in the future/,
    )
    await refused(
      m.open({ services: ['api'], endsAt: T0 + 8 * 24 * HOUR, reason: 'x' }, 'a'),
      400,
      /at most 168 h/,
    )
    await refused(m.end('config:c', 'a'), 409, /config file/)
    await refused(m.end('mnt_nope', 'a'), 404, /unknown maintenance window/)
  })

  it('should cancel an upcoming window ended before it opens, and never open it', async () => {
    const { m, clock, events } = setup()
    await m.start()
    const planned = await m.open(
      { services: ['db'], startsAt: T0 + HOUR, endsAt: T0 + 2 * HOUR, reason: 'x' },
      'a',
    )
    expect(planned.state).toBe('upcoming')
    expect((await m.end(planned.id, 'b')).state).toBe('ended')
    await clock.advance(90 * MIN)
    expect(m.covering('db')).toBeUndefined()
    expect(events).toEqual([])
  })
})
