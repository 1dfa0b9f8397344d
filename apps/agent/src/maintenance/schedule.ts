import { type Cron, cronHourMatches, cronMatches, parseCron } from './cron.ts'
import { wallTime } from './zone.ts'

const MINUTE = 60_000

/** A recurring window: it opens at each minute the cron matches in the zone, for `durationMs`. */
export interface Recurrence {
  cron: Cron
  durationMs: number
  /** IANA time zone the cron's fields are read in. */
  timeZone: string
}

/** One opening of a window: epoch ms, `endsAt` exclusive. */
export interface Occurrence {
  startsAt: number
  endsAt: number
}

/** Weekday names of a weekly schedule, in cron's numbering (0 is Sunday). */
export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type WeekdayName = (typeof WEEKDAY_NAMES)[number]

/**
 * A weekly schedule as the cron expression it stands for: `at` is `HH:MM` on the given days.
 * A local time that a DST change skips does not occur that day; one it repeats occurs twice
 * (each opens the window), exactly as cron runs it.
 */
export function weeklyCron(days: readonly WeekdayName[], at: string): Cron {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(at)
  if (!m) throw new Error(`at: expected HH:MM (00:00-23:59); found ${JSON.stringify(at)}`)
  if (days.length === 0) throw new Error('days: expected at least one day')
  const numbers = [...new Set(days.map((d) => WEEKDAY_NAMES.indexOf(d)))].sort((a, b) => a - b)
  return parseCron(`${Number(m[2])} ${Number(m[1])} * * ${numbers.join(',')}`)
}

/**
 * The occurrence that holds `at`: the latest start in `(at - durationMs, at]`, or undefined.
 * The scan looks at each hour once and at the minutes of the hours that can match only, so a
 * week-long duration reads about 170 hours, not 10,080 minutes.
 */
export function occurrenceAt(r: Recurrence, at: number): Occurrence | undefined {
  let m = Math.floor(at / MINUTE) * MINUTE
  const limit = at - r.durationMs
  while (m > limit) {
    const t = wallTime(m, r.timeZone)
    if (!cronHourMatches(r.cron, t)) {
      // Back to the last minute of the previous wall-clock hour: no minute between can match.
      m -= (t.minute + 1) * MINUTE
      continue
    }
    if (cronMatches(r.cron, t)) return { startsAt: m, endsAt: m + r.durationMs }
    m -= MINUTE
  }
  return undefined
}

/** The first occurrence that starts after `after`, looking at most `horizonMs` ahead. */
export function nextOccurrence(r: Recurrence, after: number, horizonMs: number): Occurrence | undefined {
  let m = Math.floor(after / MINUTE) * MINUTE + MINUTE
  const limit = after + horizonMs
  while (m <= limit) {
    const t = wallTime(m, r.timeZone)
    if (!cronHourMatches(r.cron, t)) {
      m += (60 - t.minute) * MINUTE
      continue
    }
    if (cronMatches(r.cron, t)) return { startsAt: m, endsAt: m + r.durationMs }
    m += MINUTE
  }
  return undefined
}
