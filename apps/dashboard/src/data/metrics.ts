import { useCallback, useEffect, useState } from 'react'
import { useLive } from './sse.ts'
import type { Point, RangeQueryBody } from './types.ts'

/** The time ranges a chart offers. */
export const RANGES = {
  '15m': { label: '15 min', ms: 15 * 60_000 },
  '1h': { label: '1 h', ms: 60 * 60_000 },
  '24h': { label: '24 h', ms: 24 * 60 * 60_000 },
  '7d': { label: '7 d', ms: 7 * 24 * 60 * 60_000 },
  '30d': { label: '30 d', ms: 30 * 24 * 60 * 60_000 },
} as const satisfies Record<string, { label: string; ms: number }>

export type RangeKey = keyof typeof RANGES

/** A chart never gets more points than this; the agent downsamples, not the browser. */
export const MAX_POINTS = 360

/** The series the agent records for the overview charts. */
export const SERIES = {
  cpu: 'noa_cpu_usage_percent',
  memory: 'noa_memory_usage_percent',
  errorRate: 'noa_error_rate',
  latencyAvg: 'noa_latency_avg_ms',
  latencyP95: 'noa_latency_p95_ms',
  latencyP99: 'noa_latency_p99_ms',
  throughput: 'noa_requests_per_second',
} as const

/** Query step for a range: whole seconds, at least the 10 s collection interval, at most {@link MAX_POINTS} points. */
export function stepFor(rangeMs: number): number {
  return Math.max(10_000, Math.ceil(rangeMs / MAX_POINTS / 1000) * 1000)
}

/**
 * One line from a query answer: the series without labels when there is one (the
 * fleet-wide value), otherwise the mean of all series at each time.
 */
export function mergeSeries(series: RangeQueryBody['series']): Point[] {
  const plain = series.find((s) => Object.keys(s.labels).length === 0)
  if (plain) return plain.points.slice(-MAX_POINTS)
  if (series.length === 1) return series[0]!.points.slice(-MAX_POINTS)
  const sums = new Map<number, { sum: number; n: number }>()
  for (const s of series)
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) continue
      const entry = sums.get(t) ?? { sum: 0, n: 0 }
      entry.sum += v
      entry.n += 1
      sums.set(t, entry)
    }
  return [...sums.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, { sum, n }]): Point => [t, sum / n])
    .slice(-MAX_POINTS)
}

/** Several named series over one time range. */
export interface MetricsRange {
  series: Record<string, Point[]>
  from: number
  to: number
  step: number
  error: string | undefined
  loading: boolean
  updatedAt: number | undefined
  reload(): void
}

/**
 * Fetches `names` over the last `range` through `/api/metrics/query`, again every step
 * (between 10 s and 60 s); the last good series stay when a fetch fails.
 *
 * @example
 * ```ts
 * const { series } = useMetricsRange([SERIES.cpu], '1h')
 * ```
 */
export function useMetricsRange(names: readonly string[], range: RangeKey): MetricsRange {
  const { api } = useLive()
  const rangeMs = RANGES[range].ms
  const step = stepFor(rangeMs)
  const key = names.join(',')
  const [tick, setTick] = useState(0)
  const [state, setState] = useState<{
    series: Record<string, Point[]>
    from: number
    to: number
    error?: string
    loading: boolean
    updatedAt?: number
    key?: string
  }>(() => {
    const now = Date.now()
    return { series: {}, from: now - rangeMs, to: now, loading: true }
  })

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` asks for a refetch; `key` stands for `names`
  useEffect(() => {
    const controller = new AbortController()
    const to = Date.now()
    const from = to - rangeMs
    setState((s) => ({ ...s, loading: true }))
    void Promise.all(
      key
        .split(',')
        .filter(Boolean)
        .map((name) =>
          api.get<RangeQueryBody>(
            `/api/metrics/query?name=${encodeURIComponent(name)}&from=${from}&to=${to}&step=${step}`,
            controller.signal,
          ),
        ),
    ).then((results) => {
      if (controller.signal.aborted) return
      const failed = results.find((r) => !r.ok)
      setState((s) => {
        // A new range replaces the series; a failed refresh of the same range keeps them.
        const series: Record<string, Point[]> = s.key === `${key}|${range}` ? { ...s.series } : {}
        for (const r of results) if (r.ok) series[r.data.name] = mergeSeries(r.data.series)
        const next = { ...s, series, from, to, loading: false, key: `${key}|${range}` }
        if (failed && !failed.ok) return { ...next, error: failed.error }
        return { ...next, error: undefined, updatedAt: Date.now() }
      })
    })
    return () => controller.abort()
  }, [api, key, range, rangeMs, step, tick])

  const every = Math.min(60_000, Math.max(10_000, step))
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), every)
    return () => clearInterval(timer)
  }, [every])

  const reload = useCallback(() => setTick((t) => t + 1), [])
  return {
    series: state.series,
    from: state.from,
    to: state.to,
    step,
    error: state.error,
    loading: state.loading,
    updatedAt: state.updatedAt,
    reload,
  }
}

/** A line breaks where its points are further apart than this many expected intervals. */
export const GAP_INTERVALS = 2

/**
 * How far apart a series' points are expected to be: the query step, or the series' usual
 * spacing (the median) when that is longer, as when the agent collects less often than the step.
 */
export function expectedInterval(points: readonly Point[], stepMs = 0): number {
  const gaps: number[] = []
  for (let i = 1; i < points.length; i++) gaps.push(points[i]![0] - points[i - 1]![0])
  gaps.sort((a, b) => a - b)
  const usual = gaps.length > 0 ? gaps[Math.floor((gaps.length - 1) / 2)]! : 0
  return Math.max(stepMs, usual)
}

/**
 * The series cut where nothing was collected (the agent was down, a scrape failed): a new
 * segment starts after a gap longer than {@link GAP_INTERVALS} expected intervals, so a chart
 * draws no line across it. Points that are not numbers are left out.
 *
 * @example
 * ```ts
 * splitAtGaps([[0, 1], [10_000, 2], [120_000, 3]], 10_000) // [[[0, 1], [10_000, 2]], [[120_000, 3]]]
 * ```
 */
export function splitAtGaps(points: readonly Point[], intervalMs: number): Point[][] {
  const segments: Point[][] = []
  let current: Point[] = []
  let last: number | undefined
  for (const point of points) {
    if (!Number.isFinite(point[1])) continue
    if (last !== undefined && intervalMs > 0 && point[0] - last > GAP_INTERVALS * intervalMs) {
      segments.push(current)
      current = []
    }
    current.push(point)
    last = point[0]
  }
  if (current.length > 0) segments.push(current)
  return segments
}

/**
 * The series with a `null` point in the middle of each gap, for a chart that breaks a line at a
 * null value (recharts with `connectNulls={false}`).
 */
export function withGaps(points: readonly Point[], intervalMs: number): Array<[number, number | null]> {
  const out: Array<[number, number | null]> = []
  for (const [i, segment] of splitAtGaps(points, intervalMs).entries()) {
    if (i > 0) out.push([Math.round((out.at(-1)![0] + segment[0]![0]) / 2), null])
    out.push(...segment)
  }
  return out
}
