/** A fault a drill injects into a service. */
export type DrillFault =
  | 'crash'
  | 'hang'
  | 'slow'
  | 'errors'
  | 'dependency-down'
  | 'memory'
  | 'flapping'
  | 'bad-deploy'
  | 'store-down'
  | 'leader-kill'

/** How a drill ended: healed, escalated to a person as it should be, or failed. */
export type DrillOutcome = 'healed' | 'escalated' | 'failed'

/** One fault injected into one service, and what noa did about it (times in ms from the fault). */
export interface DrillResult {
  fault: DrillFault
  service: string
  outcome: DrillOutcome
  detectMs: number | null
  alertMs: number | null
  repairMs: number | null
  actions: string[]
  doubleActions: number
  falseAlerts: number
  round: number
  detail?: string
}

/** One `noa drill` run as the agent keeps it: its id, start and end (epoch ms) and every result. */
export interface DrillRun {
  id: string
  startedAt: number
  finishedAt: number
  results: DrillResult[]
}

/** Every fault name, in the order of {@link DrillFault}. */
export const DRILL_FAULTS: readonly DrillFault[] = [
  'crash',
  'hang',
  'slow',
  'errors',
  'dependency-down',
  'memory',
  'flapping',
  'bad-deploy',
  'store-down',
  'leader-kill',
]
