import { type Clock, errorMessage, type Logger, noopLogger } from '@noa/core'
import type { SampleStore } from '@noa/store'
import { DEFAULT_STATUS_PAGE_TITLE, type StatusPageConfig } from '../config/status-page.ts'
import { countsAsDown } from '../fleet-health.ts'
import { NO_INCIDENTS, type StatusPageIncident, type StatusPageIncidents } from './incidents.ts'
import {
  type OverallPublicState,
  type PublicGroup,
  type PublicIncident,
  type PublicService,
  type PublicState,
  STATUS_PAGE_LIMITS,
  type StatusPageBody,
} from './types.ts'
import { createUptimeReader } from './uptime.ts'

const DAY = 86_400_000

/** A service as the page needs it from the configuration. */
export interface StatusPageService {
  name: string
  public?: boolean | undefined
  group?: string | undefined
}

/** What the page is computed from. */
export interface StatusPageDeps {
  samples: SampleStore
  /** The configured services (the page keeps those with `public: true`), read at each computation. */
  services(): readonly StatusPageService[]
  /** A service's health state now (`healthy`, `unhealthy`, `error`, `unknown`). */
  state(name: string): string | undefined
  /**
   * Whether a maintenance window covers the service now: the page shows it in `maintenance`,
   * never down. Only this yes or no reaches the page, not the window's reason or who opened it.
   * @default never
   */
  inMaintenance?(name: string): boolean
  /** The `statusPage` section, read at each computation. */
  settings(): StatusPageConfig | undefined
  /** @default none: the page shows no incidents */
  incidents?: StatusPageIncidents
  clock: Clock
  /** How long a computed page is served before the next request computes it again. @default 30000 */
  ttlMs?: number
  /**
   * With no page to serve, how long after a failed computation requests fail at once without
   * computing again, so a flood of readers while the store is down costs no more. @default 5000
   */
  retryMs?: number
  /** @default none */
  logger?: Logger
}

/** How the page's computations went, for the agent's metrics. */
export interface StatusPageStats {
  computed: number
  failed: number
  /** Answers given with an older page because computing a new one failed. */
  servedStale: number
  /** Milliseconds the last computation took. */
  lastMs: number
}

/** The public status page, computed at most once per `ttlMs` whatever the number of readers. */
export interface StatusPage {
  /** The page: the cached one while fresh, else the one being computed (one at a time). */
  get(): Promise<StatusPageBody>
  /**
   * Makes the next `get` compute the page again instead of serving the cached one (a
   * maintenance window opened or ended: the page says so at once, not up to `ttlMs` later).
   * The cached page is still served if that computation fails.
   */
  invalidate(): void
  stats(): StatusPageStats
}

const BANNER: Record<OverallPublicState, string> = {
  operational: 'All systems operational',
  maintenance: 'Scheduled maintenance in progress',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
}

/** A service in maintenance shows so whatever its checks say: planned work is not an outage (countsAsDown). */
const publicState = (state: string | undefined, inMaintenance: boolean): PublicState =>
  countsAsDown(state, inMaintenance)
    ? 'outage'
    : inMaintenance
      ? 'maintenance'
      : state === 'healthy'
        ? 'operational'
        : 'unknown'

/**
 * More than half of the public services down is a major outage; any down, a partial one; none
 * down and some in maintenance, maintenance. Services in maintenance are not down.
 */
function overall(services: readonly PublicService[]): OverallPublicState {
  const down = services.filter((s) => s.state === 'outage').length
  if (down === 0) return services.some((s) => s.state === 'maintenance') ? 'maintenance' : 'operational'
  return down * 2 > services.length ? 'major_outage' : 'partial_outage'
}

const clip = (text: string) =>
  text.length > STATUS_PAGE_LIMITS.text ? `${text.slice(0, STATUS_PAGE_LIMITS.text - 1)}…` : text

/** An incident as the public sees it: who acknowledged it (`by`) stays inside the team. */
function toPublic(incident: StatusPageIncident): PublicIncident {
  const updates = [...incident.events]
    .sort((a, b) => a.at - b.at)
    .slice(-STATUS_PAGE_LIMITS.updates)
    .map((e) => ({ at: e.at, kind: String(e.kind).slice(0, 64), text: clip(String(e.text)) }))
  return {
    id: String(incident.id).slice(0, 128),
    service: incident.service,
    title: clip(String(incident.title)),
    severity: String(incident.severity).slice(0, 32),
    state: incident.state,
    openedAt: incident.openedAt,
    ...(incident.resolvedAt === undefined ? {} : { resolvedAt: incident.resolvedAt }),
    updates,
  }
}

/**
 * The public status page (`/status`, `/api/status-page`): the services marked `public: true`,
 * by group, with their state, uptime and daily bars from `noa_service_up`, and the recent
 * incidents of those services. Nothing about other services is read into it. A page is
 * computed lazily, at most one computation at a time, and served for `ttlMs`: a flood of
 * readers costs one computation per `ttlMs`. When a computation fails the previous page is
 * served (counted and logged); with none, the error is thrown.
 *
 * @example
 * ```ts
 * const page = createStatusPage({ samples: store.samples, services: () => config.services,
 *   state: (name) => health.status(name).state, settings: () => config.statusPage, clock })
 * const body = await page.get()
 * ```
 */
export function createStatusPage(deps: StatusPageDeps): StatusPage {
  const ttlMs = deps.ttlMs ?? 30_000
  const logger = deps.logger ?? noopLogger
  const incidents = deps.incidents ?? NO_INCIDENTS
  const stats: StatusPageStats = { computed: 0, failed: 0, servedStale: 0, lastMs: 0 }
  const uptimeReader = createUptimeReader(deps.samples)
  const retryMs = deps.retryMs ?? 5000
  let cached: { body: StatusPageBody; at: number } | undefined
  let failed: { error: unknown; at: number } | undefined
  let inFlight: Promise<StatusPageBody> | undefined
  /** Increases with each `invalidate`: a page computed across one is served no longer than once. */
  let generation = 0

  const stateOf = (name: string) => {
    try {
      return deps.state(name)
    } catch {
      return undefined // removed by a reload since the services were read
    }
  }
  const inMaintenance = (name: string) => deps.inMaintenance?.(name) === true

  async function compute(): Promise<StatusPageBody> {
    const now = deps.clock.now()
    const started = deps.clock.monotonic()
    const all = deps.services().filter((s) => s.public === true)
    const shown = all.slice(0, STATUS_PAGE_LIMITS.services)
    const names = shown.map((s) => s.name)
    const [uptime, recent] = await Promise.all([
      uptimeReader.read(names, now),
      names.length === 0
        ? Promise.resolve([])
        : incidents.incidents({
            services: names,
            since: now - STATUS_PAGE_LIMITS.incidentDays * DAY,
            limit: STATUS_PAGE_LIMITS.incidents,
          }),
    ])
    const groups = new Map<string | null, PublicGroup>()
    const services: PublicService[] = []
    for (const s of shown) {
      const u = uptime.get(s.name)
      const service: PublicService = {
        name: s.name,
        state: publicState(stateOf(s.name), inMaintenance(s.name)),
        uptime: u?.uptime ?? { '24h': null, '7d': null, '30d': null, '90d': null },
        days: u?.days ?? [],
      }
      services.push(service)
      const key = s.group ?? null
      let group = groups.get(key)
      if (!group) {
        group = { name: key, services: [] }
        groups.set(key, group)
      }
      group.services.push(service)
    }
    // The source is trusted to filter, and checked: a private service's incident never shows.
    const allowed = new Set(names)
    const shownIncidents = recent
      .filter((i) => allowed.has(i.service))
      .sort((a, b) => b.openedAt - a.openedAt)
      .slice(0, STATUS_PAGE_LIMITS.incidents)
      .map(toPublic)
    const status = overall(services)
    const settings = deps.settings()
    const omitted = all.length - shown.length
    if (omitted > 0)
      logger.warn('the status page shows the first public services only', {
        shown: shown.length,
        omitted,
      })
    stats.computed++
    stats.lastMs = deps.clock.monotonic() - started
    return {
      title: settings?.title ?? DEFAULT_STATUS_PAGE_TITLE,
      ...(settings?.description ? { description: settings.description } : {}),
      generatedAt: now,
      status,
      banner: BANNER[status],
      // Named groups in name order, then the services without a group.
      groups: [...groups.values()].sort((a, b) =>
        a.name === null ? 1 : b.name === null ? -1 : a.name.localeCompare(b.name),
      ),
      incidents: shownIncidents,
      ...(omitted > 0 ? { omittedServices: omitted } : {}),
    }
  }

  function refresh(): Promise<StatusPageBody> {
    if (inFlight) return inFlight
    const from = generation
    inFlight = compute()
      .then(
        (body) => {
          // Read before an invalidate: answered, but the next request computes again.
          cached = { body, at: from === generation ? deps.clock.now() : Number.NEGATIVE_INFINITY }
          failed = undefined
          return body
        },
        (error: unknown) => {
          stats.failed++
          logger.error('the status page could not be computed', { error: errorMessage(error) })
          if (!cached) {
            failed = { error, at: deps.clock.now() }
            throw error
          }
          stats.servedStale++
          // Served again for a while: a failing store is retried once per ttl, not per request.
          cached = { body: cached.body, at: deps.clock.now() }
          return cached.body
        },
      )
      .finally(() => {
        inFlight = undefined
      })
    return inFlight
  }

  return {
    get() {
      const now = deps.clock.now()
      if (cached && now - cached.at < ttlMs) return Promise.resolve(cached.body)
      if (!cached && failed && now - failed.at < retryMs && !inFlight) return Promise.reject(failed.error)
      return refresh()
    },
    invalidate() {
      generation++
      if (cached) cached = { body: cached.body, at: Number.NEGATIVE_INFINITY }
    },
    stats: () => ({ ...stats }),
  }
}
