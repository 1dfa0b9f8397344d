import { useState } from 'react'
import { AlertsFeed } from '../components/alerts-feed.tsx'
import { Approvals } from '../components/approvals.tsx'
import { EmptyState } from '../components/empty-state.tsx'
import { Gauge } from '../components/gauge.tsx'
import { HealingTimeline } from '../components/healing-timeline.tsx'
import { RangePicker } from '../components/range-picker.tsx'
import { ServiceList } from '../components/service-list.tsx'
import { StatusGrid } from '../components/service-tile.tsx'
import { TimeChart } from '../components/time-chart.tsx'
import { useActions } from '../data/actions.ts'
import { useAlerts } from '../data/alerts.ts'
import { useHealing } from '../data/healing.ts'
import { useHealth } from '../data/health.ts'
import type { RangeKey } from '../data/metrics.ts'
import { SERIES, useMetricsRange } from '../data/metrics.ts'
import { useNow } from '../data/now.ts'
import type { Resource } from '../data/resource.ts'
import type { Point, ServiceStatus, StatusBody } from '../data/types.ts'
import { formatMs, formatPercent, formatRate } from '../format.ts'

const CHART_SERIES = Object.values(SERIES)
const asPercent = (points: readonly Point[] = []) => points.map(([t, v]): Point => [t, v * 100])

/** Services from /api/health, or from /api/status until the summary arrives. */
function servicesOf(health: ServiceStatus[] | undefined, status: StatusBody | undefined): ServiceStatus[] {
  if (health) return health
  return (status?.services ?? []).map((s) => ({
    service: s.name,
    state: s.state,
    critical: s.critical,
    flapping: s.flapping,
    blockedBy: s.blockedBy,
    dependsOn: [],
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
  }))
}

/** The overview: health grid, gauges, charts, services, alerts, healing and approvals. */
export function OverviewPage({ status }: { status: Resource<StatusBody> }) {
  const health = useHealth()
  const alerts = useAlerts()
  const healing = useHealing()
  const actions = useActions()
  const [range, setRange] = useState<RangeKey>('1h')
  const metrics = useMetricsRange(CHART_SERIES, range)
  const now = useNow()

  const services = servicesOf(health.data?.services, status.data)
  const loaded = health.data !== undefined || status.data !== undefined
  if (loaded && services.length === 0) return <EmptyState />
  if (!loaded)
    return (
      <p className="muted" role="status">
        {status.error ?? health.error ?? 'Loading…'}
      </p>
    )

  const m = status.data?.metrics
  const s = metrics.series
  const chart = { from: metrics.from, to: metrics.to, resetKey: range }
  return (
    <>
      <section aria-label="System health" className="section">
        <StatusGrid services={services} healing={status.data?.services} now={now} />
      </section>

      <section aria-label="Resources" className="gauges">
        <Gauge label="CPU usage" value={m?.cpu ?? s[SERIES.cpu]?.at(-1)?.[1]} />
        <Gauge label="Memory usage" value={m?.memory ?? s[SERIES.memory]?.at(-1)?.[1]} />
        <div className="panel kpis">
          <p>
            <span className="muted">Error rate</span>{' '}
            <strong>{formatPercent(m?.errorRate == null ? undefined : m.errorRate * 100, 2)}</strong>
          </p>
          <p>
            <span className="muted">Avg latency</span> <strong>{formatMs(m?.latency)}</strong>
          </p>
          <p>
            <span className="muted">Alerts firing</span> <strong>{status.data?.alerts.firing ?? 0}</strong>
          </p>
          <p>
            <span className="muted">Healings running</span>{' '}
            <strong>{status.data?.healing.running ?? 0}</strong>
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
        <ServiceList services={services} now={now} />
        <Approvals
          approvals={healing.data?.approvals ?? []}
          canAct={actions.canAct}
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
          canAct={actions.canAct}
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
