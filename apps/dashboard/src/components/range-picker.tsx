import type { RangeKey } from '../data/metrics.ts'
import { RANGES } from '../data/metrics.ts'

/** The time range of the charts: 15 min, 1 h, 24 h, 7 d, 30 d. */
export function RangePicker({ value, onChange }: { value: RangeKey; onChange: (range: RangeKey) => void }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a row of toggle buttons reads better than a fieldset here
    <div className="range-picker" role="group" aria-label="Time range">
      {(Object.keys(RANGES) as RangeKey[]).map((key) => (
        <button
          key={key}
          type="button"
          aria-pressed={key === value}
          className={key === value ? 'btn btn-on' : 'btn'}
          onClick={() => onChange(key)}
        >
          {RANGES[key].label}
        </button>
      ))}
    </div>
  )
}
