import { z } from 'zod'
import { commonOptionsSchema } from '../../options.ts'

/** Options of the memory store (validated by {@link createMemoryStore}). */
export const memoryOptionsSchema = commonOptionsSchema.extend({
  /** Raw points kept per series; the oldest go first. @default 100000 */
  maxPointsPerSeries: z.number().int().min(1).optional(),
  /** Snapshots kept. @default 10000 */
  maxSnapshots: z.number().int().min(1).optional(),
  /** Check results and state changes kept, each. @default 100000 */
  maxCheckResults: z.number().int().min(1).optional(),
  /** Drill runs kept; the one that started first goes first. @default 1000 */
  maxDrills: z.number().int().min(1).optional(),
  /** Maintenance windows kept; the one that ended first goes first. @default 10000 */
  maxMaintenanceWindows: z.number().int().min(1).optional(),
  /** Incidents kept; the oldest resolved one goes first. @default 10000 */
  maxIncidents: z.number().int().min(1).optional(),
})
