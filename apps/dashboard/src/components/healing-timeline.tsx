import type { HealingRecord } from '../data/types.ts'
import { formatAgo, formatDateTime, formatDuration } from '../format.ts'
import { Badge } from './status-badge.tsx'

const OUTCOME: Record<HealingRecord['outcome'], { icon: string; tone: string; label: string }> = {
  running: { icon: '⟳', tone: 'warn', label: 'Running' },
  succeeded: { icon: '✓', tone: 'ok', label: 'Succeeded' },
  failed: { icon: '✕', tone: 'bad', label: 'Failed' },
  skipped: { icon: '–', tone: 'none', label: 'Skipped' },
  'dry-run': { icon: '◌', tone: 'none', label: 'Dry run' },
  interrupted: { icon: '✕', tone: 'bad', label: 'Interrupted' },
  'awaiting-approval': { icon: '⏸', tone: 'warn', label: 'Awaiting approval' },
  rejected: { icon: '✕', tone: 'bad', label: 'Rejected' },
}

/** The healing timeline: what was done (strategy on service), why (trigger, reason), the steps and the outcome. */
export function HealingTimeline({
  healings,
  limit = 20,
  now,
  title = 'Healing timeline',
}: {
  healings: readonly HealingRecord[]
  limit?: number
  now?: number
  title?: string
}) {
  const items = [...healings].sort((a, b) => b.startedAt - a.startedAt).slice(0, limit)
  return (
    <section className="panel" aria-label={title}>
      <h2 className="panel-title">{title}</h2>
      {items.length === 0 ? (
        <p className="muted">No healing yet. Strategies are set under selfHealing in the configuration.</p>
      ) : (
        <ol className="timeline">
          {items.map((h) => {
            const look = OUTCOME[h.outcome] ?? OUTCOME.skipped
            return (
              <li key={h.id} className="timeline-item" data-testid={`healing-${h.id}`}>
                <div className="feed-head">
                  <Badge look={look} />
                  <strong>
                    {h.strategy} on {h.service}
                  </strong>
                  {h.dryRun ? <span className="chip">dry run</span> : null}
                  <time
                    className="muted"
                    dateTime={new Date(h.startedAt).toISOString()}
                    title={formatDateTime(h.startedAt)}
                  >
                    {formatAgo(h.startedAt, now)}
                  </time>
                </div>
                <p className="muted">
                  Why: {h.trigger}
                  {h.reason ? ` — ${h.reason}` : ''}
                  {h.healthBefore ? ` · before: ${h.healthBefore}` : ''}
                  {h.healthAfter ? ` · after: ${h.healthAfter}` : ''}
                  {h.endedAt ? ` · took ${formatDuration(h.endedAt - h.startedAt)}` : ''}
                </p>
                {h.steps.length > 0 ? (
                  <ol className="steps" aria-label="Steps">
                    {h.steps.map((step, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: steps are append-only and may repeat a name
                      <li key={i} className={step.ok ? 'step-ok' : 'step-bad'}>
                        <span aria-hidden="true">{step.ok ? '✓' : '✕'}</span>
                        <span className="sr-only">{step.ok ? 'ok' : 'failed'}:</span> {step.name}{' '}
                        <span className="muted">({formatDuration(step.endedAt - step.startedAt)})</span>
                        {step.error ? <span className="step-error"> {step.error}</span> : null}
                        {!step.error && step.output ? <span className="muted"> {step.output}</span> : null}
                      </li>
                    ))}
                  </ol>
                ) : null}
              </li>
            )
          })}
        </ol>
      )}
    </section>
  )
}
