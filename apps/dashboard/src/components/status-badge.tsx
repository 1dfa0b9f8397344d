import type { HealthState, OverallStatus } from '../data/types.ts'

type Kind = HealthState | OverallStatus

const LOOK: Record<Kind, { icon: string; label: string; tone: string }> = {
  healthy: { icon: '✓', label: 'Healthy', tone: 'ok' },
  degraded: { icon: '!', label: 'Degraded', tone: 'warn' },
  unhealthy: { icon: '✕', label: 'Unhealthy', tone: 'bad' },
  error: { icon: '✕', label: 'Error', tone: 'bad' },
  unknown: { icon: '?', label: 'Unknown', tone: 'none' },
}

/** The tone class of a state: ok, warn, bad or none (for borders and fills). */
export function toneOf(state: Kind): string {
  return (LOOK[state] ?? LOOK.unknown).tone
}

/** A state as icon plus word, coloured; never colour alone. */
export function StatusBadge({ state, prefix }: { state: Kind; prefix?: string }) {
  const look = LOOK[state] ?? LOOK.unknown
  return (
    <span className={`badge tone-${look.tone}`} data-state={state}>
      <span aria-hidden="true" className="badge-icon">
        {look.icon}
      </span>
      {prefix ? `${prefix} ` : ''}
      {look.label}
    </span>
  )
}
