import { describe, expect, it } from 'vitest'
import { cronMatches, parseCron } from './cron.ts'
import { nextOccurrence, occurrenceAt, type Recurrence, weeklyCron } from './schedule.ts'
import { isTimeZone, wallTime } from './zone.ts'

const MIN = 60_000
const at = (iso: string) => Date.parse(iso)

describe('parseCron', () => {
  it('should read numbers, ranges, steps, lists and names', () => {
    const c = parseCron('*/15 2-4 1,15 jan-mar mon-fri')
    expect([...c.minutes]).toEqual([0, 15, 30, 45])
    expect([...c.hours]).toEqual([2, 3, 4])
    expect([...c.days]).toEqual([1, 15])
    expect([...c.months]).toEqual([1, 2, 3])
    expect([...c.weekdays]).toEqual([1, 2, 3, 4, 5])
    expect([...parseCron('0 0 * * 7').weekdays]).toEqual([0])
    expect([...parseCron('5/20 * * * *').minutes]).toEqual([5, 25, 45])
  })

  it('should refuse what it cannot read, naming the field', () => {
    expect(() => parseCron('* * * *')).toThrow('expected 5 fields')
    expect(() => parseCron('60 * * * *')).toThrow('minute: 60 is outside 0-59')
    expect(() => parseCron('* 5-2 * * *')).toThrow('hour: the range 5-2 runs backwards')
    expect(() => parseCron('* * * foo *')).toThrow('month: "foo" is not a number or a name')
    expect(() => parseCron('*/0 * * * *')).toThrow('minute: step "0"')
    expect(() => parseCron('1,,2 * * * *')).toThrow('minute: a list item is empty')
  })

  it('should match a day by either day field when both are restricted, as cron does', () => {
    const c = parseCron('0 0 13 * fri')
    const base = { minute: 0, hour: 0, month: 6 }
    expect(cronMatches(c, { ...base, day: 13, weekday: 2 })).toBe(true)
    expect(cronMatches(c, { ...base, day: 12, weekday: 5 })).toBe(true)
    expect(cronMatches(c, { ...base, day: 12, weekday: 4 })).toBe(false)
    expect(cronMatches(parseCron('0 0 * * fri'), { ...base, day: 13, weekday: 4 })).toBe(false)
  })
})

describe('wallTime', () => {
  it('should read the fields in the zone', () => {
    expect(wallTime(at('2026-03-02T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      minute: 30,
      hour: 8,
      day: 3,
      month: 3,
      weekday: 2,
    })
    expect(isTimeZone('Europe/Berlin')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
  })
})

describe('occurrenceAt and nextOccurrence', () => {
  const nightly: Recurrence = {
    cron: parseCron('0 2 * * *'),
    durationMs: 60 * MIN,
    timeZone: 'Europe/Berlin',
  }

  it('should hold a cron window from its start for its duration, in its zone', () => {
    // 02:00 in Berlin in winter is 01:00 UTC
    expect(occurrenceAt(nightly, at('2026-01-10T00:59:59Z'))).toBeUndefined()
    expect(occurrenceAt(nightly, at('2026-01-10T01:00:00Z'))).toEqual({
      startsAt: at('2026-01-10T01:00:00Z'),
      endsAt: at('2026-01-10T02:00:00Z'),
    })
    expect(occurrenceAt(nightly, at('2026-01-10T01:59:59Z'))?.startsAt).toBe(at('2026-01-10T01:00:00Z'))
    expect(occurrenceAt(nightly, at('2026-01-10T02:00:00Z'))).toBeUndefined()
    // in summer (CEST) the same wall time is 00:00 UTC
    expect(occurrenceAt(nightly, at('2026-07-10T00:30:00Z'))?.startsAt).toBe(at('2026-07-10T00:00:00Z'))
    expect(nextOccurrence(nightly, at('2026-01-10T01:00:00Z'), 2 * 86_400_000)?.startsAt).toBe(
      at('2026-01-11T01:00:00Z'),
    )
    expect(nextOccurrence(nightly, at('2026-01-10T01:00:00Z'), 3_600_000)).toBeUndefined()
  })

  it('should open a weekly window on its days only, a duration across midnight included', () => {
    const weekend: Recurrence = {
      cron: weeklyCron(['sat', 'sun'], '23:30'),
      durationMs: 120 * MIN,
      timeZone: 'America/New_York',
    }
    // Saturday 2026-01-10 23:30 EST is Sunday 04:30 UTC; it lasts to Sunday 01:30 local
    expect(occurrenceAt(weekend, at('2026-01-11T05:00:00Z'))?.startsAt).toBe(at('2026-01-11T04:30:00Z'))
    expect(occurrenceAt(weekend, at('2026-01-11T06:29:00Z'))?.startsAt).toBe(at('2026-01-11T04:30:00Z'))
    expect(occurrenceAt(weekend, at('2026-01-11T06:30:00Z'))).toBeUndefined()
    // Friday 23:30 local does not open it
    expect(occurrenceAt(weekend, at('2026-01-10T04:45:00Z'))).toBeUndefined()
    // the Sunday's own 23:30 opens it again, then the next Saturday's
    expect(nextOccurrence(weekend, at('2026-01-12T00:00:00Z'), 7 * 86_400_000)?.startsAt).toBe(
      at('2026-01-12T04:30:00Z'),
    )
    expect(nextOccurrence(weekend, at('2026-01-12T04:30:00Z'), 7 * 86_400_000)?.startsAt).toBe(
      at('2026-01-18T04:30:00Z'),
    )
    expect(() => weeklyCron(['mon'], '24:00')).toThrow('at: expected HH:MM')
  })

  it('should skip a local time that the spring DST change skips, and open twice at one it repeats', () => {
    const early: Recurrence = {
      cron: weeklyCron(['sun'], '02:30'),
      durationMs: 20 * MIN,
      timeZone: 'America/New_York',
    }
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that Sunday
    for (let t = at('2026-03-08T06:00:00Z'); t < at('2026-03-08T09:00:00Z'); t += 5 * MIN)
      expect(occurrenceAt(early, t)).toBeUndefined()
    expect(nextOccurrence(early, at('2026-03-08T05:00:00Z'), 8 * 86_400_000)?.startsAt).toBe(
      at('2026-03-15T06:30:00Z'),
    )
    const late: Recurrence = { ...early, cron: weeklyCron(['sun'], '01:30') }
    // 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST)
    expect(occurrenceAt(late, at('2026-11-01T05:40:00Z'))?.startsAt).toBe(at('2026-11-01T05:30:00Z'))
    expect(occurrenceAt(late, at('2026-11-01T06:00:00Z'))).toBeUndefined()
    expect(occurrenceAt(late, at('2026-11-01T06:35:00Z'))?.startsAt).toBe(at('2026-11-01T06:30:00Z'))
    expect(nextOccurrence(late, at('2026-11-01T05:30:00Z'), 86_400_000)?.startsAt).toBe(
      at('2026-11-01T06:30:00Z'),
    )
  })

  it('should find a week-long occurrence of a monthly cron without reading every minute', () => {
    const monthly: Recurrence = {
      cron: parseCron('0 0 1 * *'),
      durationMs: 7 * 86_400_000,
      timeZone: 'UTC',
    }
    const started = performance.now()
    expect(occurrenceAt(monthly, at('2026-02-07T23:59:00Z'))?.startsAt).toBe(at('2026-02-01T00:00:00Z'))
    expect(occurrenceAt(monthly, at('2026-02-08T00:00:00Z'))).toBeUndefined()
    expect(performance.now() - started).toBeLessThan(500)
  })
})
