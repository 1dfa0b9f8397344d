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

/** How a badge looks: its icon, its word and its tone (ok, warn, bad, none). */
export interface BadgeLook {
  icon: string
  label: string
  tone: string
}

/** An icon plus a word, coloured by tone; never colour alone. The one badge of the dashboard. */
export function Badge({
  look,
  prefix,
  data,
}: {
  look: BadgeLook
  prefix?: string
  data?: Record<string, string>
}) {
  const attributes = Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, v]))
  return (
    <span className={`badge tone-${look.tone}`} {...attributes}>
      <span aria-hidden="true" className="badge-icon">
        {look.icon}
      </span>
      {prefix ? `${prefix} ` : ''}
      {look.label}
    </span>
  )
}

/** A state as icon plus word, coloured; never colour alone. */
export function StatusBadge({ state, prefix }: { state: Kind; prefix?: string }) {
  return <Badge look={LOOK[state] ?? LOOK.unknown} data={{ state }} {...(prefix ? { prefix } : {})} />
}
