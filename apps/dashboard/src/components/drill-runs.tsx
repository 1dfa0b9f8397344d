import { Fragment, useState } from 'react'
import type { TimeSpread } from '../data/drills.ts'
import { summarizeDrill } from '../data/drills.ts'
import type { DrillOutcome, DrillRun } from '../data/types.ts'
import { formatAgo, formatDateTime, formatDuration, formatMs } from '../format.ts'
import { Badge } from './status-badge.tsx'
import { TableHead } from './table-head.tsx'

const OUTCOME: Record<DrillOutcome, { icon: string; tone: string; label: string }> = {
  healed: { icon: '✓', tone: 'ok', label: 'healed' },
  escalated: { icon: '⚑', tone: 'warn', label: 'escalated' },
  failed: { icon: '✕', tone: 'bad', label: 'failed' },
}
const OUTCOMES = Object.keys(OUTCOME) as DrillOutcome[]

/** What a user sees before any drill was recorded: how to run one. */
export function DrillsEmpty() {
  return (
    <section className="panel empty" aria-labelledby="drills-empty-title">
      <h2 id="drills-empty-title">No drills yet</h2>
      <p>
        A drill injects a fault (a crash, a hang, a dependency down…) into a service marked{' '}
        <code>drill: true</code> in the configuration and measures how noa detects it, alerts and heals it.
      </p>
      <p>
        Run <code>noa drill</code> with <code>NOA_API_TOKEN</code> set (or <code>pnpm drill</code> on the demo
        fleet): each run shows here as soon as it is recorded.
      </p>
    </section>
  )
}

function OutcomeBadge({ outcome, count }: { outcome: DrillOutcome; count?: number }) {
  return (
    <Badge
      look={OUTCOME[outcome]}
      data={{ outcome }}
      {...(count === undefined ? {} : { prefix: String(count) })}
    />
  )
}

/** The median of some times, with the worst and how many never came under it. */
function TimeCell({ spread, none }: { spread: TimeSpread; none: string }) {
  return (
    <td>
      {formatMs(spread.median)}
      {spread.max !== undefined && spread.max !== spread.median ? (
        <span className="muted drill-sub">max {formatMs(spread.max)}</span>
      ) : null}
      {spread.missing > 0 ? <span className="muted drill-sub">{`${spread.missing} ${none}`}</span> : null}
    </td>
  )
}

/** One result per row: the fault, the service, the outcome, its times and what was done. */
function DrillResults({ run }: { run: DrillRun }) {
  return (
    <table className="table" aria-label={`Results of the drill of ${formatDateTime(run.startedAt)}`}>
      <TableHead
        columns={[
          'Round',
          'Fault',
          'Service',
          'Outcome',
          'Detect',
          'Alert',
          'Repair',
          'Actions',
          'Double actions',
          'False alerts',
          'Detail',
        ]}
      />
      <tbody>
        {run.results.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a run's results never change, and may repeat a fault on a service
          <tr key={i}>
            <td>{r.round}</td>
            <td>{r.fault}</td>
            <td>{r.service}</td>
            <td>
              <OutcomeBadge outcome={r.outcome} />
            </td>
            <td>{formatMs(r.detectMs)}</td>
            <td>{formatMs(r.alertMs)}</td>
            <td>{formatMs(r.repairMs)}</td>
            <td>{r.actions.length > 0 ? r.actions.join(', ') : <span className="muted">none</span>}</td>
            <td className={r.doubleActions > 0 ? 'tone-bad' : undefined}>{r.doubleActions}</td>
            <td className={r.falseAlerts > 0 ? 'tone-bad' : undefined}>{r.falseAlerts}</td>
            <td className="drill-detail">{r.detail ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function DrillRow({ run, now }: { run: DrillRun; now: number | undefined }) {
  const [open, setOpen] = useState(false)
  const s = summarizeDrill(run)
  const resultsId = `drill-results-${run.id}`
  return (
    <Fragment>
      <tr data-testid={`drill-${run.id}`}>
        <td>
          <time dateTime={new Date(run.startedAt).toISOString()} title={formatDateTime(run.startedAt)}>
            {formatDateTime(run.startedAt)}
          </time>
          <span className="muted drill-sub">
            {formatAgo(run.startedAt, now)} · took {formatDuration(run.finishedAt - run.startedAt)}
          </span>
        </td>
        <td className="drill-list">{s.faults.join(', ')}</td>
        <td className="drill-list">{s.services.join(', ')}</td>
        <td>
          <span className="drill-outcomes">
            {OUTCOMES.map((o) =>
              s.outcomes[o] > 0 ? (
                <OutcomeBadge key={o} outcome={o} count={s.outcomes[o]} />
              ) : (
                <span key={o} className="muted">
                  0 {OUTCOME[o].label}
                </span>
              ),
            )}
          </span>
        </td>
        <TimeCell spread={s.detect} none="not detected" />
        <TimeCell spread={s.alert} none="no alert" />
        <TimeCell spread={s.repair} none="not repaired" />
        <td className={s.doubleActions > 0 ? 'tone-bad' : undefined}>{s.doubleActions}</td>
        <td className={s.falseAlerts > 0 ? 'tone-bad' : undefined}>{s.falseAlerts}</td>
        <td>
          <button
            type="button"
            className="btn btn-small"
            aria-expanded={open}
            aria-controls={resultsId}
            onClick={() => setOpen((v) => !v)}
          >
            {open ? 'Hide' : 'Show'} {run.results.length} {run.results.length === 1 ? 'result' : 'results'}
          </button>
        </td>
      </tr>
      {open ? (
        <tr id={resultsId} className="drill-expanded">
          <td colSpan={10}>
            <div className="drill-results">
              {run.results.length === 0 ? (
                <p className="muted">This run recorded no result.</p>
              ) : (
                <DrillResults run={run} />
              )}
            </div>
          </td>
        </tr>
      ) : null}
    </Fragment>
  )
}

/**
 * Past drill runs, newest first: when, which faults on which services, the outcomes, the
 * median (and worst) times to detect, alert and repair, double actions and false alerts;
 * each run opens to its results.
 */
export function DrillRuns({ runs, now }: { runs: readonly DrillRun[]; now?: number }) {
  return (
    <section className="panel" aria-labelledby="drill-runs-title">
      <h2 id="drill-runs-title" className="panel-title">
        Drill runs
      </h2>
      <div className="table-wrap">
        <table className="table">
          <TableHead
            columns={[
              'When',
              'Faults',
              'Services',
              'Outcomes',
              'Detect',
              'Alert',
              'Repair',
              'Double actions',
              'False alerts',
              'Results',
            ]}
          />
          <tbody>
            {runs.map((run) => (
              <DrillRow key={run.id} run={run} now={now} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
