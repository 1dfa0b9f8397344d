/** Number and time formats shown on the dashboard: always with a unit. */

const dash = '—'

/** `12 ms`, `1.25 s`; a dash when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return dash
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`
}

/** `45.2 %`. */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash
  return `${value.toFixed(digits)} %`
}

/** `12.5 req/s`. */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} req/s`
}

/** `14:03:07` in the viewer's zone. */
export function formatClock(at: number | undefined): string {
  if (at === undefined || !Number.isFinite(at)) return dash
  return new Date(at).toLocaleTimeString([], { hour12: false })
}

/** `2026-11-28 14:03:07` in the viewer's zone. */
export function formatDateTime(at: number | undefined): string {
  if (at === undefined || !Number.isFinite(at)) return dash
  const d = new Date(at)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${formatClock(at)}`
}

/** `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function formatAgo(at: number | undefined, now: number = Date.now()): string {
  if (at === undefined || !Number.isFinite(at)) return 'never'
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86_400)} d ago`
}

/** `1.2 s`, `3 min 4 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return dash
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}

/** The next "nice" bound above `value` (1, 2, 2.5, 5 × 10^n), so chart axes move in steps, not on every sample. */
export function niceCeil(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1
  const exp = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 2.5, 5, 10]) if (value <= m * exp) return m * exp
  return 10 * exp
}

/** A bare measurement at most 4 significant digits long: `0.911`, `1234`, `812.5`. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  return String(Number(value.toPrecision(4)))
}
