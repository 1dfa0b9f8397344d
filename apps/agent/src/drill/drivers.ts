import { badDeploy } from './bad-deploy-fault.ts'
import type { FaultDriver, SupportedFault } from './fault.ts'
import { leaderKill } from './leader-kill-fault.ts'
import { memory } from './memory-fault.ts'
import { crash, dependencyDown, flapping, hang } from './process-faults.ts'
import { errors, slow } from './proxy-faults.ts'

/**
 * The faults this version makes real. A fault missing here (store-down) is refused as "not supported yet", never simulated.
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
  'leader-kill': leaderKill,
} satisfies Record<SupportedFault, FaultDriver>
