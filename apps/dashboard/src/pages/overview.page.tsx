import { useMemo, useState } from 'react'
import { AlertsFeed } from '../components/alerts-feed.tsx'
import { Approvals } from '../components/approvals.tsx'
import { EmptyState } from '../components/empty-state.tsx'
import { FleetList } from '../components/fleet-list.tsx'
import { FleetSummary } from '../components/fleet-summary.tsx'
import { Gauge } from '../components/gauge.tsx'
import { HealingTimeline } from '../components/healing-timeline.tsx'
import { LazyTimeChart as TimeChart } from '../components/lazy-time-chart.tsx'
import { RangePicker } from '../components/range-picker.tsx'
import { StatusGrid } from '../components/service-tile.tsx'
import { StaleMark } from '../components/stale-mark.tsx'
import { useActions } from '../data/actions.ts'
import { useAlerts } from '../data/alerts.ts'
import { useFleet } from '../data/fleet.ts'
import type { FleetQuery } from '../data/fleet-model.ts'
import { useHealing } from '../data/healing.ts'
import type { RangeKey } from '../data/metrics.ts'
import { SERIES, useMetricsRange } from '../data/metrics.ts'
import { useNow } from '../data/now.ts'
import type { Resource } from '../data/resource.ts'
import { useSpentBudgets } from '../data/slos.ts'
import type { Point, SummaryBody } from '../data/types.ts'
import { formatMs, formatPercent, formatRate } from '../format.ts'

const CHART_SERIES = Object.values(SERIES)
const asPercent = (points: readonly Point[] = []) => points.map(([t, v]): Point => [t, v * 100])

/** A fleet up to this many services gets a tile each; a bigger one gets tiles for those down only. */
export const MAX_TILES = 48
const EVERY: FleetQuery = {}
const DOWN: FleetQuery = { states: ['unhealthy', 'error'] }

/** ` (N in maintenance)` when some of the services down are covered by a window (not counted down). */
function maintenanceNote(summary: SummaryBody): string {
  const covered = summary.counts.unhealthy + summary.counts.error - summary.down
  return covered > 0 ? ` (${covered} in maintenance)` : ''
}

/** The overview: fleet counts and tiles, gauges, charts, every service, alerts, healing and approvals. */
export function OverviewPage({ summary }: { summary: Resource<SummaryBody> }) {
  const alerts = useAlerts()
  const healing = useHealing()
  const actions = useActions()
  const [range, setRange] = useState<RangeKey>('1h')
  const metrics = useMetricsRange(CHART_SERIES, range)
  const now = useNow()
  const total = summary.data?.total
  const big = total !== undefined && total > MAX_TILES
  const tiles = useFleet(big ? DOWN : EVERY, { limit: MAX_TILES, maxPages: 1, refreshOnSummary: true })
  const tileServices = useMemo(() => tiles.services.slice(0, MAX_TILES), [tiles.services])
  const spent = useSpentBudgets()

  if (total === 0) return <EmptyState />
  // The list does not wait for the counts: both are asked for at once, so the first rows of a
  // big fleet show as soon as their page arrives.
  // Keyed, so React keeps it (and its loaded pages) when the rest of the page arrives around it.
  const list = <FleetList key="fleet-list" summary={summary.data} now={now} />
  if (!summary.data)
    return (
      <>
        <p className="muted" role="status">
          {summary.error ?? 'Loading…'}
        </p>
        {summary.error ? null : list}
      </>
    )

  const m = summary.data.metrics
  const s = metrics.series
  const chart = { from: metrics.from, to: metrics.to, resetKey: range, intervalMs: metrics.step }
  const age = { at: m?.at, intervalMs: m?.intervalMs, now }
  return (
    <>
      <section aria-label="System health" className="section">
        <FleetSummary summary={summary.data} />
        {big ? (
          <p className="muted">
            {tiles.total
              ? `The ${tiles.total} services down${maintenanceNote(summary.data)}`
              : 'No service is down'}
            {tiles.total && tiles.total > MAX_TILES ? ` (the first ${MAX_TILES} by name)` : ''}; the list
            below has all {total}.
          </p>
        ) : null}
        <StatusGrid services={tileServices} now={now} spent={spent} />
      </section>

      {list}

      <section aria-label="Resources" className="gauges">
        <Gauge label="CPU usage" value={m?.cpu ?? s[SERIES.cpu]?.at(-1)?.[1]} {...age} />
        <Gauge label="Memory usage" value={m?.memory ?? s[SERIES.memory]?.at(-1)?.[1]} {...age} />
        <div className="panel kpis">
          <StaleMark {...age} />
          <p>
            <span className="muted">Error rate</span>{' '}
            <strong>{formatPercent(m?.errorRate == null ? undefined : m.errorRate * 100, 2)}</strong>
          </p>
          <p>
            <span className="muted">Avg latency</span> <strong>{formatMs(m?.latency)}</strong>
          </p>
          <p>
            <span className="muted">Alerts firing</span> <strong>{summary.data.alerts.firing}</strong>
          </p>
          <p>
            <span className="muted">Healings running</span> <strong>{summary.data.healing.running}</strong>
          </p>
        </div>
      </section>

      <div className="section-head">
        <h2 className="section-title">Metrics</h2>
        <RangePicker value={range} onChange={setRange} />
        {metrics.error ? (
          <p className="muted" role="status">
            <span aria-hidden="true">⚠ </span>Charts may be stale: {metrics.error}
          </p>
        ) : null}
      </div>
      <div className="charts">
        <TimeChart
          {...chart}
          title="Error rate"
          format={(v) => formatPercent(v, 2)}
          lines={[
            { key: 'err', name: 'Error rate', color: '#ef4444', points: asPercent(s[SERIES.errorRate]) },
          ]}
        />
        <TimeChart
          {...chart}
          title="Latency"
          format={formatMs}
          minMax={10}
          lines={[
            { key: 'avg', name: 'avg', color: '#38bdf8', points: s[SERIES.latencyAvg] ?? [] },
            { key: 'p95', name: 'p95', color: '#f59e0b', points: s[SERIES.latencyP95] ?? [] },
            { key: 'p99', name: 'p99', color: '#ef4444', points: s[SERIES.latencyP99] ?? [] },
          ]}
        />
        <TimeChart
          {...chart}
          title="Throughput"
          format={formatRate}
          lines={[{ key: 'rps', name: 'Requests', color: '#10b981', points: s[SERIES.throughput] ?? [] }]}
        />
        <TimeChart
          {...chart}
          title="CPU and memory"
          format={(v) => formatPercent(v, 0)}
          max={100}
          lines={[
            { key: 'cpu', name: 'CPU', color: '#38bdf8', points: s[SERIES.cpu] ?? [] },
            { key: 'mem', name: 'Memory', color: '#a78bfa', points: s[SERIES.memory] ?? [] },
          ]}
        />
      </div>

      <div className="columns">
        <Approvals
          approvals={healing.data?.approvals ?? []}
          canAct={actions.can.approve}
          cannot={actions.cannot('approve', 'approve or reject')}
          onDecide={async (id, d) => {
            const res = await actions.decide(id, d)
            if (res.ok)
              healing.mutate((b) =>
                b ? { ...b, approvals: b.approvals.map((a) => (a.id === id ? res.data.approval : a)) } : b,
              )
            return res
          }}
          now={now}
        />
        <AlertsFeed
          alerts={alerts.data?.alerts ?? []}
          silences={alerts.data?.silences ?? []}
          canAct={actions.can.silence}
          onSilence={async (alert, minutes, comment) => {
            const res = await actions.silence(alert, minutes, comment)
            if (res.ok) alerts.reload()
            return res
          }}
          now={now}
        />
        <HealingTimeline healings={healing.data?.healings ?? []} now={now} />
      </div>
    </>
  )
}
