import type { ServiceStatus, StatusService } from '../data/types.ts'
import { formatAgo, formatMs } from '../format.ts'
import { StatusBadge, toneOf } from './status-badge.tsx'

/** What healing could not solve for a service, from `/api/status`. */
export type HealingState = Pick<StatusService, 'circuit' | 'degraded' | 'nextRetryAt'>

/** Says why healing holds back: its restart budget is spent or its healings keep failing, and when it retries. */
function HealingNote({ healing, now }: { healing: HealingState; now: number | undefined }) {
  if (healing.circuit !== 'open') return null
  const retry =
    healing.nextRetryAt === undefined
      ? 'no retry scheduled: a person must act'
      : `next retry ${formatIn(healing.nextRetryAt, now)}`
  return (
    <p className="tile-healing">
      {healing.degraded ? 'Restart budget spent' : 'Healing keeps failing'}; {retry}
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
  healing,
  now,
}: {
  service: ServiceStatus
  healing?: HealingState | undefined
  now?: number
}) {
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
        {healing?.degraded ? <span className="chip chip-critical">Degraded</span> : null}
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
      {healing ? <HealingNote healing={healing} now={now} /> : null}
    </li>
  )
}

/** The system health status grid; `healing` (from `/api/status`) adds what healing holds back. */
export function StatusGrid({
  services,
  healing,
  now,
}: {
  services: readonly ServiceStatus[]
  healing?: readonly StatusService[] | undefined
  now?: number
}) {
  const byName = new Map(healing?.map((h) => [h.name, h]))
  return (
    <ul className="grid-tiles" aria-label="Service health">
      {services.map((s) => (
        <ServiceTile
          key={s.service}
          service={s}
          healing={byName.get(s.service)}
          {...(now === undefined ? {} : { now })}
        />
      ))}
    </ul>
  )
}
