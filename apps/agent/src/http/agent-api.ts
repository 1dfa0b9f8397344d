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
import { errorMessage } from '@noa/core'
import type { RangeQuery, SeriesPoints } from '@noa/store'
import type { Parts } from '../compose.ts'
import type {
  AlertsBody,
  HealingBody,
  HealthBody,
  ServiceDetail,
  StatusBody,
  StoreStatus,
} from './api-types.ts'

/** What the HTTP layer may ask of the agent: queries, and the few actions a person takes. */
export interface AgentApi {
  health(): HealthBody
  status(): StatusBody
  hasService(name: string): boolean
  latestMetrics(): MetricSnapshot | undefined
  recentMetrics(n: number): Promise<MetricSnapshot[]>
  queryMetrics(query: RangeQuery): Promise<SeriesPoints[]>
  service(name: string): Promise<ServiceDetail>
  alerts(state?: Exclude<AlertState, 'inactive'>): Promise<AlertsBody>
  healings(limit: number, service?: string): Promise<HealingBody>
  approvals(status?: ApprovalStatus): Promise<Approval[]>
  approval(id: string): Promise<Approval | undefined>
  /** Starts a healing a person asked for; resolves with its record once it started (or ended). */
  heal(service: string, trigger: HealingTrigger, dryRun?: boolean): Promise<HealingRecord>
  decide(id: string, approve: boolean, by?: string, comment?: string): Promise<Approval | undefined>
  /** Adds a silence, stored first: rejects with SilenceStoreError when the store cannot keep it. */
  addSilence(options: SilenceOptions): Promise<Silence>
  /** The silence after expiring it, or undefined when there is no active one with that id. */
  expireSilence(id: string): Promise<Silence | undefined>
  silences(): Silence[]
  /** Attaches an event stream; false when too many are open. */
  attachEvents(res: ServerResponse, lastEventId: string | undefined): boolean
  renderMetrics(format: 'prometheus' | 'openmetrics'): Promise<string>
}

/** What {@link createAgentApi} reads from. */
export interface AgentApiDeps {
  parts: Parts
  clock: Clock
  status(): StatusBody
  store(): StoreStatus
  decide(id: string, approve: boolean, by?: string, comment?: string): Promise<Approval | undefined>
}

/** The agent's queries and person-driven actions, over its parts. */
export function createAgentApi(deps: AgentApiDeps): AgentApi {
  const { parts, clock } = deps
  const { store, health, healing, alerts, audit, round, sse, registry } = parts
  return {
    health: () => ({ ...health.summary(), store: deps.store() }),
    status: deps.status,
    hasService: (name) => health.services.some((s) => s.name === name),
    latestMetrics: () => round.latest,
    recentMetrics: (n) => store.snapshots.recent(n),
    queryMetrics: (query) => store.samples.range(query),
    async service(name) {
      const [checks, changes, healings, all] = await Promise.all([
        store.checks.results({ service: name, limit: 100 }),
        store.checks.changes({ service: name, limit: 100 }),
        audit.healings({ service: name, limit: 50 }),
        store.alerts.alerts({ limit: 500 }),
      ])
      return {
        service: health.status(name),
        checks,
        changes,
        healings,
        alerts: all.filter((a) => a.labels.service === name),
      }
    },
    async alerts(state) {
      const list = await store.alerts.alerts({ limit: 500, ...(state ? { state } : {}) })
      return { alerts: list, silences: alerts.silences().map(toApiSilence) }
    },
    async healings(limit, service) {
      const [healings, approvals] = await Promise.all([
        audit.healings({ limit, ...(service ? { service } : {}) }),
        store.approvals.approvals({ limit: 200 }),
      ])
      approvals.sort((a, b) => Number(b.status === 'pending') - Number(a.status === 'pending'))
      return { healings, approvals }
    },
    approvals: (status) => store.approvals.approvals({ limit: 200, ...(status ? { status } : {}) }),
    approval: (id) => store.approvals.getApproval(id),
    heal(service, trigger, dryRun) {
      return new Promise<HealingRecord>((resolveStarted) => {
        const off = () => healing.off('healing-started', onStart)
        const onStart = (record: HealingRecord) => {
          if (record.service !== service) return
          off()
          resolveStarted(record)
        }
        healing.on('healing-started', onStart)
        healing
          .heal(trigger, service, {
            reason: 'requested through the API',
            ...(dryRun === undefined ? {} : { dryRun }),
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
    renderMetrics: (format) => registry.metrics(format),
  }
}

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
