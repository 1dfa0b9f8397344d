/** What a user sees before the agent has any service to show: what to configure. */
export function EmptyState() {
  return (
    <section className="panel empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No services to show yet</h2>
      <p>
        The agent is running but checks no service. Add services to <code>config/monitoring-config.json</code>{' '}
        under <code>services</code> (an endpoint, <code>critical</code> and <code>dependsOn</code> each) and
        the checks under <code>healthChecks</code>, then restart with <code>noa start</code>.
      </p>
      <p>
        Check the file first with <code>noa validate</code>. To try noa on a sample fleet, run{' '}
        <code>pnpm start</code> from the repository.
      </p>
    </section>
  )
}
