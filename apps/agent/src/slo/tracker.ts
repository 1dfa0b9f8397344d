import type { BurnWindow, SloFacts } from '@noa/alerts'
import { type Clock, errorMessage, type Logger } from '@noa/core'
import type { SeriesPoints, Store } from '@noa/store'
import type { AgentService } from '../config/schema.ts'
import type { SloDefaults } from '../config/slo.ts'
import type { ScrapedSample } from '../metrics/figures.ts'
import { latencyProblem, SLO_LATENCY_GOOD, SLO_LATENCY_TOTAL } from './latency-samples.ts'
import {
  BURN_WINDOWS,
  budgetRemaining,
  burnRate,
  DAY,
  stepFor,
  windowAverage,
  windowSlowRatio,
} from './math.ts'

/** The kind of an objective. */
export type SloKind = 'availability' | 'latency'

/** One objective of one service, as `GET /api/slos` shows it. */
export interface SloStatus {
  slo: SloKind
  /** Percent, e.g. 99.9. */
  objective: number
  windowDays: number
  /** Latency objectives: the threshold and the histogram. */
  thresholdMs?: number
  metric?: string
  /** Fraction of good time (availability) or fast requests (latency) over the SLO window; absent without data. */
  sli?: number
  /** Fraction of the error budget left over the SLO window: 1 untouched, 0 or less spent. */
  budgetRemaining?: number
  /** Burn rate per window; a window without data is left out. */
  burnRates: Partial<Record<BurnWindow, number>>
  /** Why there is no data, when it is known (a threshold that is not a bucket bound). */
  problem?: string
}

/** A service's objectives and what is decided from them. */
export interface ServiceSloStatus {
  service: string
  slos: SloStatus[]
  /** An error budget of the service is spent. */
  spent: boolean
  /** Risky healing is held while the budget is spent (`slo.holdRiskyHealing`). */
  holdRiskyHealing: boolean
  /** The latest risky healing held, while the budget stays spent. */
  held?: { trigger: string; at: number }
  /** Epoch ms of the computation. */
  updatedAt: number
}

/** What the tracker reads. */
export interface SloTrackerDeps {
  store: Pick<Store, 'samples'>
  clock: Clock
  logger: Logger
  services: readonly AgentService[]
  defaults: SloDefaults
  /** The latest scrape of every service (the `service` label added), to say why a latency SLO has no data. */
  scraped?: () => readonly ScrapedSample[]
}

/**
 * The error budgets and burn rates of every service with an SLO, computed on a timer
 * ({@link SloTracker.refresh}), never in a request or a rule evaluation, which read the
 * result. Each query reads the whole fleet by series name and answers several windows: the last
 * hour by the minute (5m, 30m, 1h) at every refresh, the last 3 days by the hour (6h, 3d) every
 * 5 minutes, each SLO window in about twelve steps every 15 minutes at most (a 30-day budget
 * moves slowly); the store answers the long ones from its 1-minute and 1-hour rollups.
 */
export interface SloTracker {
  /** Takes a reloaded configuration's services from the next refresh on. */
  useServices(services: readonly AgentService[]): void
  /** Reads the windows that are due and recomputes every status. Never throws: a failed read keeps the last figures. */
  refresh(): Promise<void>
  /** A service's status, or undefined when it has no SLO. */
  status(service: string): ServiceSloStatus | undefined
  /** Every service with an SLO, by name. */
  list(): ServiceSloStatus[]
  /** What the rules read; the same object until something changed, so the fact reader can keep it. */
  facts(service: string): SloFacts | undefined
  /** Whether risky healing of the service is held now: its budget is spent and holding is on. */
  holdsRisky(service: string): boolean
  /** The incident router held a risky healing: the rules see it (`slo_healing_held`) until the budget recovers. */
  noteHeld(service: string, trigger: string, at: number): void
}

/** Up to this many services are selected by a label matcher in the query, more by a set afterwards. */
const SELECT_IN_QUERY = 100

/** The longest any window waits between two reads. */
const MAX_REFRESH_MS = 15 * 60_000

/** One range query over `span` by `step`, answering each of `windows` (the latest `every` ms at most). */
interface ReadGroup {
  span: number
  step: number
  every: number
  windows: number[]
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** The windows read, one cache entry each: the burn-rate windows and each SLO window in use. */
interface WindowRead {
  at: number
  /** Per service: fraction of bad time (availability) or slow requests (latency). */
  ratios: Map<string, number>
}

/** Creates the tracker; call `refresh` on a timer (the agent does, every `slo.interval`). */
export function createSloTracker(deps: SloTrackerDeps): SloTracker {
  const { store, clock, logger } = deps
  let services = sloServices(deps.services)
  const reads = new Map<string, WindowRead>()
  /** When each query group was last read. */
  /**
   * When each query is due again. A query that found no data for some of its services (a fresh
   * start, a new service) is read again after one interval, then two, four... up to its own
   * period: a 30-day budget does not say "no data yet" for 15 minutes after a restart.
   */
  const due = new Map<string, { at: number; misses: number }>()
  let statuses = new Map<string, ServiceSloStatus>()
  const facts = new Map<string, SloFacts>()
  const held = new Map<string, { trigger: string; at: number }>()

  /**
   * The queries of one kind, each answering several windows: the last hour by the minute (5m,
   * 30m, 1h) at every refresh, the last 3 days by the hour (6h, 3d) every 5 minutes, and each
   * SLO window in about twelve steps after a sixtieth of it (at most 15 min).
   */
  const groupsOf = (kind: SloKind): ReadGroup[] => {
    const interval = deps.defaults.interval
    const groups: ReadGroup[] = [
      { span: HOUR, step: MINUTE, every: 0, windows: [BURN_WINDOWS['5m'], BURN_WINDOWS['30m'], HOUR] },
      {
        span: BURN_WINDOWS['3d'],
        step: HOUR,
        every: Math.max(interval, 5 * MINUTE),
        windows: [BURN_WINDOWS['6h'], BURN_WINDOWS['3d']],
      },
    ]
    const days = new Set(services.flatMap((s) => (s.slo?.[kind] ? [s.slo[kind].windowDays] : [])))
    for (const d of days) {
      const span = d * DAY
      groups.push({
        span,
        step: stepFor(span),
        every: Math.min(MAX_REFRESH_MS, Math.max(interval, span / 60)),
        windows: [span],
      })
    }
    return groups
  }

  async function read(kind: SloKind, group: ReadGroup, now: number, names: string[]): Promise<void> {
    const key = `${kind}|${group.span}|${group.step}`
    const next = due.get(key)
    if (next !== undefined && now < next.at) return
    const { span, step } = group
    // A few services are selected in the query; many are filtered here (a regex of thousands
    // of alternatives, tried on every series, costs more than reading the few extra series).
    const wanted = new Set(names)
    const selector =
      names.length <= SELECT_IN_QUERY
        ? { labels: [{ label: 'service', op: '=~' as const, value: names.map(escapeRegex).join('|') }] }
        : {}
    const query = { ...selector, start: now - span, end: now, step }
    const ratios = group.windows.map(() => new Map<string, number>())
    if (kind === 'availability') {
      const up = await store.samples.range({ ...query, name: 'noa_service_up', aggregation: 'avg' })
      for (const s of up) {
        const service = s.series.labels.service ?? ''
        if (!wanted.has(service)) continue
        group.windows.forEach((w, i) => {
          const avg = windowAverage(s.points, step, now - w, now)
          if (avg !== undefined) ratios[i]!.set(service, 1 - avg)
        })
      }
    } else {
      const [good, total] = await Promise.all([
        store.samples.range({ ...query, name: SLO_LATENCY_GOOD, aggregation: 'rate' }),
        store.samples.range({ ...query, name: SLO_LATENCY_TOTAL, aggregation: 'rate' }),
      ])
      const goodOf = byService(good)
      for (const [service, points] of byService(total)) {
        if (!wanted.has(service)) continue
        group.windows.forEach((w, i) => {
          const slow = windowSlowRatio(goodOf.get(service) ?? [], points, step, now - w, now)
          if (slow !== undefined) ratios[i]!.set(service, slow)
        })
      }
    }
    const complete = ratios[0]!.size >= wanted.size
    const misses = complete ? 0 : (next?.misses ?? 0) + 1
    const wait = complete ? group.every : Math.min(group.every, deps.defaults.interval * 2 ** (misses - 1))
    due.set(key, { at: now + wait, misses })
    group.windows.forEach((w, i) => {
      reads.set(`${kind}|${w}`, { at: now, ratios: ratios[i]! })
    })
  }

  function compute(now: number): void {
    const latency = new Set(services.filter((s) => s.slo?.latency).map((s) => s.name))
    const scraped = deps.scraped && latency.size > 0 ? groupScraped(deps.scraped(), latency) : undefined
    const next = new Map<string, ServiceSloStatus>()
    for (const s of services) {
      const config = s.slo!
      const slos: SloStatus[] = []
      for (const kind of ['availability', 'latency'] as const) {
        const slo = config[kind]
        if (!slo) continue
        const ratioOf = (windowMs: number) => reads.get(`${kind}|${windowMs}`)?.ratios.get(s.name)
        const burnRates: Partial<Record<BurnWindow, number>> = {}
        for (const [w, ms] of Object.entries(BURN_WINDOWS) as Array<[BurnWindow, number]>) {
          const ratio = ratioOf(ms)
          if (ratio !== undefined) burnRates[w] = round(burnRate(ratio, slo.objective))
        }
        const ratio = ratioOf(slo.windowDays * DAY)
        const status: SloStatus = {
          slo: kind,
          objective: slo.objective,
          windowDays: slo.windowDays,
          ...(kind === 'latency' && 'metric' in slo
            ? { thresholdMs: slo.thresholdMs, metric: slo.metric }
            : {}),
          ...(ratio === undefined
            ? {}
            : { sli: round(1 - ratio), budgetRemaining: round(budgetRemaining(ratio, slo.objective)) }),
          burnRates,
        }
        const problem =
          kind === 'latency' && 'metric' in slo
            ? latencyProblem(slo, scraped ? (scraped.get(s.name) ?? []) : undefined)
            : ratio === undefined
              ? 'no data yet: noa_service_up is stored every metrics round'
              : undefined
        if (problem) status.problem = problem
        slos.push(status)
      }
      const spent = slos.some((x) => x.budgetRemaining !== undefined && x.budgetRemaining <= 0)
      if (!spent) held.delete(s.name)
      const h = held.get(s.name)
      next.set(s.name, {
        service: s.name,
        slos,
        spent,
        holdRiskyHealing: config.holdRiskyHealing ?? deps.defaults.holdRiskyHealing,
        ...(h ? { held: h } : {}),
        updatedAt: now,
      })
    }
    statuses = next
    facts.clear()
  }

  return {
    useServices(list) {
      services = sloServices(list)
      for (const name of held.keys()) if (!services.some((s) => s.name === name)) held.delete(name)
      compute(clock.now())
    },
    async refresh() {
      const now = clock.now()
      for (const kind of ['availability', 'latency'] as const) {
        const names = services.filter((s) => s.slo?.[kind]).map((s) => s.name)
        if (names.length === 0) continue
        for (const group of groupsOf(kind)) {
          try {
            await read(kind, group, now, names)
          } catch (error) {
            logger.warn('cannot read an SLO window; keeping the last figures', {
              slo: kind,
              spanMs: group.span,
              error: errorMessage(error),
            })
          }
        }
      }
      compute(now)
    },
    status: (service) => statuses.get(service),
    list: () => [...statuses.values()].sort((a, b) => (a.service < b.service ? -1 : 1)),
    facts(service) {
      const known = facts.get(service)
      if (known) return known
      const status = statuses.get(service)
      if (!status) return undefined
      const made = factsOf(status)
      facts.set(service, made)
      return made
    },
    holdsRisky(service) {
      const status = statuses.get(service)
      return status?.holdRiskyHealing === true && status.spent
    },
    noteHeld(service, trigger, at) {
      const status = statuses.get(service)
      if (!status) return
      const mark = { trigger, at }
      held.set(service, mark)
      statuses.set(service, { ...status, held: mark })
      facts.delete(service)
    },
  }
}

function sloServices(list: readonly AgentService[]): AgentService[] {
  return list.filter((s) => s.slo !== undefined)
}

/** The facts of one service: its lowest budget, its highest burn per window, and words for annotations. */
function factsOf(status: ServiceSloStatus): SloFacts {
  const budgets = status.slos.flatMap((s) => (s.budgetRemaining === undefined ? [] : [s.budgetRemaining]))
  const budget = budgets.length > 0 ? Math.min(...budgets) : undefined
  const burnRates: Partial<Record<BurnWindow, number>> = {}
  for (const s of status.slos)
    for (const [w, v] of Object.entries(s.burnRates) as Array<[BurnWindow, number]>)
      burnRates[w] = Math.max(burnRates[w] ?? Number.NEGATIVE_INFINITY, v)
  const annotations: Record<string, string | number> = {
    objectives: status.slos.map(describe).join('; '),
    ...(budget === undefined ? {} : { budget_left: Number((budget * 100).toFixed(1)) }),
    ...(status.held ? { held: status.held.trigger } : {}),
  }
  for (const [w, v] of Object.entries(burnRates)) annotations[`burn_${w}`] = Number(v.toFixed(2))
  return {
    ...(budget === undefined ? {} : { budgetRemaining: budget }),
    burnRates,
    ...(status.held ? { heldTrigger: status.held.trigger } : {}),
    annotations,
  }
}

/** `availability 99.9 % over 30 d` or `latency 99 % under 300 ms over 30 d`. */
export function describe(s: SloStatus): string {
  const under = s.thresholdMs === undefined ? '' : ` under ${s.thresholdMs} ms`
  return `${s.slo} ${s.objective} %${under} over ${s.windowDays} d`
}

function byService(series: readonly SeriesPoints[]): Map<string, SeriesPoints['points']> {
  return new Map(series.map((s) => [s.series.labels.service ?? '', s.points]))
}

/** The latest scrape of each of `wanted`, from every service's. */
function groupScraped(samples: readonly ScrapedSample[], wanted: ReadonlySet<string>) {
  const out = new Map<string, ScrapedSample[]>()
  for (const s of samples) {
    const service = s.labels.service
    if (service === undefined || !wanted.has(service)) continue
    let list = out.get(service)
    if (!list) {
      list = []
      out.set(service, list)
    }
    list.push(s)
  }
  return out
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
const round = (v: number) => Number(v.toPrecision(6))
