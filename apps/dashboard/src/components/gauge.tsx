import { formatPercent } from '../format.ts'
import { StaleMark } from './stale-mark.tsx'

/** Options of {@link Gauge}. */
export interface GaugeProps {
  label: string
  /** Percent, 0-100; null or undefined when not known. */
  value: number | null | undefined
  /** Above this the gauge turns amber. @default 70 */
  warnAt?: number
  /** Above this the gauge turns red. @default 90 */
  criticalAt?: number
  /** When the value was collected and how often it is (ms): an older value is marked stale. */
  at?: number | undefined
  intervalMs?: number | undefined
  /** @default Date.now() */
  now?: number
}

const R = 40
const ARC = Math.PI * R

/** A half-circle percent gauge; the arc moves smoothly to each new value (CSS transition). */
export function Gauge({ label, value, warnAt = 70, criticalAt = 90, ...age }: GaugeProps) {
  const known = value !== null && value !== undefined && Number.isFinite(value)
  const pct = known ? Math.min(100, Math.max(0, value)) : 0
  const level = !known ? 'none' : pct >= criticalAt ? 'bad' : pct >= warnAt ? 'warn' : 'ok'
  const levelText = { none: 'no data', ok: 'normal', warn: 'high', bad: 'critical' }[level]
  const id = `gauge-${label.toLowerCase().replace(/\W+/g, '-')}`
  return (
    <figure className="gauge" data-testid={id}>
      <meter
        className="sr-only"
        aria-labelledby={`${id}-label`}
        min={0}
        max={100}
        low={warnAt}
        high={criticalAt}
        optimum={0}
        value={known ? Math.round(pct * 10) / 10 : undefined}
        aria-valuetext={known ? `${formatPercent(pct)}, ${levelText}` : 'no data'}
      />
      <div aria-hidden="true">
        <svg viewBox="0 0 100 56" className="gauge-svg" aria-hidden="true">
          <path d="M10 50 A40 40 0 0 1 90 50" className="gauge-track" />
          <path
            d="M10 50 A40 40 0 0 1 90 50"
            className={`gauge-arc tone-stroke-${level}`}
            strokeDasharray={ARC}
            strokeDashoffset={ARC * (1 - pct / 100)}
          />
        </svg>
        <div className="gauge-value">{formatPercent(known ? pct : undefined)}</div>
      </div>
      <figcaption id={`${id}-label`}>
        {label} <span className={`gauge-level tone-${level}`}>{levelText}</span>
        {known ? <StaleMark at={age.at} intervalMs={age.intervalMs} now={age.now ?? Date.now()} /> : null}
      </figcaption>
    </figure>
  )
}
