import type { SummaryBody } from '../data/types.ts'

/**
 * The fleet in counts (`GET /api/summary`): how many services, how many in each state (as
 * checked), what needs a person. A service in maintenance is counted in its state and under
 * "In maintenance", never in "Critical down" (nor in the overall badge).
 */
export function FleetSummary({ summary }: { summary: SummaryBody }) {
  const c = summary.counts
  const items: Array<[string, number, string]> = [
    ['Services', summary.total, 'none'],
    ['Healthy', c.healthy, 'ok'],
    ['Unhealthy', c.unhealthy, c.unhealthy > 0 ? 'bad' : 'none'],
    ['Error', c.error, c.error > 0 ? 'bad' : 'none'],
    ['Unknown', c.unknown, 'none'],
    ['Critical down', summary.criticalDown, summary.criticalDown > 0 ? 'bad' : 'none'],
    ['In maintenance', summary.maintenance, 'none'],
    ['Flapping', summary.flapping, summary.flapping > 0 ? 'warn' : 'none'],
    ['Degraded', summary.degraded, summary.degraded > 0 ? 'warn' : 'none'],
    ['Alerts firing', summary.alerts.firing, summary.alerts.firing > 0 ? 'bad' : 'none'],
  ]
  return (
    <dl className="summary" aria-label="Fleet summary" data-testid="fleet-summary">
      {items.map(([label, value, tone]) => (
        <div key={label} className={`summary-item tone-border-${tone}`}>
          <dt className="muted">{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  )
}
