import type { ServiceSloStatus, SloStatus } from '../data/types.ts'
import { formatAgo } from '../format.ts'

const WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const

const percent = (v: number | undefined, digits = 3) =>
  v === undefined ? '–' : `${Number((v * 100).toFixed(digits))} %`

/** The burn rate as the alerts judge it: a page over 14.4 (1 h) or 6 (6 h), a ticket over 1. */
function burnTone(window: (typeof WINDOWS)[number], v: number | undefined): string {
  if (v === undefined) return 'tone-none'
  const page = window === '5m' || window === '1h' ? 14.4 : window === '30m' || window === '6h' ? 6 : 1
  return v > page ? 'tone-bad' : v > 1 ? 'tone-warn' : 'tone-ok'
}

/** The budget left as a bar: full when untouched, empty (and red) when spent. */
function BudgetBar({ slo }: { slo: SloStatus }) {
  const left = slo.budgetRemaining
  const width = left === undefined ? 0 : Math.max(0, Math.min(1, left)) * 100
  const tone = left === undefined ? 'none' : left <= 0 ? 'bad' : left < 0.25 ? 'warn' : 'ok'
  const label = left === undefined ? 'Error budget: no data yet' : `Error budget left: ${percent(left, 1)}`
  return (
    <div className="slo-budget">
      <meter
        className={`slo-bar slo-bar-${tone}`}
        aria-label={label}
        min={0}
        max={100}
        low={25}
        optimum={100}
        value={Math.round(width)}
      />
      <span className={`tone-${tone}`}>
        {left === undefined ? 'no data yet' : `${percent(left, 1)} left`}
      </span>
    </div>
  )
}

function SloRow({ slo }: { slo: SloStatus }) {
  const what =
    slo.slo === 'availability'
      ? 'Availability'
      : `Latency under ${slo.thresholdMs} ms${slo.metric ? ` (${slo.metric})` : ''}`
  return (
    <tr data-testid={`slo-${slo.slo}`}>
      <th scope="row">{what}</th>
      <td>
        {slo.objective} % over {slo.windowDays} d
      </td>
      <td>{percent(slo.sli)}</td>
      <td>
        <BudgetBar slo={slo} />
        {slo.problem ? <p className="muted slo-problem">{slo.problem}</p> : null}
      </td>
      {WINDOWS.map((w) => (
        <td key={w} className={burnTone(w, slo.burnRates[w])}>
          {slo.burnRates[w] === undefined ? '–' : `${Number(slo.burnRates[w].toFixed(2))}x`}
        </td>
      ))}
    </tr>
  )
}

/**
 * A service's objectives: each one's objective, SLI over its window, error budget left as a bar,
 * and burn rates per alert window; says when risky healing is held because the budget is spent.
 */
export function SloPanel({ slo, now }: { slo: ServiceSloStatus; now?: number }) {
  return (
    <section className="panel" aria-labelledby="slo-title">
      <h2 id="slo-title" className="panel-title">
        Service level objectives
        {slo.spent ? <span className="chip chip-critical">Budget spent</span> : null}
      </h2>
      {slo.spent && slo.holdRiskyHealing ? (
        <p className="tile-healing">
          Risky healing (rollback, scale-up) is held while the budget is spent
          {slo.held ? `; a ${slo.held.trigger} healing was held ${formatAgo(slo.held.at, now)}` : ''}.
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Objective</th>
              <th scope="col">Target</th>
              <th scope="col">SLI</th>
              <th scope="col">Error budget</th>
              {WINDOWS.map((w) => (
                <th key={w} scope="col" title={`Burn rate over the last ${w}`}>
                  Burn {w}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {slo.slos.map((s) => (
              <SloRow key={s.slo} slo={s} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
