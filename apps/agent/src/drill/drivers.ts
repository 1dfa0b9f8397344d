import { badDeploy } from './bad-deploy-fault.ts'
import type { FaultDriver } from './fault.ts'
import { leaderKill } from './leader-kill-fault.ts'
import { memory } from './memory-fault.ts'
import { crash, dependencyDown, flapping, hang } from './process-faults.ts'
import { errors, slow } from './proxy-faults.ts'
import { storeDown } from './store-fault.ts'
import type { DrillFault } from './types.ts'

/**
 * Every fault, made real. The planner refuses a fault without a driver as "not supported yet"
 * (a set of drivers given to it may lack some): a fault is never simulated.
 */
export const FAULT_DRIVERS = {
  crash,
  hang,
  slow,
  errors,
  'dependency-down': dependencyDown,
  memory,
  flapping,
  'bad-deploy': badDeploy,
  'store-down': storeDown,
  'leader-kill': leaderKill,
} satisfies Record<DrillFault, FaultDriver>
