import { DrillRuns, DrillsEmpty } from '../components/drill-runs.tsx'
import { useDrills } from '../data/drills.ts'
import { useNow } from '../data/now.ts'

/** The Drills page: every recorded run of `noa drill`, newest first, live as new runs are recorded. */
export function DrillsPage() {
  const drills = useDrills()
  const now = useNow()
  const { first } = drills
  return (
    <>
      <div className="section-head">
        <h2 className="section-title">Drills</h2>
        {first.error ? (
          <p className="muted" role="status">
            <span aria-hidden="true">⚠ </span>
            {first.data ? `May be stale: ${first.error}` : first.error}
          </p>
        ) : null}
      </div>
      {!first.data ? (
        first.error ? null : (
          <p className="muted" role="status">
            Loading…
          </p>
        )
      ) : drills.runs.length === 0 ? (
        <DrillsEmpty />
      ) : (
        <>
          <DrillRuns runs={drills.runs} now={now} />
          {drills.hasOlder ? (
            <p>
              <button
                type="button"
                className="btn"
                disabled={drills.loadingOlder}
                onClick={() => drills.loadOlder()}
              >
                {drills.loadingOlder ? 'Loading older runs…' : 'Show older runs'}
              </button>
              {drills.olderError ? (
                <span className="muted" role="status">
                  {' '}
                  {drills.olderError}
                </span>
              ) : null}
            </p>
          ) : null}
        </>
      )}
    </>
  )
}
