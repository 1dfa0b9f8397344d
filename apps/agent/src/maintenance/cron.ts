/**
 * A five-field cron expression (minute hour day-of-month month day-of-week), as Vixie cron
 * reads it: `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, month and day
 * names (`jan`, `mon`), day-of-week 0-7 (0 and 7 are Sunday). When both day fields are
 * restricted, a day matches either (cron's rule). Small on purpose: no seconds, no `L`/`W`/`#`.
 */
export interface Cron {
  readonly source: string
  readonly minutes: ReadonlySet<number>
  readonly hours: ReadonlySet<number>
  readonly days: ReadonlySet<number>
  readonly months: ReadonlySet<number>
  readonly weekdays: ReadonlySet<number>
  /** Whether the day-of-month field is `*` (then only the weekday decides, and the other way round). */
  readonly anyDay: boolean
  readonly anyWeekday: boolean
}

/** The wall-clock fields of one minute in a time zone. */
export interface WallTime {
  minute: number
  hour: number
  /** 1-31 */
  day: number
  /** 1-12 */
  month: number
  /** 0 (Sunday) - 6 */
  weekday: number
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

interface Field {
  name: string
  min: number
  max: number
  names?: readonly string[]
  /** What a name's index is offset by (months count from 1). */
  nameBase?: number
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
]

/** Parses a cron expression; throws an Error naming the field and the value it could not read. */
export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/)
  if (parts.length !== 5)
    throw new Error(
      `expected 5 fields (minute hour day-of-month month day-of-week); found ${parts.length} in ${JSON.stringify(source)}`,
    )
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]!))
  const weekdays = new Set([...sets[4]!].map((d) => d % 7))
  return {
    source,
    minutes: sets[0]!,
    hours: sets[1]!,
    days: sets[2]!,
    months: sets[3]!,
    weekdays,
    anyDay: parts[2] === '*' || parts[2] === '?',
    anyWeekday: parts[4] === '*' || parts[4] === '?',
  }
}

function parseField(text: string, field: Field): Set<number> {
  const out = new Set<number>()
  const bad = (why: string) => new Error(`${field.name}: ${why} in ${JSON.stringify(text)}`)
  const value = (s: string): number => {
    const lower = s.toLowerCase()
    const named = field.names?.indexOf(lower) ?? -1
    if (named >= 0) return named + (field.nameBase ?? 0)
    if (!/^\d+$/.test(s)) throw bad(`${JSON.stringify(s)} is not a number${field.names ? ' or a name' : ''}`)
    const n = Number(s)
    if (n < field.min || n > field.max) throw bad(`${n} is outside ${field.min}-${field.max}`)
    return n
  }
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/')
    if (range === undefined || range === '' || extra !== undefined)
      throw bad('a list item is empty or malformed')
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        throw bad(`step ${JSON.stringify(stepText)} must be a whole number >= 1`)
      step = Number(stepText)
    }
    let from: number
    let to: number
    if (range === '*' || range === '?') {
      from = field.min
      to = field.max
    } else {
      const [a, b, more] = range.split('-')
      if (a === undefined || more !== undefined) throw bad(`${JSON.stringify(range)} is not a range`)
      from = value(a)
      to = b === undefined ? (stepText !== undefined ? field.max : from) : value(b)
      if (to < from) throw bad(`the range ${from}-${to} runs backwards`)
    }
    for (let n = from; n <= to; n += step) out.add(n)
  }
  return out
}

/** Whether the minute with these wall-clock fields matches. */
export function cronMatches(cron: Cron, t: WallTime): boolean {
  if (!cron.minutes.has(t.minute) || !cron.hours.has(t.hour) || !cron.months.has(t.month)) return false
  const day = cron.days.has(t.day)
  const weekday = cron.weekdays.has(t.weekday)
  if (cron.anyDay && cron.anyWeekday) return true
  if (cron.anyDay) return weekday
  if (cron.anyWeekday) return day
  return day || weekday
}

/** Whether a minute in this hour can match: lets a scan skip a whole hour with one look. */
export function cronHourMatches(cron: Cron, t: WallTime): boolean {
  return cronMatches(cron, { ...t, minute: [...cron.minutes][0]! })
}
