import { z } from 'zod'

/** The `incidents` section: how incidents group a service's faults and how much each keeps. */
export const incidentsSchema = z
  .strictObject({
    /**
     * A service that leaves healthy again this soon (ms) after its incident resolved continues
     * that incident instead of opening another (flapping is one incident). @default 300000
     */
    reopenWindow: z.number().int().min(0).max(86_400_000).default(300_000),
    /**
     * Timeline entries kept per incident: the first and the latest, the others counted by one
     * `N events elided` entry; a person may add half as many notes. @default 200
     */
    maxEvents: z.number().int().min(10).max(1000).default(200),
    /** Incidents open at once; more are not opened (counted and logged). @default 1000 */
    maxOpen: z.number().int().min(1).max(100_000).default(1000),
  })
  .prefault({})
