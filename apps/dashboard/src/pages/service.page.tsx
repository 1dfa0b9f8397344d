import { useState } from 'react'
import { AlertsFeed } from '../components/alerts-feed.tsx'
import { HealingTimeline } from '../components/healing-timeline.tsx'
import { LazyTimeChart as TimeChart } from '../components/lazy-time-chart.tsx'
import { MaintenancePanel } from '../components/maintenance-panel.tsx'
import { OpenIncidentLink } from '../components/open-incident-link.tsx'
import { SloPanel } from '../components/slo-panel.tsx'
import { StaleMark } from '../components/stale-mark.tsx'
import { StatusBadge } from '../components/status-badge.tsx'
import { TableHead } from '../components/table-head.tsx'
import { useActions } from '../data/actions.ts'
import { useNow } from '../data/now.ts'
import { useService } from '../data/service.ts'
import type { Point } from '../data/types.ts'
import { formatAgo, formatDateTime, formatMs } from '../format.ts'

/** One service: its state, checks, state history, check latency, healing records and alerts. */
export function ServicePage({ name }: { name: string }) {
  const detail = useService(name)
  const actions = useActions()
  const now = useNow()
  const [message, setMessage] = useState<string>()
  const [busy, setBusy] = useState(false)

  const back = (
    <a href="#/" className="back">
      ← All services
    </a>
  )
  if (!detail.data)
    return (
      <>
        {back}
        <p role="status" className="muted">
          {detail.error ?? `Loading ${name}…`}
        </p>
      </>
    )
  const { service, checkType, checks, changes, healings, alerts, slo, intervalMs, maintenance } = detail.data
  const points: Point[] = [...checks].sort((a, b) => a.at - b.at).map((c): Point => [c.at, c.durationMs])
  const from = points[0]?.[0] ?? now - 60_000
  return (
    <>
      {back}
      <header className="service-head">
        <h2 className="section-title">{service.service}</h2>
        <StatusBadge state={service.state} />
        <span className="chip" title="How noa checks it">
          {checkType === 'push' ? 'push (heartbeat)' : `${checkType} check`}
        </span>
        {service.critical ? <span className="chip chip-critical">Critical</span> : null}
        {service.flapping ? <span className="chip chip-warn">Flapping</span> : null}
        {maintenance ? (
          <span className="chip chip-maintenance" title={`In maintenance: ${maintenance.reason}`}>
            Maintenance
          </span>
        ) : null}
        <OpenIncidentLink service={service.service} />
        {service.since ? <span className="muted">since {formatAgo(service.since, now)}</span> : null}
        <StaleMark at={points.at(-1)?.[0]} intervalMs={intervalMs} now={now} />
        {actions.can.heal ? (
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => {
              setBusy(true)
              void actions.heal(service.service).then((res) => {
                setBusy(false)
                setMessage(res.ok ? `Healing started (${res.data.healing.strategy}).` : res.error)
                if (res.ok) detail.reload()
              })
            }}
          >
            Heal {service.service} now
          </button>
        ) : (
          <span className="muted">{actions.cannot('heal', 'heal now')}</span>
        )}
        {message ? (
          <output className="form-message" aria-live="polite">
            {message}
          </output>
        ) : null}
      </header>
      {service.dependsOn.length > 0 ? (
        <p className="muted">
          Depends on {service.dependsOn.join(', ')}
          {service.blockedBy.length > 0 ? ` — blocked by ${service.blockedBy.join(', ')}` : ''}
        </p>
      ) : null}
      {detail.error ? (
        <p className="conn conn-stale" role="status">
          <span aria-hidden="true">⚠ </span>Stale: {detail.error}
        </p>
      ) : null}

      {slo ? <SloPanel slo={slo} now={now} /> : null}

      <TimeChart
        title="Check latency"
        format={formatMs}
        minMax={10}
        from={from}
        to={Math.max(now, points.at(-1)?.[0] ?? now)}
        resetKey={name}
        {...(intervalMs ? { intervalMs } : {})}
        lines={[{ key: 'ms', name: 'Check duration', color: '#38bdf8', points }]}
      />

      <div className="columns">
        <MaintenancePanel
          service={service.service}
          window={maintenance}
          canAct={actions.can.maintenance}
          onStart={actions.startMaintenance}
          onEnd={actions.endMaintenance}
          onChanged={detail.reload}
        />
        <section className="panel" aria-labelledby="checks-title">
          <h2 id="checks-title" className="panel-title">
            Checks
          </h2>
          <div className="table-wrap">
            <table className="table">
              <TableHead columns={['Time', 'State', 'Duration', 'Attempts', 'Message']} />
              <tbody>
                {checks.slice(0, 25).map((c) => (
                  <tr key={`${c.at}-${c.state}`}>
                    <td>{formatDateTime(c.at)}</td>
                    <td>
                      <StatusBadge state={c.state} />
                    </td>
                    <td>{formatMs(c.durationMs)}</td>
                    <td>{c.attempts}</td>
                    <td>{c.message ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <section className="panel" aria-labelledby="history-title">
          <h2 id="history-title" className="panel-title">
            State history
          </h2>
          {changes.length === 0 ? (
            <p className="muted">No state change recorded.</p>
          ) : (
            <ol className="feed">
              {[...changes]
                .sort((a, b) => b.at - a.at)
                .map((c) => (
                  <li key={`${c.at}-${c.to}`} className="feed-item">
                    <StatusBadge state={c.from} /> <span aria-hidden="true">→</span>
                    <span className="sr-only">to</span> <StatusBadge state={c.to} />{' '}
                    <time className="muted" dateTime={new Date(c.at).toISOString()}>
                      {formatDateTime(c.at)}
                    </time>
                    {c.result.message ? <p className="muted">{c.result.message}</p> : null}
                  </li>
                ))}
            </ol>
          )}
        </section>
        <HealingTimeline healings={healings} now={now} title="Healing records" />
        <AlertsFeed alerts={alerts} canAct={actions.can.silence} onSilence={actions.silence} now={now} />
      </div>
    </>
  )
}
