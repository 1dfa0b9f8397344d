import type { DrillRecord, DrillResultRecord } from '@noa/store'

export type { DrillOutcome } from '@noa/store'

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

/** One fault injected into one service, and what noa did about it: the store's record, with the fault typed. */
export interface DrillResult extends DrillResultRecord {
  fault: DrillFault
}

/** One `noa drill` run as the agent keeps it: its id, start and end (epoch ms) and every result. */
export interface DrillRun extends DrillRecord {
  results: DrillResult[]
  /** The name of the token that recorded the run (`POST /api/drills`). */
  recordedBy?: string
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
