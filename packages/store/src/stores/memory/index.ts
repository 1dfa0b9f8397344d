import type {
  AlertLog,
  AlertRecord,
  AlertState,
  Approval,
  ApprovalStore,
  CheckResult,
  Delivery,
  HealingAudit,
  HealingRecord,
  LeaseStore,
  MetricSnapshot,
  Outbox,
  Silence,
  SilenceStore,
  StateChange,
} from '@noa/core'
import { systemClock } from '@noa/core'
import type { z } from 'zod'
import { StoreError } from '../../errors.ts'
import { type MaintenanceDriver, runMaintenance } from '../../maintenance.ts'
import { checkMaintenanceWindow, windowEnd, windowOrder, windowQueryOf } from '../../maintenance-windows.ts'
import { parseStoreOptions, resolveCommon, type StoreRuntime } from '../../options.ts'
import {
  activeAtOf,
  alertStateAt,
  checkBeat,
  checkDrill,
  checkIncident,
  checkResult,
  checkSilence,
  copy,
  countOf,
  decided,
  drillAfter,
  drillCursorOf,
  drillOrder,
  inCheckQuery,
  incidentAfter,
  incidentCursorOf,
  incidentOrder,
  incidentStateOf,
  limitOf,
  MAX_BEAT_MESSAGE,
  newDeliveries,
  snapshotTime,
} from '../../records.ts'
import {
  canonicalLabels,
  checkSamples,
  queryRange,
  queryRecent,
  type RollupResolution,
  type RollupRow,
  type SampleReader,
  SeriesCache,
  selectSeries,
} from '../../samples.ts'
import type {
  BeatStore,
  CheckStore,
  DrillRecord,
  DrillStore,
  Incident,
  IncidentStore,
  MaintenanceWindowRecord,
  MaintenanceWindowStore,
  SampleStore,
  Series,
  SnapshotStore,
  Store,
  StoredBeat,
} from '../../store.ts'
import { memoryOptionsSchema } from './options.ts'

/** Options of {@link createMemoryStore}. */
export type MemoryStoreOptions = z.input<typeof memoryOptionsSchema> & StoreRuntime

/** Push checks' last beats kept at most (the oldest beat goes first). */
const MAX_BEATS = 10_000

interface Points {
  ts: number[]
  vs: number[]
}

/** Index of the first element of sorted `arr` that is >= `x` (by `key`). */
function lowerBound<T>(arr: readonly T[], x: number, key: (v: T) => number): number {
  let lo = 0
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (key(arr[mid] as T) < x) lo = mid + 1
    else hi = mid
  }
  return lo
}
const id = (x: number) => x

/**
 * An in-process store: the test double of every package and the SDK's store when used
 * alone. It keeps a bounded recent window (points per series, snapshots, results) and
 * answers exactly like the sqlite and postgres stores.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@noa/store'
 * const store = createMemoryStore()
 * await store.samples.append([{ name: 'cpu_usage_percent', value: 45.2, at: Date.now() }])
 * const recent = await store.samples.recent(10)
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const { clock = systemClock, logger: _logger, ...rest } = options
  const parsed = parseStoreOptions(memoryOptionsSchema, rest, 'store')
  const common = resolveCommon(parsed)
  const maxPoints = parsed.maxPointsPerSeries ?? 100_000
  const maxSnapshots = parsed.maxSnapshots ?? 10_000
  const maxChecks = parsed.maxCheckResults ?? 100_000
  const maxDrills = parsed.maxDrills ?? 1000
  const maxWindows = parsed.maxMaintenanceWindows ?? 10_000
  const maxIncidents = parsed.maxIncidents ?? 10_000
  let closed = false
  const open = () => {
    if (closed) throw new StoreError('the memory store is closed')
  }

  // ---- samples ----
  const seriesById = new Map<number, Series>()
  const points = new Map<number, Points>()
  const rollups: Record<RollupResolution, Map<number, RollupRow[]>> = { '1m': new Map(), '1h': new Map() }
  const watermarks: Partial<Record<RollupResolution, number>> = {}

  const seriesIds = new SeriesCache((name, labels) => {
    const s: Series = { id: seriesById.size + 1, name, labels }
    seriesById.set(s.id, s)
    points.set(s.id, { ts: [], vs: [] })
    return s.id
  })

  function insertPoint(p: Points, t: number, v: number) {
    const n = p.ts.length
    if (n === 0 || t > (p.ts[n - 1] as number)) {
      p.ts.push(t)
      p.vs.push(v)
    } else {
      const i = lowerBound(p.ts, t, id)
      if (p.ts[i] === t) p.vs[i] = v
      else {
        p.ts.splice(i, 0, t)
        p.vs.splice(i, 0, v)
      }
    }
    if (p.ts.length > maxPoints) {
      const drop = p.ts.length - maxPoints
      p.ts.splice(0, drop)
      p.vs.splice(0, drop)
    }
  }

  function slice(p: Points, from: number, to: number): Array<[number, number]> {
    const a = lowerBound(p.ts, from, id)
    const b = lowerBound(p.ts, to, id)
    const out: Array<[number, number]> = []
    for (let i = a; i < b; i++) out.push([p.ts[i] as number, p.vs[i] as number])
    return out
  }

  const reader: SampleReader = {
    findSeries: async (name) => [...seriesById.values()].filter((s) => name === undefined || s.name === name),
    rawPoints: async (sid, from, to) => slice(points.get(sid) as Points, from, to),
    lastRawBefore: async (sid, before) => {
      const p = points.get(sid) as Points
      const i = lowerBound(p.ts, before, id)
      return i > 0 ? [p.ts[i - 1]!, p.vs[i - 1]!] : undefined
    },
    latestRaw: async (sid, n) => {
      const p = points.get(sid) as Points
      const out: Array<[number, number]> = []
      for (let i = p.ts.length - 1; i >= 0 && out.length < n; i--)
        out.push([p.ts[i] as number, p.vs[i] as number])
      return out
    },
    rollups: async (res, sid, from, to) => {
      const rows = rollups[res].get(sid) ?? []
      return rows
        .slice(
          lowerBound(rows, from, (r) => r.bucket),
          lowerBound(rows, to, (r) => r.bucket),
        )
        .map((r) => ({ ...r }))
    },
    watermark: async (res) => watermarks[res],
  }

  const samples: SampleStore = {
    async append(batch) {
      open()
      checkSamples(batch)
      // Every label set is checked first, so a refused label leaves nothing half-written.
      for (const [i, s] of batch.entries()) canonicalLabels(s.labels, `samples[${i}].labels`)
      const ids = batch.map((s, i) => seriesIds.id(s.name, s.labels, `samples[${i}].labels`))
      for (const [i, s] of batch.entries()) insertPoint(points.get(ids[i] as number) as Points, s.at, s.value)
    },
    range: async (q) => {
      open()
      return copy(await queryRange(reader, q))
    },
    recent: async (n, selector) => {
      open()
      return copy(await queryRecent(reader, n, selector))
    },
    series: async (selector) => {
      open()
      return copy(await selectSeries(reader, selector?.name, selector?.labels))
    },
  }

  // ---- snapshots and checks ----
  let snapshotRows: Array<{ at: number; snapshot: MetricSnapshot }> = []
  const snapshots: SnapshotStore = {
    async append(snapshot) {
      open()
      const at = snapshotTime(snapshot?.timestamp)
      const row = { at, snapshot: copy(snapshot) }
      const i = lowerBound(snapshotRows, at + 1, (r) => r.at)
      snapshotRows.splice(i, 0, row)
      if (snapshotRows.length > maxSnapshots) snapshotRows.splice(0, snapshotRows.length - maxSnapshots)
    },
    async recent(n) {
      open()
      return countOf(n) === 0 ? [] : copy(snapshotRows.slice(-n).map((r) => r.snapshot))
    },
    async range(start, end) {
      open()
      const a = lowerBound(snapshotRows, start, (r) => r.at)
      const b = lowerBound(snapshotRows, end, (r) => r.at)
      return copy(snapshotRows.slice(a, b).map((r) => r.snapshot))
    },
  }

  let results: CheckResult[] = []
  let changes: StateChange[] = []
  const newestFirst = <T extends { at: number }>(
    rows: T[],
    q: Parameters<CheckStore['results']>[0],
    service: (r: T) => string,
  ) => {
    const limit = limitOf(q)
    const out: T[] = []
    for (let i = rows.length - 1; i >= 0 && out.length < limit; i--) {
      const r = rows[i] as T
      if (inCheckQuery(q, service(r), r.at)) out.push(r)
    }
    return copy(out.sort((a, b) => b.at - a.at))
  }
  const checks: CheckStore = {
    async append(result) {
      open()
      checkResult(result)
      results.push(copy(result))
      if (results.length > maxChecks) results.splice(0, results.length - maxChecks)
    },
    async appendChange(change) {
      open()
      checkResult(change?.result, 'change.result')
      if (!Number.isFinite(change.at))
        throw new StoreError(`change.at must be epoch ms, got ${String(change.at)}`)
      changes.push(copy(change))
      if (changes.length > maxChecks) changes.splice(0, changes.length - maxChecks)
    },
    results: async (q) => {
      open()
      return newestFirst(results, q, (r) => r.service)
    },
    changes: async (q) => {
      open()
      return newestFirst(changes, q, (r) => r.service)
    },
    async latest() {
      open()
      const by = new Map<string, CheckResult>()
      for (const r of results) {
        const cur = by.get(r.service)
        if (!cur || r.at >= cur.at) by.set(r.service, r)
      }
      return copy([...by.values()].sort((a, b) => a.service.localeCompare(b.service)))
    },
  }

  // ---- ports ----
  let deliveries: Delivery[] = []
  const outbox: Outbox = {
    async enqueue(items) {
      open()
      const rows = newDeliveries(items)
      deliveries.push(...rows)
      return copy(rows)
    },
    async due(now, limit) {
      open()
      const due = deliveries.filter((d) => d.status === 'pending' && d.nextAttemptAt <= now)
      // Array order is insertion order, and the sort is stable: createdAt, then insertion.
      return copy(due.sort((a, b) => a.createdAt - b.createdAt).slice(0, limitOf({ limit })))
    },
    async markSent(dlvId, at) {
      open()
      const d = deliveries.find((x) => x.id === dlvId)
      if (!d) return
      d.status = 'sent'
      d.sentAt = at
    },
    async markFailed(dlvId, failure) {
      open()
      const d = deliveries.find((x) => x.id === dlvId)
      if (!d) return
      d.attempts += 1
      d.lastError = failure.error
      if (failure.retryAt === undefined) d.status = 'failed'
      else {
        d.status = 'pending'
        d.nextAttemptAt = failure.retryAt
      }
    },
    async deliveries(q) {
      open()
      const limit = limitOf(q)
      const rows = deliveries
        .map((d, i) => ({ d, i }))
        .filter(
          ({ d }) =>
            (q?.status === undefined || d.status === q.status) &&
            (q?.channel === undefined || d.channel === q.channel),
        )
        .sort((a, b) => b.d.createdAt - a.d.createdAt || b.i - a.i)
      return copy(rows.slice(0, limit).map(({ d }) => d))
    },
  }

  const alertRows = new Map<string, AlertRecord>()
  const alertHist = new Map<string, Array<{ state: AlertState; at: number; value?: number }>>()
  const alerts: AlertLog = {
    async saveAlert(alert) {
      open()
      if (typeof alert?.fingerprint !== 'string' || alert.fingerprint === '')
        throw new StoreError('saveAlert: alert.fingerprint must be a non-empty string')
      const before = alertRows.get(alert.fingerprint)
      alertRows.set(alert.fingerprint, copy(alert))
      if (!before || before.state !== alert.state) {
        const entry: { state: AlertState; at: number; value?: number } = {
          state: alert.state,
          at: alertStateAt(alert),
        }
        if (alert.value !== undefined) entry.value = alert.value
        const hist = alertHist.get(alert.fingerprint) ?? []
        hist.push(entry)
        alertHist.set(alert.fingerprint, hist)
      }
    },
    async alerts(q) {
      open()
      const limit = limitOf(q)
      const rows = [...alertRows.values()].filter(
        (a) =>
          (q?.state === undefined || a.state === q.state) &&
          (q?.service === undefined || a.labels.service === q.service) &&
          (q?.since === undefined || a.updatedAt >= q.since) &&
          (q?.until === undefined || a.updatedAt < q.until),
      )
      return copy(rows.sort((a, b) => b.updatedAt - a.updatedAt).slice(0, limit))
    },
    alertHistory: async (fingerprint) => {
      open()
      return copy(alertHist.get(fingerprint) ?? [])
    },
  }

  const healingRows = new Map<string, HealingRecord>()
  const healing: HealingAudit = {
    async saveHealing(record) {
      open()
      if (typeof record?.id !== 'string' || record.id === '')
        throw new StoreError('saveHealing: record.id must be a non-empty string')
      healingRows.set(record.id, copy(record))
    },
    async healings(q) {
      open()
      const rows = [...healingRows.values()].filter(
        (h) =>
          (q?.service === undefined || h.service === q.service) &&
          (q?.outcome === undefined || h.outcome === q.outcome) &&
          (q?.since === undefined || h.startedAt >= q.since) &&
          (q?.until === undefined || h.startedAt < q.until),
      )
      return copy(rows.sort((a, b) => b.startedAt - a.startedAt).slice(0, limitOf(q)))
    },
  }

  const approvalRows = new Map<string, Approval>()
  const approvals: ApprovalStore = {
    async createApproval(approval) {
      open()
      if (typeof approval?.id !== 'string' || approval.id === '')
        throw new StoreError('createApproval: approval.id must be a non-empty string')
      if (approvalRows.has(approval.id))
        throw new StoreError(`createApproval: approval ${approval.id} already exists`)
      approvalRows.set(approval.id, copy(approval))
    },
    getApproval: async (aid) => {
      open()
      return copy(approvalRows.get(aid))
    },
    async decideApproval(aid, decision) {
      open()
      const cur = approvalRows.get(aid)
      if (cur?.status !== 'pending') return undefined
      const next = decided(cur, decision)
      approvalRows.set(aid, next)
      return copy(next)
    },
    async approvals(q) {
      open()
      const rows = [...approvalRows.values()].filter(
        (a) =>
          (q?.status === undefined || a.status === q.status) &&
          (q?.service === undefined || a.service === q.service) &&
          (q?.since === undefined || a.requestedAt >= q.since) &&
          (q?.until === undefined || a.requestedAt < q.until),
      )
      return copy(rows.sort((a, b) => b.requestedAt - a.requestedAt).slice(0, limitOf(q)))
    },
  }

  const leaseRows = new Map<string, { holder: string; expiresAt: number }>()
  const leases: LeaseStore = {
    async acquireLease(name, holder, ttlMs, now) {
      open()
      const cur = leaseRows.get(name)
      if (cur && cur.holder !== holder && cur.expiresAt > now) return false
      leaseRows.set(name, { holder, expiresAt: now + ttlMs })
      return true
    },
    async releaseLease(name, holder) {
      open()
      if (leaseRows.get(name)?.holder === holder) leaseRows.delete(name)
    },
    async leaseHolder(name, now) {
      open()
      const cur = leaseRows.get(name)
      return cur && cur.expiresAt > now ? { ...cur } : undefined
    },
    async heldLeases(prefix, now) {
      open()
      return [...leaseRows]
        .filter(([name, l]) => name.startsWith(prefix) && l.expiresAt > now)
        .map(([name, l]) => ({ name, ...l }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    },
  }

  const silenceRows = new Map<string, Silence>()
  const silences: SilenceStore = {
    async saveSilence(silence) {
      open()
      checkSilence(silence)
      silenceRows.set(silence.id, copy(silence))
    },
    async silences(q) {
      open()
      const limit = limitOf(q)
      const at = activeAtOf(q)
      const rows = [...silenceRows.values()].filter((s) => at === undefined || s.endsAt > at)
      rows.sort((a, b) => b.startsAt - a.startsAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      return copy(rows.slice(0, limit))
    },
  }

  // One row per push check's token hash; bounded as the rest of this store is.
  const beatRows = new Map<string, StoredBeat>()
  const beats: BeatStore = {
    async saveBeat(key, beat) {
      open()
      checkBeat(key, beat)
      const kept = beatRows.get(key)
      if (kept && kept.at > beat.at) return
      const row: StoredBeat = { at: beat.at, status: beat.status }
      if (beat.message !== undefined) row.message = beat.message.slice(0, MAX_BEAT_MESSAGE)
      beatRows.delete(key)
      beatRows.set(key, row)
      if (beatRows.size > MAX_BEATS) beatRows.delete(beatRows.keys().next().value!)
    },
    async lastBeat(key) {
      open()
      return copy(beatRows.get(key))
    },
  }

  const drillRows = new Map<string, DrillRecord>()
  const drills: DrillStore = {
    async saveDrill(run) {
      open()
      checkDrill(run)
      drillRows.set(run.id, copy(run))
      if (drillRows.size > maxDrills) {
        const oldest = [...drillRows.values()].sort(drillOrder).at(-1) as DrillRecord
        drillRows.delete(oldest.id)
      }
    },
    getDrill: async (drillId) => {
      open()
      return copy(drillRows.get(drillId))
    },
    async drills(q) {
      open()
      const limit = limitOf(q)
      const before = drillCursorOf(q)
      const rows = [...drillRows.values()].filter((r) => before === undefined || drillAfter(r, before))
      return copy(rows.sort(drillOrder).slice(0, limit))
    },
  }

  const windowRows = new Map<string, MaintenanceWindowRecord>()
  const maintenanceWindows: MaintenanceWindowStore = {
    async saveWindow(w) {
      open()
      checkMaintenanceWindow(w)
      windowRows.set(w.id, copy(w))
      if (windowRows.size > maxWindows) {
        const first = [...windowRows.values()].sort((a, b) => windowEnd(a) - windowEnd(b))[0]!
        windowRows.delete(first.id)
      }
    },
    getWindow: async (id) => {
      open()
      return copy(windowRows.get(id))
    },
    async windows(q) {
      open()
      const limit = limitOf(q)
      const { endsAfter, endedAt } = windowQueryOf(q)
      const rows = [...windowRows.values()].filter(
        (w) =>
          (endsAfter === undefined || windowEnd(w) > endsAfter) &&
          (endedAt === undefined || windowEnd(w) <= endedAt),
      )
      return copy(rows.sort(windowOrder).slice(0, limit))
    },
  }

  const incidentRows = new Map<string, Incident>()
  const incidents: IncidentStore = {
    async saveIncident(incident) {
      open()
      checkIncident(incident)
      incidentRows.set(incident.id, copy(incident))
      if (incidentRows.size > maxIncidents) {
        // The oldest resolved one goes first; open ones only when nothing else is left.
        const sorted = [...incidentRows.values()].sort(incidentOrder)
        const oldest = sorted.findLast((i) => i.state === 'resolved') ?? (sorted.at(-1) as Incident)
        incidentRows.delete(oldest.id)
      }
    },
    getIncident: async (incidentId) => {
      open()
      return copy(incidentRows.get(incidentId))
    },
    async incidents(q) {
      open()
      const limit = limitOf(q)
      const before = incidentCursorOf(q)
      const state = incidentStateOf(q?.state)
      const rows = [...incidentRows.values()].filter(
        (r) =>
          (before === undefined || incidentAfter(r, before)) &&
          (q?.service === undefined || r.service === q.service) &&
          (state === undefined || r.state === state),
      )
      return copy(rows.sort(incidentOrder).slice(0, limit))
    },
  }

  // ---- maintenance ----
  function deleteBefore<T>(
    rows: T[],
    cutoff: number,
    limit: number,
    at: (r: T) => number,
    keep: (r: T) => boolean = () => false,
  ) {
    let n = 0
    const out = rows.filter((r) => {
      if (n < limit && at(r) < cutoff && !keep(r)) {
        n++
        return false
      }
      return true
    })
    return { out, n }
  }
  function deleteFromMap<T>(
    map: Map<string, T>,
    cutoff: number,
    limit: number,
    at: (r: T) => number,
    keep: (r: T) => boolean,
  ) {
    let n = 0
    for (const [k, r] of map) {
      if (n >= limit) break
      if (at(r) < cutoff && !keep(r)) {
        map.delete(k)
        if (map === (alertRows as Map<string, unknown>)) alertHist.delete(k)
        n++
      }
    }
    return n
  }
  const driver: MaintenanceDriver = {
    watermark: async (res) => watermarks[res],
    async earliestRaw() {
      let min: number | undefined
      for (const p of points.values())
        if (p.ts.length > 0 && (min === undefined || (p.ts[0] as number) < min)) min = p.ts[0]
      return min
    },
    async rawWindow(from, to) {
      const out = []
      for (const [sid, p] of points) {
        const pts = slice(p, from, to)
        if (pts.length > 0)
          out.push({ seriesId: sid, prev: (await reader.lastRawBefore(sid, from))?.[1], points: pts })
      }
      return out
    },
    async minuteWindow(from, to) {
      const out = []
      for (const sid of rollups['1m'].keys())
        out.push({ seriesId: sid, rows: await reader.rollups('1m', sid, from, to) })
      return out
    },
    async writeRollups(res, rows, watermark) {
      for (const { seriesId, row } of rows) {
        const list = rollups[res].get(seriesId) ?? []
        const i = lowerBound(list, row.bucket, (r) => r.bucket)
        if (list[i]?.bucket === row.bucket) list[i] = row
        else list.splice(i, 0, row)
        rollups[res].set(seriesId, list)
      }
      watermarks[res] = watermark
    },
    async deleteExpired(kind, cutoff, limit) {
      let n = 0
      switch (kind) {
        case 'samples':
          for (const p of points.values()) {
            const k = Math.min(lowerBound(p.ts, cutoff, id), limit - n)
            p.ts.splice(0, k)
            p.vs.splice(0, k)
            n += k
          }
          return n
        case 'rollups1m':
        case 'rollups1h':
          for (const list of rollups[kind === 'rollups1m' ? '1m' : '1h'].values()) {
            const k = Math.min(
              lowerBound(list, cutoff, (r) => r.bucket),
              limit - n,
            )
            list.splice(0, k)
            n += k
          }
          return n
        case 'snapshots': {
          const r = deleteBefore(snapshotRows, cutoff, limit, (x) => x.at)
          snapshotRows = r.out
          return r.n
        }
        case 'checks': {
          const a = deleteBefore(results, cutoff, limit, (x) => x.at)
          const b = deleteBefore(changes, cutoff, limit - a.n, (x) => x.at)
          results = a.out
          changes = b.out
          return (
            a.n +
            b.n +
            deleteFromMap(
              beatRows,
              cutoff,
              limit - a.n - b.n,
              (x) => x.at,
              () => false,
            )
          )
        }
        case 'deliveries': {
          const r = deleteBefore(
            deliveries,
            cutoff,
            limit,
            (x) => x.createdAt,
            (x) => x.status === 'pending',
          )
          deliveries = r.out
          return r.n
        }
        case 'alerts':
          return deleteFromMap(
            alertRows,
            cutoff,
            limit,
            (a) => a.updatedAt,
            (a) => a.state === 'firing' || a.state === 'pending',
          )
        case 'healings':
          return deleteFromMap(
            healingRows,
            cutoff,
            limit,
            (h) => h.startedAt,
            (h) => h.outcome === 'running' || h.outcome === 'awaiting-approval',
          )
        case 'approvals':
          return deleteFromMap(
            approvalRows,
            cutoff,
            limit,
            (a) => a.requestedAt,
            (a) => a.status === 'pending',
          )
        case 'silences':
          return deleteFromMap(
            silenceRows,
            cutoff,
            limit,
            (s) => s.endsAt,
            () => false,
          )
        case 'drills':
          return deleteFromMap(
            drillRows,
            cutoff,
            limit,
            (d) => d.startedAt,
            () => false,
          )
        case 'maintenanceWindows':
          return deleteFromMap(windowRows, cutoff, limit, windowEnd, () => false)
        case 'incidents':
          return deleteFromMap(
            incidentRows,
            cutoff,
            limit,
            (i) => i.resolvedAt ?? Number.POSITIVE_INFINITY,
            (i) => i.state !== 'resolved',
          )
      }
    },
  }

  return {
    type: 'memory',
    samples,
    snapshots,
    checks,
    beats,
    outbox,
    alerts,
    healing,
    approvals,
    leases,
    silences,
    drills,
    maintenanceWindows,
    incidents,
    maintain: async (now = clock.now()) => {
      open()
      return runMaintenance(driver, common, now)
    },
    flush: async () => {},
    stats: () => ({ buffered: 0, dropped: 0 }),
    // Nothing here can fail to be written: the bounds drop the oldest on purpose.
    health: () => ({ ok: true, failedWrites: 0 }),
    async close() {
      closed = true
    },
  }
}
