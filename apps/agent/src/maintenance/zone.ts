import type { WallTime } from './cron.ts'

// Formatters are costly to make and cheap to use: one per zone, for the agent's life (zones
// come from the config and are few).
const formatters = new Map<string, Intl.DateTimeFormat>()
const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Whether the runtime knows this IANA time zone (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

/** The wall-clock fields of the minute holding `at` (epoch ms) in `timeZone`. */
export function wallTime(at: number, timeZone: string): WallTime {
  const t: WallTime = { minute: 0, hour: 0, day: 1, month: 1, weekday: 0 }
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type === 'minute') t.minute = Number(p.value)
    else if (p.type === 'hour') t.hour = Number(p.value)
    else if (p.type === 'day') t.day = Number(p.value)
    else if (p.type === 'month') t.month = Number(p.value)
    else if (p.type === 'weekday') t.weekday = WEEKDAY[p.value] ?? 0
  }
  return t
}
