import type { SampleStore, SeriesPoints } from '@noa/store'
import { type DayBar, STATUS_PAGE_DAYS, type UptimeFigures } from './types.ts'

const HOUR = 3_600_000
const DAY = 86_400_000

/** The metric the agent writes every metrics round: 1 while a service is healthy, 0 otherwise. */
export const SERVICE_UP = 'noa_service_up'

/** Uptime of one service over the page's windows, and its bar per day. */
export interface ServiceUptime {
  uptime: UptimeFigures
  days: DayBar[]
}

/** Samples of one step: how many, and how many of them said up (the sum of the 0/1 values). */
interface Tally {
  up: number
  count: number
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')

/** Percent with three decimals, or null for no samples. */
const percent = (t: Tally | undefined): number | null =>
  t === undefined || t.count === 0 ? null : Math.round((t.up / t.count) * 100_000) / 1000

const add = (into: Tally, t: Tally | undefined) => {
  if (!t) return
  into.up += t.up
  into.count += t.count
}

/** Steps of each series by start: avg and count read separately, joined into tallies. */
function tallies(avg: SeriesPoints[], count: SeriesPoints[]): Map<string, Map<number, Tally>> {
  const counts = new Map<number, Map<number, number>>()
  for (const s of count) counts.set(s.series.id, new Map(s.points))
  const out = new Map<string, Map<number, Tally>>()
  for (const s of avg) {
    const service = s.series.labels.service
    if (service === undefined) continue
    const n = counts.get(s.series.id)
    const steps = new Map<number, Tally>()
    for (const [at, value] of s.points) {
      const c = n?.get(at) ?? 0
      steps.set(at, { up: value * c, count: c })
    }
    out.set(service, steps)
  }
  return out
}

/** Reads uptime for the status page, keeping what does not change between two reads. */
export interface UptimeReader {
  /** Uptime and daily bars of `services` at `now`. */
  read(services: readonly string[], now: number): Promise<Map<string, ServiceUptime>>
}

/** Options of {@link createUptimeReader}. */
export interface UptimeReaderOptions {
  /**
   * How long the whole days already read are kept before they are read again (a late sample
   * or rollup of yesterday is taken in then). They are read again at once on a new day or
   * when the set of services changes. @default 3600000 (an hour)
   */
  historyTtlMs?: number
}

/** Whole days read once: per service, each day's tally. */
interface History {
  today: number
  key: string
  at: number
  perDay: Map<string, Map<number, Tally>>
}

/**
 * Reads the uptime of services from `noa_service_up`: a bar per UTC day for the last
 * {@link STATUS_PAGE_DAYS} days (today so far the last), and the uptime over 24 h (whole
 * hours: from the hour 24 h ago), 7, 30 and 90 days (the last 7, 30, 90 bars).
 *
 * Uptime over a window is the share of samples that said up: days and hours are weighed
 * by how many samples they hold, so a day the agent ran for an hour counts as an hour.
 * Whole days are read per day and the last 24 h per hour, both from the store's rollups
 * (1-hour buckets for what is rolled up): the cost grows with services x days, not with
 * checks. Whole days do not change: they are read again only on a new day, when the
 * services change, or after `historyTtlMs`; the other reads cost 24 hours per service.
 *
 * @example
 * ```ts
 * const uptime = createUptimeReader(store.samples)
 * const byService = await uptime.read(['api', 'web'], Date.now())
 * byService.get('api')?.uptime['30d'] // 99.95
 * ```
 */
export function createUptimeReader(samples: SampleStore, options: UptimeReaderOptions = {}): UptimeReader {
  const historyTtlMs = options.historyTtlMs ?? HOUR
  let history: History | undefined

  const selector = (services: readonly string[]) => ({
    name: SERVICE_UP,
    labels: [{ label: 'service', op: '=~' as const, value: services.map(escapeRegex).join('|') }],
  })

  async function days(services: readonly string[], today: number, now: number): Promise<History['perDay']> {
    const key = services.join('\u0000')
    if (history && history.today === today && history.key === key && now - history.at < historyTtlMs)
      return history.perDay
    const q = { ...selector(services), start: today - (STATUS_PAGE_DAYS - 1) * DAY, end: today, step: DAY }
    const [avg, count] = await Promise.all([
      samples.range({ ...q, aggregation: 'avg' }),
      samples.range({ ...q, aggregation: 'count' }),
    ])
    history = { today, key, at: now, perDay: tallies(avg, count) }
    return history.perDay
  }

  return {
    async read(services, now) {
      const out = new Map<string, ServiceUptime>()
      if (services.length === 0) return out
      const today = Math.floor(now / DAY) * DAY
      const first = today - (STATUS_PAGE_DAYS - 1) * DAY
      const hours = {
        ...selector(services),
        start: Math.floor((now - DAY) / HOUR) * HOUR,
        end: now + 1,
        step: HOUR,
      }
      const [perDay, hourAvg, hourCount] = await Promise.all([
        days(services, today, now),
        samples.range({ ...hours, aggregation: 'avg' }),
        samples.range({ ...hours, aggregation: 'count' }),
      ])
      const perHour = tallies(hourAvg, hourCount)
      const dates: string[] = []
      for (let i = 0; i < STATUS_PAGE_DAYS; i++)
        dates.push(new Date(first + i * DAY).toISOString().slice(0, 10))
      for (const name of services) {
        const byDay = perDay.get(name)
        const last24h: Tally = { up: 0, count: 0 }
        const todaySoFar: Tally = { up: 0, count: 0 }
        for (const [at, t] of perHour.get(name) ?? []) {
          add(last24h, t)
          if (at >= today) add(todaySoFar, t)
        }
        const tally: Tally[] = []
        for (let i = 0; i < STATUS_PAGE_DAYS - 1; i++)
          tally.push(byDay?.get(first + i * DAY) ?? { up: 0, count: 0 })
        tally.push(todaySoFar)
        const over = (n: number) => {
          const sum: Tally = { up: 0, count: 0 }
          for (const t of tally.slice(-n)) add(sum, t)
          return percent(sum)
        }
        out.set(name, {
          uptime: { '24h': percent(last24h), '7d': over(7), '30d': over(30), '90d': over(STATUS_PAGE_DAYS) },
          days: tally.map((t, i) => ({ date: dates[i] as string, uptime: percent(t) })),
        })
      }
      return out
    },
  }
}
