import { z } from 'zod'

/** Options of the `command` checker: an argv run without a shell, healthy on the expected exit code. */
export const commandCheckSchema = z.strictObject({
  type: z.literal('command'),
  /** Program and arguments, e.g. `['pg_isready', '-h', '127.0.0.1']`. Never run through a shell. */
  argv: z.array(z.string()).min(1, 'expected at least the program name'),
  /** Working directory. @default the agent's */
  cwd: z.string().optional(),
  /** Variables added to the agent's environment. */
  env: z.record(z.string(), z.string()).optional(),
  /** Exit codes that count as healthy. @default [0] */
  expectedExitCodes: z.array(z.number().int().min(0).max(255)).min(1).default([0]),
})

export type CommandCheckOptions = z.output<typeof commandCheckSchema>
