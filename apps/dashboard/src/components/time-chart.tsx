import { useRef } from 'react'
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { expectedInterval, splitAtGaps } from '../data/metrics.ts'
import type { Point } from '../data/types.ts'
import { niceCeil } from '../format.ts'

/** One line of a {@link TimeChart}. */
export interface ChartLine {
  key: string
  name: string
  color: string
  points: readonly Point[]
}

/** Options of {@link TimeChart}. */
export interface TimeChartProps {
  title: string
  lines: readonly ChartLine[]
  from: number
  to: number
  /** Formats a value with its unit, for the axis, the tooltip and the text summary. */
  format: (value: number) => string
  /** Fixed upper bound (100 for percent); otherwise a nice bound that only grows until `resetKey` changes. */
  max?: number
  /** Smallest upper bound when the data is all low. @default 1 */
  minMax?: number
  /** Changing it lets the y-axis shrink again (a new time range). */
  resetKey?: string
  height?: number
  /**
   * How far apart points are expected, ms (the query step, the check interval): a line breaks
   * where two points are more than two of these apart, since nothing was collected in between.
   * @default the usual spacing of each line's points
   */
  intervalMs?: number
}

/** Axis label of time `t` on a chart spanning `span` ms: dates, minutes or seconds. */
export function tickLabel(t: number, span: number): string {
  const d = new Date(t)
  const p = (n: number) => String(n).padStart(2, '0')
  if (span > 2 * 86_400_000) return `${p(d.getMonth() + 1)}-${p(d.getDate())}`
  if (span < 30 * 60_000) return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  return `${p(d.getHours())}:${p(d.getMinutes())}`
}

/**
 * A time-series line chart with fixed domains (x: the queried range, y: a stable
 * bound) and no animation, so a live update does not make it jump. A text line under
 * it gives the latest value of each line for screen readers and small screens.
 */
export function TimeChart(props: TimeChartProps) {
  const { lines, from, to, format } = props
  const rows = new Map<number, Record<string, number>>()
  let peak = 0
  // Each stretch of collected points is a line of its own: no line is drawn across a gap.
  const segments: Array<{ line: ChartLine; dataKey: string }> = []
  for (const line of lines)
    for (const [i, segment] of splitAtGaps(
      line.points,
      expectedInterval(line.points, props.intervalMs),
    ).entries()) {
      const dataKey = `${line.key}~${i}`
      segments.push({ line, dataKey })
      for (const [t, v] of segment) {
        const row = rows.get(t) ?? { t }
        row[dataKey] = v
        rows.set(t, row)
        if (v > peak) peak = v
      }
    }
  const data = [...rows.values()].sort((a, b) => a.t! - b.t!)
  const bound = useRef<{ key: string | undefined; max: number }>({ key: props.resetKey, max: 0 })
  if (bound.current.key !== props.resetKey) bound.current = { key: props.resetKey, max: 0 }
  const yMax = props.max ?? Math.max(bound.current.max, niceCeil(Math.max(peak, props.minMax ?? 1)))
  bound.current.max = yMax
  const span = to - from
  const summary = lines.map((l) => {
    const last = l.points.at(-1)
    return `${l.name} ${last ? format(last[1]) : 'no data'}`
  })
  const empty = data.length === 0
  return (
    <figure className="panel chart" aria-label={props.title} data-testid={`chart-${props.title}`}>
      <figcaption className="panel-title">{props.title}</figcaption>
      <div className="chart-body" style={{ height: props.height ?? 200 }} aria-hidden="true">
        {empty ? (
          <p className="chart-empty">No samples in this range yet.</p>
        ) : (
          <ResponsiveContainer
            width="100%"
            height="100%"
            initialDimension={{ width: 480, height: props.height ?? 200 }}
          >
            <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="#1e293b" strokeDasharray="3 3" />
              <XAxis
                dataKey="t"
                type="number"
                scale="time"
                domain={[from, to]}
                allowDataOverflow
                tickFormatter={(t: number) => tickLabel(t, span)}
                stroke="#94a3b8"
                fontSize={11}
                minTickGap={24}
              />
              <YAxis
                domain={[0, yMax]}
                allowDataOverflow
                tickFormatter={(v: number) => format(v)}
                stroke="#94a3b8"
                fontSize={11}
                width={64}
              />
              <Tooltip
                isAnimationActive={false}
                contentStyle={{ background: '#1e293b', border: '1px solid #334155' }}
                labelFormatter={(t) => new Date(Number(t)).toLocaleString()}
                formatter={(v) => format(Number(v))}
              />
              {segments.map(({ line: l, dataKey }) => (
                <Line
                  key={dataKey}
                  dataKey={dataKey}
                  name={l.name}
                  stroke={l.color}
                  dot={false}
                  strokeWidth={2}
                  isAnimationActive={false}
                  connectNulls
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        )}
      </div>
      <p className="chart-summary" data-testid="chart-summary">
        Latest: {summary.join(', ')}
        <span className="sr-only">; {data.length} samples</span>
      </p>
    </figure>
  )
}
