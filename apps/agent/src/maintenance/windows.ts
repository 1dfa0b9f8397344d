import {
  type Clock,
  createEmitter,
  createId,
  errorMessage,
  type Logger,
  type Subscribable,
  type Timer,
} from '@noa/core'
import { type MaintenanceWindowRecord, type MaintenanceWindowStore, windowEnd } from '@noa/store'
import { MAINTENANCE_MAX_DURATION_MS, type MaintenanceWindowConfig } from '../config/maintenance.ts'
import { parseCron } from './cron.ts'
import { nextOccurrence, type Occurrence, occurrenceAt, type Recurrence, weeklyCron } from './schedule.ts'

/** Where a window is at a time. */
export type MaintenanceState = 'active' | 'upcoming' | 'ended'

/** A maintenance window as the API shows it (`GET /api/maintenance`) and the `maintenance` event carries it. */
export interface MaintenanceWindow {
  /** `config:<id>` for a window of the config file, the agent's id for one opened through the API. */
  id: string
  source: 'config' | 'api'
  services: string[]
  tags: string[]
  reason: string
  /** Who opened it: the API token's holder, or `config`. */
  createdBy: string
  /** Epoch ms; 0 for a window of the config file. */
  createdAt: number
  /** Epoch ms: a one-off window's span; a recurring one's current or next opening (null when none is due within 35 days). */
  startsAt: number | null
  endsAt: number | null
  /** A recurring window's schedule, as configured. */
  recurrence?: {
    cron?: string
    weekly?: { days: string[]; at: string }
    duration: number
    timeZone: string
  }
  /** When a person ended it early, and who. */
  endedEarlyAt?: number
  endedBy?: string
  state: MaintenanceState
}

/** The `maintenance` event: a window opened or ended (on time or early). */
export interface MaintenanceEvent {
  window: MaintenanceWindow
  phase: 'opened' | 'ended'
}

/** Events of {@link MaintenanceWindows}. */
export interface MaintenanceEvents {
  /** A window opened or ended: for the event stream, the logs and the incident timeline. */
  maintenance: MaintenanceEvent
  /** Services that came into or out of maintenance (a window opened or ended, a reload changed tags). */
  coverage: { entered: string[]; left: string[] }
}

/** What `POST /api/maintenance` asks for, checked for its shape already. */
export interface MaintenanceInput {
  services: string[]
  tags?: string[]
  /** @default now */
  startsAt?: number
  endsAt: number
  reason: string
}

/** Why a window was refused, with the HTTP status that says it. */
export class MaintenanceRefusal extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 503,
    message: string,
  ) {
    super(message)
    this.name = 'MaintenanceRefusal'
  }
}

/** Bounds of the windows opened through the API. */
export const MAINTENANCE_API_LIMITS = Object.freeze({
  /** Windows not yet over (open and upcoming) at once. */
  open: 500,
  /** Longest window. */
  durationMs: MAINTENANCE_MAX_DURATION_MS,
  /** Furthest ahead a window may start. */
  startsWithinMs: 90 * 86_400_000,
})

/** How far ahead the next opening of a recurring window is looked for. */
const HORIZON_MS = 35 * 86_400_000
/** The store is read again this often, so windows another agent on one store opened apply here too. */
export const MAINTENANCE_REFRESH_MS = 30_000

/** The windows and the time that {@link MaintenanceWindows} needs. */
export interface MaintenanceWindowsOptions {
  /** The config file's windows. */
  windows: readonly MaintenanceWindowConfig[]
  /** Each service's tags, for windows that cover tags. */
  services: readonly { name: string; tags?: readonly string[] }[]
  store: MaintenanceWindowStore
  clock: Clock
  logger: Logger
  /** How often the store is read again (windows opened by other agents on one store). @default 30000 */
  refreshMs?: number
}

/**
 * The maintenance windows of the agent: those of the config file and those opened through the
 * API (kept in the store, so they survive a restart). It knows at each moment which windows are
 * open and which services they cover (`covering`, O(1), asked on every alert and decision),
 * and says when that changes (`maintenance`, `coverage`).
 */
export interface MaintenanceWindows {
  on: Subscribable<MaintenanceEvents>['on']
  /** Loads the stored windows and starts following the clock. */
  start(): Promise<void>
  stop(): void
  /** The open window that covers `service`, if one does. */
  covering(service: string): MaintenanceWindow | undefined
  /** The services a window names, by name or by tag, among those the agent knows. */
  servicesOf(window: MaintenanceWindow): string[]
  /** Windows in a state (`active` and `upcoming` when not given), at most `limit`. */
  list(states: readonly MaintenanceState[], limit: number): Promise<MaintenanceWindow[]>
  /** Opens (or plans) a window; rejects with a MaintenanceRefusal. */
  open(input: MaintenanceInput, by: string): Promise<MaintenanceWindow>
  /** Ends a window now; rejects with a MaintenanceRefusal (404 unknown, 409 over or from the config file). */
  end(id: string, by: string): Promise<MaintenanceWindow>
  /** Takes a reloaded configuration's windows and services. */
  configure(
    windows: readonly MaintenanceWindowConfig[],
    services: MaintenanceWindowsOptions['services'],
  ): void
  /** Counts for the agent's metrics. */
  stats(): { open: number; covered: number; storeFailures: number }
}

interface ConfigWindow {
  config: MaintenanceWindowConfig
  recurrence?: Recurrence
}

/** Creates the agent's maintenance windows; nothing runs until `start`. */
export function createMaintenanceWindows(options: MaintenanceWindowsOptions): MaintenanceWindows {
  const { store, clock, logger } = options
  const refreshMs = options.refreshMs ?? MAINTENANCE_REFRESH_MS
  const events = createEmitter<MaintenanceEvents>({ logger, name: 'maintenance' })
  let configWindows: ConfigWindow[] = []
  let tagsOf = new Map<string, readonly string[]>()
  /** Windows of the API not over yet, by id. */
  const stored = new Map<string, MaintenanceWindowRecord>()
  /** Open windows by id, as last evaluated. */
  let open = new Map<string, MaintenanceWindow>()
  /** Covered services: the first open window covering each. */
  let covered = new Map<string, MaintenanceWindow>()
  let timer: Timer | undefined
  let running = false
  let storeFailures = 0

  const compile = (windows: readonly MaintenanceWindowConfig[]) =>
    windows.map((config): ConfigWindow => {
      if (config.endsAt !== undefined) return { config }
      const cron = config.cron ? parseCron(config.cron) : weeklyCron(config.weekly!.days, config.weekly!.at)
      return { config, recurrence: { cron, durationMs: config.duration!, timeZone: config.timeZone } }
    })

  const configView = (w: ConfigWindow, now: number): MaintenanceWindow => {
    const c = w.config
    const base = {
      id: `config:${c.id}`,
      source: 'config' as const,
      services: [...c.services],
      tags: [...c.tags],
      reason: c.reason,
      createdBy: 'config',
      createdAt: 0,
    }
    if (!w.recurrence) {
      const startsAt = c.startsAt ?? 0
      const endsAt = c.endsAt!
      return { ...base, startsAt, endsAt, state: stateAt(startsAt, endsAt, now) }
    }
    const current = occurrenceAt(w.recurrence, now)
    const shown: Occurrence | undefined = current ?? nextOccurrence(w.recurrence, now, HORIZON_MS)
    return {
      ...base,
      startsAt: shown?.startsAt ?? null,
      endsAt: shown?.endsAt ?? null,
      recurrence: {
        ...(c.cron ? { cron: c.cron } : {}),
        ...(c.weekly ? { weekly: { days: [...c.weekly.days], at: c.weekly.at } } : {}),
        duration: c.duration!,
        timeZone: c.timeZone,
      },
      state: current ? 'active' : 'upcoming',
    }
  }

  const storedView = (r: MaintenanceWindowRecord, now: number): MaintenanceWindow => ({
    id: r.id,
    source: 'api',
    services: [...r.services],
    tags: [...r.tags],
    reason: r.reason,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    ...(r.endedEarlyAt !== undefined ? { endedEarlyAt: r.endedEarlyAt } : {}),
    ...(r.endedBy !== undefined ? { endedBy: r.endedBy } : {}),
    state: stateAt(r.startsAt, windowEnd(r), now),
  })

  const servicesOf = (w: MaintenanceWindow): string[] => {
    const out = new Set(w.services.filter((s) => tagsOf.has(s)))
    if (w.tags.length > 0)
      for (const [name, tags] of tagsOf) if (tags.some((t) => w.tags.includes(t))) out.add(name)
    return [...out]
  }

  /** Every window's view now: config ones first, then the stored ones. */
  const views = (now: number): MaintenanceWindow[] => [
    ...configWindows.map((w) => configView(w, now)),
    ...[...stored.values()].map((r) => storedView(r, now)),
  ]

  /** Works out which windows are open now, says what opened, ended and which services moved. */
  const evaluate = (): void => {
    const now = clock.now()
    const nextOpen = new Map<string, MaintenanceWindow>()
    for (const v of views(now)) if (v.state === 'active') nextOpen.set(v.id, v)
    const nextCovered = new Map<string, MaintenanceWindow>()
    for (const w of nextOpen.values())
      for (const service of servicesOf(w)) if (!nextCovered.has(service)) nextCovered.set(service, w)
    const before = open
    const beforeCovered = covered
    open = nextOpen
    covered = nextCovered
    for (const [id, w] of before)
      if (!nextOpen.has(id)) {
        const ended = stored.get(id)
        const last = ended ? storedView(ended, now) : { ...w, state: 'ended' as const }
        logger.info('maintenance window ended', { id, reason: w.reason, endedBy: last.endedBy })
        events.emit('maintenance', { window: { ...last, state: 'ended' }, phase: 'ended' })
      }
    for (const [id, w] of nextOpen)
      if (!before.has(id)) {
        logger.info('maintenance window opened', {
          id,
          services: servicesOf(w),
          reason: w.reason,
          by: w.createdBy,
        })
        events.emit('maintenance', { window: w, phase: 'opened' })
      }
    const entered = [...nextCovered.keys()].filter((s) => !beforeCovered.has(s))
    const left = [...beforeCovered.keys()].filter((s) => !nextCovered.has(s))
    if (entered.length > 0 || left.length > 0) events.emit('coverage', { entered, left })
    // Stored windows that are over are no longer followed (the store keeps them for the audit).
    for (const [id, r] of stored) if (windowEnd(r) <= now) stored.delete(id)
  }

  /** The next time something may change: a window's edge (a recurring one's next opening), a store refresh. */
  const nextTick = (now: number): number => {
    let next = now + refreshMs
    const edge = (t: number) => {
      if (t > now && t < next) next = t
    }
    for (const w of configWindows) {
      if (w.recurrence) {
        const upcoming = nextOccurrence(w.recurrence, now, Math.min(HORIZON_MS, refreshMs))
        edge(upcoming?.startsAt ?? next)
      } else {
        edge(w.config.startsAt ?? 0)
        edge(w.config.endsAt!)
      }
    }
    for (const w of open.values()) if (w.endsAt !== null) edge(w.endsAt)
    for (const r of stored.values()) {
      edge(r.startsAt)
      edge(windowEnd(r))
    }
    return next
  }

  const refresh = async (): Promise<void> => {
    try {
      const now = clock.now()
      const list = await store.windows({ endsAfter: now, limit: MAINTENANCE_API_LIMITS.open + 1 })
      stored.clear()
      for (const r of list) stored.set(r.id, r)
    } catch (error) {
      // The windows known keep applying; a store back later is read at the next refresh.
      storeFailures++
      logger.warn('cannot read the maintenance windows; keeping those known', { error: errorMessage(error) })
    }
  }

  const schedule = (): void => {
    timer?.cancel()
    if (!running) return
    const now = clock.now()
    const next = nextTick(now)
    const refreshDue = next >= now + refreshMs
    timer = clock.setTimeout(async () => {
      if (!running) return
      if (refreshDue) await refresh()
      if (!running) return
      evaluate()
      schedule()
    }, next - now)
  }

  const configure: MaintenanceWindows['configure'] = (windows, services) => {
    configWindows = compile(windows)
    tagsOf = new Map(services.map((s) => [s.name, [...(s.tags ?? [])]]))
    if (running) {
      evaluate()
      schedule()
    }
  }
  configure(options.windows, options.services)

  return {
    on: events.on,
    async start() {
      await refresh()
      running = true
      evaluate()
      schedule()
    },
    stop() {
      running = false
      timer?.cancel()
      timer = undefined
    },
    covering: (service) => covered.get(service),
    servicesOf,
    async list(states, limit) {
      const now = clock.now()
      const out = views(now).filter((v) => states.includes(v.state))
      if (states.includes('ended')) {
        const ended = await store.windows({ endedAt: now, limit })
        out.push(...ended.map((r) => storedView(r, now)))
      }
      // Open first, then by start (the soonest first); recurring windows without a next opening last.
      const rank = (v: MaintenanceWindow) => (v.state === 'active' ? 0 : v.state === 'upcoming' ? 1 : 2)
      out.sort(
        (a, b) =>
          rank(a) - rank(b) ||
          (a.state === 'ended'
            ? (b.endsAt ?? 0) - (a.endsAt ?? 0)
            : (a.startsAt ?? Number.MAX_SAFE_INTEGER) - (b.startsAt ?? Number.MAX_SAFE_INTEGER)),
      )
      return out.slice(0, limit)
    },
    async open(input, by) {
      const now = clock.now()
      const startsAt = input.startsAt ?? now
      const tags = input.tags ?? []
      const unknown = input.services.filter((s) => !tagsOf.has(s))
      if (unknown.length > 0)
        throw new MaintenanceRefusal(
          404,
          `unknown service ${unknown.map((s) => JSON.stringify(s)).join(', ')}`,
        )
      const known = new Set([...tagsOf.values()].flat())
      const strange = tags.filter((t) => !known.has(t))
      if (strange.length > 0)
        throw new MaintenanceRefusal(
          400,
          `tags: no service has the tag ${strange.map((t) => JSON.stringify(t)).join(', ')}`,
        )
      if (input.services.length === 0 && tags.length === 0)
        throw new MaintenanceRefusal(400, 'services: name at least one service (or tag) the window covers')
      if (input.endsAt <= startsAt)
        throw new MaintenanceRefusal(
          400,
          `endsAt must be after startsAt (${startsAt}); found ${input.endsAt}`,
        )
      if (input.endsAt <= now)
        throw new MaintenanceRefusal(
          400,
          `endsAt must be in the future (now is ${now}); found ${input.endsAt}`,
        )
      if (input.endsAt - startsAt > MAINTENANCE_API_LIMITS.durationMs)
        throw new MaintenanceRefusal(
          400,
          `a window lasts at most ${MAINTENANCE_API_LIMITS.durationMs / 3_600_000} h; found ${Math.ceil((input.endsAt - startsAt) / 60_000)} min`,
        )
      if (startsAt - now > MAINTENANCE_API_LIMITS.startsWithinMs)
        throw new MaintenanceRefusal(400, 'startsAt: a window starts within 90 days')
      await refresh()
      if (stored.size >= MAINTENANCE_API_LIMITS.open)
        throw new MaintenanceRefusal(
          409,
          `${stored.size} windows are open or planned, the most there may be; end one first`,
        )
      const record: MaintenanceWindowRecord = {
        id: createId('mnt', now),
        services: [...new Set(input.services)],
        tags: [...new Set(tags)],
        startsAt,
        endsAt: input.endsAt,
        reason: input.reason,
        createdBy: by,
        createdAt: now,
      }
      await save(record)
      stored.set(record.id, record)
      logger.info('maintenance window planned', {
        id: record.id,
        services: record.services,
        tags: record.tags,
        startsAt,
        endsAt: record.endsAt,
        by,
        reason: record.reason,
      })
      evaluate()
      schedule()
      return storedView(record, now)
    },
    async end(id, by) {
      if (id.startsWith('config:') && configWindows.some((w) => `config:${w.config.id}` === id))
        throw new MaintenanceRefusal(409, `${id} comes from the config file: change it there and reload`)
      const now = clock.now()
      const found = stored.get(id) ?? (await store.getWindow(id).catch(() => undefined))
      if (!found)
        throw new MaintenanceRefusal(404, `unknown maintenance window ${JSON.stringify(id.slice(0, 128))}`)
      if (windowEnd(found) <= now)
        throw new MaintenanceRefusal(409, `maintenance window ${id} is already over`)
      const ended: MaintenanceWindowRecord = { ...found, endedEarlyAt: now, endedBy: by }
      await save(ended)
      stored.set(id, ended)
      logger.info('maintenance window ended early', { id, by })
      evaluate()
      schedule()
      return storedView(ended, now)
    },
    configure,
    stats: () => ({ open: open.size, covered: covered.size, storeFailures }),
  }

  async function save(record: MaintenanceWindowRecord): Promise<void> {
    try {
      await store.saveWindow(record)
    } catch (error) {
      storeFailures++
      logger.error('cannot store a maintenance window', { id: record.id, error: errorMessage(error) })
      throw new MaintenanceRefusal(503, 'the window cannot be stored now; try again when the store is back')
    }
  }
}

function stateAt(startsAt: number, endsAt: number, now: number): MaintenanceState {
  // An upcoming window ended early (cancelled) is over, not upcoming.
  if (now >= endsAt) return 'ended'
  return now < startsAt ? 'upcoming' : 'active'
}

/** The agent's gauges of its maintenance windows, read at each scrape. */
export function registerMaintenanceMetrics(
  registry: {
    gauge(options: { name: string; help: string; collect: (g: { set(v: number): void }) => void }): unknown
  },
  windows: MaintenanceWindows,
): void {
  registry.gauge({
    name: 'noa_maintenance_windows_open',
    help: 'maintenance windows open now (no notification and no healing for the services they cover)',
    collect: (g) => g.set(windows.stats().open),
  })
  registry.gauge({
    name: 'noa_maintenance_services',
    help: 'services covered by an open maintenance window now',
    collect: (g) => g.set(windows.stats().covered),
  })
}
