import type { ServerResponse } from 'node:http'
import type { Silence, SilenceOptions } from '@noa/alerts'
import type {
  AlertState,
  Approval,
  ApprovalStatus,
  Clock,
  HealingRecord,
  HealingTrigger,
  MetricSnapshot,
} from '@noa/core'
import { createId, errorMessage, type Logger } from '@noa/core'
import type { Beat } from '@noa/health'
import type {
  DrillCursor,
  Incident,
  IncidentCursor,
  IncidentState,
  RangeQuery,
  SeriesPoints,
} from '@noa/store'
import type { Parts } from '../compose.ts'
import type { AgentConfig } from '../config/schema.ts'
import type { DrillRun } from '../drill/types.ts'
import { overallOf, tallyOf } from '../fleet-health.ts'
import { incidentSummary } from '../incident/event.ts'
import type { IncidentRefusal } from '../incident/tracker.ts'
import type { MaintenanceInput, MaintenanceState, MaintenanceWindow } from '../maintenance/windows.ts'
import { sharedExposition } from '../metrics/exposition.ts'
import type { BeatOutcome } from '../push-beats.ts'
import type { StatusPageIncidents } from '../status-page/incidents.ts'
import { registerStatusPageMetrics } from '../status-page/metrics.ts'
import { createStatusPage } from '../status-page/page.ts'
import type { StatusPageBody } from '../status-page/types.ts'
import type { HeldBytes } from '../status-view.ts'
import type {
  AlertsBody,
  ApprovalsBody,
  ClusterStatus,
  FleetServicesBody,
  HealingBody,
  HealthBody,
  IncidentSummary,
  ServiceDetail,
  SlosBody,
  StatusBody,
  StoreStatus,
  SummaryBody,
} from './api-types.ts'
import { ANSWER_BYTES, fitting, nextPage } from './budget.ts'
import type { FleetFilter, FleetIndex } from './fleet-index.ts'

/** What the HTTP layer may ask of the agent: queries, and the few actions a person takes. */
export interface AgentApi {
  health(): HealthBody
  status(): StatusBody
  /**
   * The status body as JSON bytes, serialized once per change (a large fleet's body is
   * megabytes), held until released: release once the answer is written.
   */
  statusJson(): HeldBytes
  hasService(name: string): boolean
  /** A page of the fleet in name order, filtered (`GET /api/services`). */
  services(filter: FleetFilter, page: { limit: number; after?: string }): FleetServicesBody
  /** The fleet in counts (`GET /api/summary`). */
  summary(): SummaryBody
  latestMetrics(): MetricSnapshot | undefined
  /** The latest `n` snapshots, oldest first, as many of the newest as fit in an answer. */
  recentMetrics(n: number): Promise<{ snapshots: MetricSnapshot[]; omitted: number }>
  queryMetrics(query: RangeQuery): Promise<{ series: SeriesPoints[]; omitted: number }>
  service(name: string): Promise<ServiceDetail>
  alerts(query: Page & { state?: Exclude<AlertState, 'inactive'> }): Promise<AlertsBody>
  healings(query: Page & { service?: string }): Promise<HealingBody>
  approvals(query: Page & { status?: ApprovalStatus }): Promise<ApprovalsBody>
  approval(id: string): Promise<Approval | undefined>
  /**
   * Starts a healing a person asked for; resolves with its record once it started (or ended).
   * `requestedBy`: the token's holder, kept in the record.
   */
  heal(
    service: string,
    trigger: HealingTrigger,
    dryRun?: boolean,
    requestedBy?: string,
  ): Promise<HealingRecord>
  decide(id: string, approve: boolean, by?: string, comment?: string): Promise<Approval | undefined>
  /** Adds a silence, stored first: rejects with SilenceStoreError when the store cannot keep it. */
  addSilence(options: SilenceOptions): Promise<Silence>
  /** The silence after expiring it, or undefined when there is no active one with that id. */
  expireSilence(id: string): Promise<Silence | undefined>
  silences(): Silence[]
  /** Attaches an event stream; false when too many are open. */
  attachEvents(res: ServerResponse, lastEventId: string | undefined): boolean
  /** The agent's Prometheus exposition as UTF-8 bytes (`GET /metrics`). */
  renderMetrics(format: 'prometheus' | 'openmetrics'): Promise<Uint8Array>
  /** Keeps a drill run under an id of the agent's and sends it as a `drill` event (`POST /api/drills`). */
  saveDrill(run: Omit<DrillRun, 'id'>): Promise<DrillRun>
  /** Drill runs newest first, as many as fit in an answer; `next` when there may be more (`GET /api/drills`). */
  drills(page: { limit: number; before?: DrillCursor }): Promise<{ drills: DrillRun[]; next?: DrillCursor }>
  /** One drill run, or undefined (`GET /api/drills/:id`). */
  drill(id: string): Promise<DrillRun | undefined>
  /** A push check's beat (`POST /api/push/:token`): the service it was for, or undefined for an unknown token. */
  beat(token: string, beat: Beat): Promise<BeatOutcome>
  /** The services' SLOs in name order, a page after `after`, only those with a spent budget when asked (`GET /api/slos`). */
  slos(page: { limit: number; after?: string; spent?: boolean }): SlosBody
  /** The public status page (`GET /api/status-page`, `/status`): cached, computed one at a time. */
  statusPage(): Promise<StatusPageBody>
  /** Maintenance windows in these states, open first (`GET /api/maintenance`). */
  maintenanceWindows(states: readonly MaintenanceState[], limit: number): Promise<MaintenanceWindow[]>
  /** Opens or plans a window for `by` (`POST /api/maintenance`); rejects with a MaintenanceRefusal. */
  openMaintenance(input: MaintenanceInput, by: string): Promise<MaintenanceWindow>
  /** Ends a window now for `by` (`DELETE /api/maintenance/:id`); rejects with a MaintenanceRefusal. */
  endMaintenance(id: string, by: string): Promise<MaintenanceWindow>
  /** Incidents newest first, without their timelines, as many as fit; `next` when there may be more (`GET /api/incidents`). */
  incidents(query: IncidentPage): Promise<{ incidents: IncidentSummary[]; next?: IncidentCursor }>
  /** One incident with its timeline, or undefined (`GET /api/incidents/:id`). */
  incident(id: string): Promise<Incident | undefined>
  /** Acknowledges an incident for `by`: its alerts' reminders are held until it resolves. */
  acknowledgeIncident(id: string, by: string, note?: string): Promise<Incident | IncidentRefusal>
  /** Adds a person's note to an incident's timeline. */
  noteIncident(id: string, by: string, text: string): Promise<Incident | IncidentRefusal>
}

/** A page of `GET /api/incidents`: filtered by service and state, after the incident `before`. */
export interface IncidentPage {
  limit: number
  before?: IncidentCursor
  service?: string
  state?: IncidentState
}

/** A page of a newest-first list: at most `limit` items that happened before `before` (epoch ms). */
export interface Page {
  limit: number
  before?: number
}

/** Largest drill run sent whole in a `drill` event; a bigger one is sent without its results. */
export const DRILL_EVENT_BYTES = 64 * 1024

/** Most series a range query answers. */
const MAX_SERIES = 1000

/** What {@link createAgentApi} reads from. */
export interface AgentApiDeps {
  parts: Parts
  clock: Clock
  status(): StatusBody
  statusJson(): HeldBytes
  store(): StoreStatus
  /** Present when the checks are shared among agents. */
  cluster?: () => ClusterStatus
  /** The fleet's index, kept current by the fleet feed. */
  fleet: FleetIndex
  summary(): SummaryBody
  decide(id: string, approve: boolean, by?: string, comment?: string): Promise<Approval | undefined>
  /** The configuration as it is now (services change on reload). @default parts.config */
  config?: () => AgentConfig
  /** Where the API's own parts (the status page) log. @default none */
  logger?: Logger
  /** Incidents shown on the status page. @default none */
  statusIncidents?: StatusPageIncidents
}

/** The agent's queries and person-driven actions, over its parts. */
export function createAgentApi(deps: AgentApiDeps): AgentApi {
  const { parts, clock } = deps
  const { store, health, healing, alerts, audit, round, sse, registry } = parts
  const config = deps.config ?? (() => parts.config)
  const statusPage = createStatusPage({
    samples: store.samples,
    services: () => config().services,
    state: (name) => health.status(name).state,
    inMaintenance: (name) => parts.maintenance.covering(name) !== undefined,
    settings: () => config().statusPage,
    ...(deps.statusIncidents ? { incidents: deps.statusIncidents } : {}),
    clock,
    ...(deps.logger ? { logger: deps.logger } : {}),
  })
  registerStatusPageMetrics(registry, statusPage)
  // A window opened or ended shows on the page at the next request, not up to its cache's 30 s later.
  parts.maintenance.on('coverage', () => statusPage.invalidate())
  return {
    health: () => {
      const summary = health.summary()
      const covered = (name: string) => parts.maintenance.covering(name) !== undefined
      return {
        ...summary,
        // The probe's verdict follows the fleet's rule: a service in maintenance is not down.
        overall: overallOf(tallyOf(summary.services, covered)),
        store: deps.store(),
        ...(deps.cluster ? { cluster: deps.cluster() } : {}),
      }
    },
    status: deps.status,
    statusJson: deps.statusJson,
    hasService: (name) => deps.fleet.get(name) !== undefined,
    services: (filter, p) => deps.fleet.query(filter, p),
    summary: deps.summary,
    latestMetrics: () => round.latest,
    async recentMetrics(n) {
      const { items, omitted } = fitting(await store.snapshots.recent(n), ANSWER_BYTES, true)
      return { snapshots: items, omitted }
    },
    async queryMetrics(query) {
      const all = await store.samples.range(query)
      const { items, omitted } = fitting(all.slice(0, MAX_SERIES), ANSWER_BYTES)
      return { series: items, omitted: omitted + Math.max(0, all.length - MAX_SERIES) }
    },
    async service(name) {
      const [checks, changes, healings, all] = await Promise.all([
        store.checks.results({ service: name, limit: 100 }),
        store.checks.changes({ service: name, limit: 100 }),
        audit.healings({ service: name, limit: 50 }),
        store.alerts.alerts({ service: name, limit: 100 }),
      ])
      const share = ANSWER_BYTES / 4
      const slo = parts.slo.status(name)
      const configured = health.services.find((s) => s.name === name)
      const window = parts.maintenance.covering(name)
      return {
        service: window ? { ...health.status(name), maintenance: true } : health.status(name),
        ...(window ? { maintenance: window } : {}),
        checkType: configured?.check.type ?? 'unknown',
        ...(configured ? { intervalMs: configured.interval } : {}),
        checks: fitting(checks, share).items,
        changes: fitting(changes, share).items,
        healings: fitting(healings, share).items,
        alerts: fitting(all, share).items,
        ...(slo ? { slo } : {}),
      }
    },
    async alerts({ limit, before, state }) {
      const list = await store.alerts.alerts({ limit, ...page(before), ...(state ? { state } : {}) })
      const silences = alerts.silences().map(toApiSilence)
      const { items } = fitting(list, ANSWER_BYTES - JSON.stringify(silences).length)
      const next = nextPage(items, limit, list.length, (a) => a.updatedAt)
      return { alerts: items, silences, ...(next ? { next } : {}) }
    },
    async healings({ limit, before, service }) {
      const [list, approvals] = await Promise.all([
        audit.healings({ limit, ...page(before), ...(service ? { service } : {}) }),
        store.approvals.approvals({ limit: 200 }),
      ])
      approvals.sort((a, b) => Number(b.status === 'pending') - Number(a.status === 'pending'))
      const shown = fitting(approvals, ANSWER_BYTES / 4).items
      const { items } = fitting(list, ANSWER_BYTES - JSON.stringify(shown).length)
      const next = nextPage(items, limit, list.length, (h) => h.startedAt)
      return { healings: items, approvals: shown, ...(next ? { next } : {}) }
    },
    async approvals({ limit, before, status }) {
      const list = await store.approvals.approvals({ limit, ...page(before), ...(status ? { status } : {}) })
      const { items } = fitting(list, ANSWER_BYTES)
      const next = nextPage(items, limit, list.length, (a) => a.requestedAt)
      return { approvals: items, ...(next ? { next } : {}) }
    },
    approval: (id) => store.approvals.getApproval(id),
    heal(service, trigger, dryRun, requestedBy) {
      return new Promise<HealingRecord>((resolveStarted) => {
        const off = healing.on('healing-started', (record) => {
          if (record.service !== service) return
          off()
          resolveStarted(record)
        })
        healing
          .heal(trigger, service, {
            reason: requestedBy ? `requested through the API by ${requestedBy}` : 'requested through the API',
            ...(dryRun === undefined ? {} : { dryRun }),
            ...(requestedBy ? { requestedBy } : {}),
          })
          .then(
            (record) => {
              off()
              resolveStarted(record)
            },
            (error) => {
              off()
              const now = clock.now()
              resolveStarted({
                id: 'none',
                service,
                trigger,
                strategy: 'none',
                startedAt: now,
                endedAt: now,
                outcome: 'failed',
                steps: [],
                dryRun: dryRun ?? false,
                reason: errorMessage(error),
                ...(requestedBy ? { requestedBy } : {}),
              })
            },
          )
      })
    },
    decide: deps.decide,
    addSilence: (options) => alerts.addSilence(options),
    async expireSilence(id) {
      const known = alerts.silences().find((s) => s.id === id)
      if (!known || !(await alerts.expireSilence(id))) return undefined
      return { ...known, endsAt: Math.min(known.endsAt, clock.now()) }
    },
    silences: () => alerts.silences(),
    attachEvents: (res, lastEventId) => sse.attach(res, lastEventId),
    renderMetrics: sharedExposition(registry),
    async saveDrill(input) {
      const run: DrillRun = { id: createId('drill', clock.now()), ...input }
      await store.drills.saveDrill(run)
      const whole = JSON.stringify(run).length <= DRILL_EVENT_BYTES
      sse.publish('drill', whole ? run : { ...run, results: [], omittedResults: run.results.length })
      return run
    },
    async drills({ limit, before }) {
      const list = (await store.drills.drills({ limit, ...(before ? { before } : {}) })) as DrillRun[]
      // A run is bounded by the body limit of its POST: the first one is shown even when it alone is over the budget.
      const fit = fitting(list, ANSWER_BYTES).items
      const shown = fit.length > 0 ? fit : list.slice(0, 1)
      const more = nextPage(shown, limit, list.length, (d) => d.startedAt) !== undefined
      const last = shown.at(-1)
      return { drills: shown, ...(more && last ? { next: { startedAt: last.startedAt, id: last.id } } : {}) }
    },
    drill: async (id) => (await store.drills.getDrill(id)) as DrillRun | undefined,
    beat: (token, beat) => parts.beats.beat(token, beat),
    slos({ limit, after, spent }) {
      const all = parts.slo.list()
      const shown = all.filter((s) => (after === undefined || s.service > after) && (!spent || s.spent))
      const page = shown.slice(0, limit)
      const last = page.at(-1)
      return {
        slos: page,
        total: all.length,
        spent: all.filter((s) => s.spent).length,
        ...(shown.length > limit && last ? { next: last.service } : {}),
      }
    },
    statusPage: () => statusPage.get(),
    maintenanceWindows: (states, limit) => parts.maintenance.list(states, limit),
    openMaintenance: (input, by) => parts.maintenance.open(input, by),
    endMaintenance: (id, by) => parts.maintenance.end(id, by),
    async incidents({ limit, before, service, state }) {
      const list = await parts.incidents.list({
        limit,
        ...(before ? { before } : {}),
        ...(service ? { service } : {}),
        ...(state ? { state } : {}),
      })
      const { items } = fitting(list.map(incidentSummary), ANSWER_BYTES)
      const more = nextPage(items, limit, list.length, (i) => i.openedAt) !== undefined
      const last = items.at(-1)
      return { incidents: items, ...(more && last ? { next: { openedAt: last.openedAt, id: last.id } } : {}) }
    },
    incident: (id) => parts.incidents.get(id),
    acknowledgeIncident: (id, by, note) => parts.incidents.acknowledge(id, by, note),
    noteIncident: (id, by, text) => parts.incidents.note(id, by, text),
  }
}

const page = (before: number | undefined) => (before === undefined ? {} : { until: before })

/** A silence as API.md shows it (Alertmanager's matcher shape). */
export function toApiSilence(s: Silence): AlertsBody['silences'][number] {
  return {
    ...s,
    matchers: s.matchers.map((m) => ({
      name: m.label,
      value: m.value,
      isRegex: m.op.endsWith('~'),
      isEqual: !m.op.startsWith('!'),
    })),
  }
}
