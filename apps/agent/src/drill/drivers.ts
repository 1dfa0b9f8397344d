import { badDeploy } from './bad-deploy-fault.ts'
import type { FaultDriver, SupportedFault } from './fault.ts'
import { memory } from './memory-fault.ts'
import { crash, dependencyDown, flapping, hang } from './process-faults.ts'
import { errors, slow } from './proxy-faults.ts'
import { storeDown } from './store-fault.ts'

/**
 * The faults this version makes real. A fault missing here (leader-kill) is refused as "not supported yet", never simulated.
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
} satisfies Record<SupportedFault, FaultDriver>
