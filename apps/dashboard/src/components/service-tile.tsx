import type { ServiceStatus } from '../data/types.ts'
import { formatAgo, formatMs } from '../format.ts'
import { StatusBadge, toneOf } from './status-badge.tsx'

/** One service in the status grid: state, latency, last check, critical badge, what blocks it. */
export function ServiceTile({ service, now }: { service: ServiceStatus; now?: number }) {
  const last = service.lastResult
  return (
    <li className={`tile tone-border-${toneOf(service.state)}`} data-testid={`tile-${service.service}`}>
      <a className="tile-link" href={`#/services/${encodeURIComponent(service.service)}`}>
        <span className="tile-name">{service.service}</span>
        <span className="sr-only">, open details</span>
      </a>
      <div className="tile-row">
        <StatusBadge state={service.state} />
        {service.critical ? <span className="chip chip-critical">Critical</span> : null}
        {service.flapping ? <span className="chip chip-warn">Flapping</span> : null}
      </div>
      <dl className="tile-facts">
        <div>
          <dt>Latency</dt>
          <dd>{formatMs(last?.durationMs)}</dd>
        </div>
        <div>
          <dt>Last check</dt>
          <dd>
            <time dateTime={last ? new Date(last.at).toISOString() : undefined}>
              {formatAgo(last?.at, now)}
            </time>
          </dd>
        </div>
      </dl>
      {service.blockedBy.length > 0 ? (
        <p className="tile-blocked">Blocked by {service.blockedBy.join(', ')}</p>
      ) : null}
      {last?.message && service.state !== 'healthy' ? <p className="tile-message">{last.message}</p> : null}
    </li>
  )
}

/** The system health status grid. */
export function StatusGrid({ services, now }: { services: readonly ServiceStatus[]; now?: number }) {
  return (
    <ul className="grid-tiles" aria-label="Service health">
      {services.map((s) => (
        <ServiceTile key={s.service} service={s} {...(now === undefined ? {} : { now })} />
      ))}
    </ul>
  )
}
