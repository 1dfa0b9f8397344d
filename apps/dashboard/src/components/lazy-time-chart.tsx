import { lazy, Suspense } from 'react'
import type { TimeChartProps } from './time-chart.tsx'

// recharts is most of the bundle: loaded on its own, after the first paint, so the fleet's
// counts and list show before the charts are parsed.
const TimeChart = lazy(() => import('./time-chart.tsx').then((m) => ({ default: m.TimeChart })))

/** {@link TimeChart}, loaded when first drawn; an empty panel of its title stands in meanwhile. */
export function LazyTimeChart(props: TimeChartProps) {
  return (
    <Suspense
      fallback={
        <figure className="panel chart" aria-label={props.title}>
          <figcaption className="panel-title">{props.title}</figcaption>
          <p className="muted">Loading chart…</p>
        </figure>
      }
    >
      <TimeChart {...props} />
    </Suspense>
  )
}
