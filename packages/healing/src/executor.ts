/**
 * The Executor interface: how noa acts on a service (start, stop, restart, scale,
 * rollback, status). Each adapter declares which of these it can do.
 */

/** An action an executor can take. */
export type Capability = 'start' | 'stop' | 'restart' | 'scale' | 'rollback' | 'status'

/** Every {@link Capability}. */
export const CAPABILITIES = [
  'start',
  'stop',
  'restart',
  'scale',
  'rollback',
  'status',
] as const satisfies readonly Capability[]

/** The result of one executor action; a failure says whether trying again may help. */
export interface ActionResult {
  ok: boolean
  /** What the action printed or answered, trimmed. */
  output?: string
  /** Why it failed. */
  error?: string
  /** True when the same action may succeed later (a timeout, a 409), false when it cannot (403, no such command). */
  retryable?: boolean
}

/** What an executor knows about its service. */
export interface ExecutorStatus extends ActionResult {
  running?: boolean
  pid?: number
  /** Current replicas or instances, for executors that scale. */
  replicas?: number
  /** Restarts the executor has counted. */
  restarts?: number
}

/** Options passed to every action. */
export interface ActionOptions {
  signal?: AbortSignal
  /** Extra environment for the (re)started service, e.g. a read-only flag. */
  env?: Record<string, string>
}

/** The version to roll back to: a git ref or tag, a container image, or the previous revision. */
export interface RollbackTarget {
  /** A git ref or tag, or an image reference. */
  version?: string
  /** Kubernetes revision to return to; the previous one when absent. */
  revision?: number
}

/**
 * Acts on one service. Every action is optional and listed in `capabilities`; actions
 * return results and never throw for an expected failure.
 *
 * @example
 * ```ts
 * const executor = createExecutor({ type: 'command', restart: ['systemctl', 'restart', 'api'] }, deps)
 * if (executor.capabilities.includes('restart')) await executor.restart?.({})
 * ```
 */
export interface Executor {
  readonly type: string
  readonly capabilities: readonly Capability[]
  start?(options?: ActionOptions): Promise<ActionResult>
  stop?(options?: ActionOptions): Promise<ActionResult>
  restart?(options?: ActionOptions): Promise<ActionResult>
  /** Changes the replica count by `delta` (e.g. +1); the result's output names the new count. */
  scale?(delta: number, options?: ActionOptions & { max?: number }): Promise<ExecutorStatus>
  rollback?(target: RollbackTarget, options?: ActionOptions): Promise<ActionResult>
  status?(options?: ActionOptions): Promise<ExecutorStatus>
  /** Releases what the executor holds (connections, child processes). */
  close?(): Promise<void>
}

/** Builds an ActionResult for a failure. */
export function failed(error: string, retryable = false, output?: string): ActionResult {
  return output === undefined ? { ok: false, error, retryable } : { ok: false, error, retryable, output }
}

/** Caps captured output so a chatty command cannot bloat the audit. */
export function trimOutput(text: string, max = 4000): string {
  const t = text.trim()
  return t.length > max ? `${t.slice(0, max)}…` : t
}
