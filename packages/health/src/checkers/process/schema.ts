import { z } from 'zod'

/**
 * A supervised process as a supervisor sees it. `isAlive` answers a check; an `exit` event,
 * when the handle has `on`, makes the monitor see the exit at once instead of at the next interval.
 */
export interface ProcessHandle {
  isAlive(): boolean
  /** The current pid, shown in results. */
  readonly pid?: number | undefined
  on?(event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown
  off?(event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown
}

const handleSchema = z.custom<ProcessHandle>(
  (v) => typeof v === 'object' && v !== null && typeof (v as ProcessHandle).isAlive === 'function',
  'expected a process handle with isAlive()',
)

/** Options of the `process` checker: a pid, or a supervised process handle. */
export const processCheckSchema = z
  .strictObject({
    type: z.literal('process'),
    /** A process id; alive while `kill(pid, 0)` finds it. */
    pid: z.number().int().positive().optional(),
    /** A supervisor's handle (see {@link ProcessHandle}). */
    handle: handleSchema.optional(),
  })
  .refine((o) => (o.pid === undefined) !== (o.handle === undefined), {
    message: 'expected exactly one of pid or handle',
    path: ['pid'],
  })

export type ProcessCheckOptions = z.output<typeof processCheckSchema>
