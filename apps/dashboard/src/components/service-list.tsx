import type { ServiceStatus } from '../data/types.ts'
import { formatAgo, formatMs } from '../format.ts'
import { StatusBadge } from './status-badge.tsx'

/** The service status list: one row per service, sortable by eye (down ones first). */
export function ServiceList({ services, now }: { services: readonly ServiceStatus[]; now?: number }) {
  const rank = { error: 0, unhealthy: 1, unknown: 2, healthy: 3 } as const
  const sorted = [...services].sort(
    (a, b) => rank[a.state] - rank[b.state] || a.service.localeCompare(b.service),
  )
  return (
    <section className="panel" aria-labelledby="service-list-title">
      <h2 id="service-list-title" className="panel-title">
        Services
      </h2>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">State</th>
              <th scope="col">Latency</th>
              <th scope="col">Last check</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((s) => (
              <tr key={s.service}>
                <th scope="row">
                  <a href={`#/services/${encodeURIComponent(s.service)}`}>{s.service}</a>
                  {s.critical ? <span className="chip chip-critical">Critical</span> : null}
                </th>
                <td>
                  <StatusBadge state={s.state} />
                </td>
                <td>{formatMs(s.lastResult?.durationMs)}</td>
                <td>{formatAgo(s.lastResult?.at, now)}</td>
                <td>{s.since ? formatAgo(s.since, now) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
