import { useEffect, useMemo, useState } from 'react'
import { useFleet } from '../data/fleet.ts'
import { type FleetQuery, type FleetRow, groupRows } from '../data/fleet-model.ts'
import type { FleetService, HealthState, SummaryBody } from '../data/types.ts'
import { formatAgo, formatMs } from '../format.ts'
import { StatusBadge } from './status-badge.tsx'
import { VirtualList } from './virtual-list.tsx'

/** Height of one row of the list, px (the CSS of `.fleet-row` matches it). */
export const ROW_HEIGHT = 36
const LIST_HEIGHT = 520

const STATE_FILTERS: Record<string, { label: string; states: HealthState[] }> = {
  all: { label: 'All states', states: [] },
  down: { label: 'Down (unhealthy or error)', states: ['unhealthy', 'error'] },
  healthy: { label: 'Healthy', states: ['healthy'] },
  unhealthy: { label: 'Unhealthy', states: ['unhealthy'] },
  error: { label: 'Error', states: ['error'] },
  unknown: { label: 'Unknown', states: ['unknown'] },
}

/** Waits `ms` after the last change of `value`, so typing a name sends one request, not one per key. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms)
    return () => clearTimeout(timer)
  }, [value, ms])
  return settled
}

function ServiceRow({ service, now }: { service: FleetService; now: number | undefined }) {
  return (
    <div className="fleet-row" data-testid={`row-${service.name}`}>
      <span className="fleet-name">
        <a href={`#/services/${encodeURIComponent(service.name)}`}>{service.name}</a>
        {service.critical ? <span className="chip chip-critical">Critical</span> : null}
        {service.flapping ? <span className="chip chip-warn">Flapping</span> : null}
        {service.degraded ? <span className="chip chip-critical">Degraded</span> : null}
        {service.maintenance ? <span className="chip chip-maintenance">Maintenance</span> : null}
      </span>
      <StatusBadge state={service.state} />
      <span>{formatMs(service.latencyMs)}</span>
      <span>{formatAgo(service.lastCheckAt, now)}</span>
      <span className="fleet-tags muted">{service.tags.join(' ')}</span>
    </div>
  )
}

function GroupRow({ row }: { row: Extract<FleetRow, { kind: 'group' }> }) {
  return (
    <div className="fleet-group" data-testid={`group-${row.name}`}>
      <strong>{row.name}</strong>{' '}
      <span className="muted">
        {row.count} {row.count === 1 ? 'service' : 'services'}
        {row.down > 0 ? `, ${row.down} down` : ''}
        {row.maintenance > 0 ? `, ${row.maintenance} in maintenance` : ''}
      </span>
    </div>
  )
}

/**
 * Every service of the fleet, 10,000 and more: a search box (part of the name), filters by state,
 * group and tag (the agent filters, `GET /api/services`), headings per group, and a virtual list
 * that draws only the rows in view. Live through the `service` and `services` events.
 */
export function FleetList({ summary, now }: { summary: SummaryBody | undefined; now?: number }) {
  const [search, setSearch] = useState('')
  const [stateFilter, setStateFilter] = useState('all')
  const [group, setGroup] = useState('')
  const [tag, setTag] = useState('')
  const q = useDebounced(search, 200)
  const query = useMemo<FleetQuery>(
    () => ({
      ...(q.trim() ? { q: q.trim() } : {}),
      states: STATE_FILTERS[stateFilter]?.states ?? [],
      ...(group ? { group } : {}),
      ...(tag ? { tag } : {}),
    }),
    [q, stateFilter, group, tag],
  )
  // A first page of 200 fills the screen; the rest follow 1000 at a time.
  const fleet = useFleet(query, { firstLimit: 200 })
  // One pass over the list, only when it changes (a page, a delta), not on every scroll.
  const services = fleet.services
  const rows = useMemo(() => groupRows(services), [services])
  const shown = services.length
  const total = fleet.total

  return (
    <section className="panel fleet" aria-labelledby="service-list-title">
      <h2 id="service-list-title" className="panel-title">
        Services
      </h2>
      <div className="fleet-tools">
        <label>
          <span className="sr-only">Search services by name</span>
          <input
            type="search"
            placeholder="Search services…"
            value={search}
            maxLength={64}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <label>
          <span className="sr-only">State</span>
          <select value={stateFilter} onChange={(e) => setStateFilter(e.target.value)}>
            {Object.entries(STATE_FILTERS).map(([value, f]) => (
              <option key={value} value={value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="sr-only">Group</span>
          <select value={group} onChange={(e) => setGroup(e.target.value)}>
            <option value="">All groups</option>
            {summary?.groups.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name} ({g.total})
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="sr-only">Tag</span>
          <select value={tag} onChange={(e) => setTag(e.target.value)}>
            <option value="">All tags</option>
            {summary?.tags.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name} ({t.total})
              </option>
            ))}
          </select>
        </label>
        <p className="muted fleet-count" role="status" data-testid="fleet-count">
          {total === undefined
            ? (fleet.error ?? 'Loading…')
            : shown < total
              ? `${shown} of ${total} services${fleet.complete ? '' : ', loading…'}`
              : `${total} ${total === 1 ? 'service' : 'services'}`}
        </p>
      </div>
      <div className="fleet-head" aria-hidden="true">
        <span>Service</span>
        <span>State</span>
        <span>Latency</span>
        <span>Last check</span>
        <span>Tags</span>
      </div>
      {total === 0 ? (
        <p className="muted">No service matches.</p>
      ) : (
        <VirtualList
          items={rows}
          rowHeight={ROW_HEIGHT}
          height={Math.min(LIST_HEIGHT, Math.max(rows.length, 1) * ROW_HEIGHT)}
          itemKey={(row) => row.key}
          label="Services"
          testId="fleet-list"
          renderItem={(row) =>
            row.kind === 'group' ? <GroupRow row={row} /> : <ServiceRow service={row.service} now={now} />
          }
        />
      )}
    </section>
  )
}
