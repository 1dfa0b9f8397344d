import type { FleetService } from '../data/types.ts'
import { formatAgo, formatMs } from '../format.ts'
import { StaleMark } from './stale-mark.tsx'
import { StatusBadge, toneOf } from './status-badge.tsx'

/** Says why healing holds back: its restart budget is spent or its healings keep failing, and when it retries. */
function HealingNote({ service, now }: { service: FleetService; now: number | undefined }) {
  if (service.circuit !== 'open') return null
  const retry =
    service.nextRetryAt === undefined
      ? 'no retry scheduled: a person must act'
      : `next retry ${formatIn(service.nextRetryAt, now)}`
  return (
    <p className="tile-healing">
      {service.degraded ? 'Restart budget spent' : 'Healing keeps failing'}; {retry}
    </p>
  )
}

const formatIn = (at: number, now = Date.now()) => {
  const s = Math.max(0, Math.round((at - now) / 1000))
  return s < 1 ? 'now' : `in ${s} s`
}

/** One service in the status grid: state, latency, last check, critical badge, what blocks it, what healing holds back. */
export function ServiceTile({
  service,
  now,
  budgetSpent = false,
}: {
  service: FleetService
  now?: number
  /** Its SLO error budget is spent (`GET /api/slos?spent=true`). */
  budgetSpent?: boolean
}) {
  return (
    <li className={`tile tone-border-${toneOf(service.state)}`} data-testid={`tile-${service.name}`}>
      <a className="tile-link" href={`#/services/${encodeURIComponent(service.name)}`}>
        <span className="tile-name">{service.name}</span>
        <span className="sr-only">, open details</span>
      </a>
      <div className="tile-row">
        <StatusBadge state={service.state} />
        {service.critical ? <span className="chip chip-critical">Critical</span> : null}
        {service.flapping ? <span className="chip chip-warn">Flapping</span> : null}
        {service.degraded ? <span className="chip chip-critical">Degraded</span> : null}
        {budgetSpent ? (
          <span className="chip chip-warn" title="Its SLO error budget is spent">
            Budget spent
          </span>
        ) : null}
        <StaleMark at={service.lastCheckAt} intervalMs={service.intervalMs} now={now ?? Date.now()} />
        {service.maintenance ? (
          <span className="chip chip-maintenance" title={`In maintenance: ${service.maintenance.reason}`}>
            Maintenance
          </span>
        ) : null}
      </div>
      <dl className="tile-facts">
        <div>
          <dt>Latency</dt>
          <dd>{formatMs(service.latencyMs)}</dd>
        </div>
        <div>
          <dt>Last check</dt>
          <dd>
            <time dateTime={service.lastCheckAt ? new Date(service.lastCheckAt).toISOString() : undefined}>
              {formatAgo(service.lastCheckAt, now)}
            </time>
          </dd>
        </div>
      </dl>
      {service.blockedBy.length > 0 ? (
        <p className="tile-blocked">Blocked by {service.blockedBy.join(', ')}</p>
      ) : null}
      {service.message && service.state !== 'healthy' ? (
        <p className="tile-message">{service.message}</p>
      ) : null}
      <HealingNote service={service} now={now} />
    </li>
  )
}

/** The status grid: a tile per service it is given (the whole of a small fleet, the ones down of a big one). */
export function StatusGrid({
  services,
  now,
  spent,
}: {
  services: readonly FleetService[]
  now?: number
  /** The services whose SLO error budget is spent. */
  spent?: ReadonlySet<string>
}) {
  return (
    <ul className="grid-tiles" aria-label="Service health">
      {services.map((s) => (
        <ServiceTile
          key={s.name}
          service={s}
          budgetSpent={spent?.has(s.name) ?? false}
          {...(now === undefined ? {} : { now })}
        />
      ))}
    </ul>
  )
}
