import { z } from 'zod'
import type { ActionResult } from './executor.ts'
import { httpCallSchema } from './executors/http/http.ts'
import { httpRequest } from './http-request.ts'
import { runCommand } from './run-command.ts'

/** A configured side action (state hook, read-only switch): a command or an HTTP call. */
export const hookActionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('command'),
    argv: z.array(z.string().min(1)).min(1, 'must name a command: a non-empty argv array'),
    cwd: z.string().optional(),
    /** @default 30000 */
    timeoutMs: z.number().int().positive().default(30_000),
  }),
  httpCallSchema.extend({ type: z.literal('http') }),
])

/** A configured side action. */
export type HookAction = z.output<typeof hookActionSchema>

/** Runs a hook action; never throws. */
export function runHook(action: HookAction, signal?: AbortSignal): Promise<ActionResult> {
  if (action.type === 'command')
    return runCommand(action.argv, {
      timeoutMs: action.timeoutMs,
      ...(signal ? { signal } : {}),
      ...(action.cwd ? { cwd: action.cwd } : {}),
    })
  return httpRequest(action, signal)
}
