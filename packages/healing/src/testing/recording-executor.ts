import type {
  ActionOptions,
  ActionResult,
  Capability,
  Executor,
  ExecutorStatus,
  RollbackTarget,
} from '../executor.ts'

/** One call made to a {@link RecordingExecutor}. */
export interface RecordedCall {
  service: string
  action: string
  env?: Record<string, string>
  delta?: number
  target?: RollbackTarget
}

/**
 * A test double: an executor that records what it was asked to do, in one shared log
 * when several services share it, and answers `ok` unless told otherwise.
 */
export function recordingExecutor(
  service: string,
  log: RecordedCall[],
  opts: {
    capabilities?: Capability[]
    fail?: Partial<Record<Capability, string>>
    replicas?: number
    onAction?: (action: Capability) => void
  } = {},
): Executor {
  let replicas = opts.replicas ?? 1
  const result = (action: Capability): ActionResult => {
    opts.onAction?.(action)
    const error = opts.fail?.[action]
    return error ? { ok: false, error, retryable: false } : { ok: true, output: `${action} ${service}` }
  }
  const record = (action: string, o?: ActionOptions, extra: Partial<RecordedCall> = {}) => {
    const call: RecordedCall = { service, action, ...extra }
    if (o?.env) call.env = o.env
    log.push(call)
  }
  const caps = opts.capabilities ?? ['start', 'stop', 'restart', 'scale', 'rollback', 'status']
  const ex: Executor = { type: 'recording', capabilities: caps }
  if (caps.includes('start'))
    ex.start = async (o) => {
      record('start', o)
      return result('start')
    }
  if (caps.includes('stop'))
    ex.stop = async (o) => {
      record('stop', o)
      return result('stop')
    }
  if (caps.includes('restart'))
    ex.restart = async (o) => {
      record('restart', o)
      return result('restart')
    }
  if (caps.includes('scale'))
    ex.scale = async (delta, o): Promise<ExecutorStatus> => {
      record('scale', o, { delta })
      const r = result('scale')
      if (!r.ok) return r
      if (o?.max !== undefined && replicas + delta > o.max)
        return { ok: false, error: `at max ${o.max}`, replicas }
      replicas += delta
      return { ...r, replicas }
    }
  if (caps.includes('rollback'))
    ex.rollback = async (target, o) => {
      record('rollback', o, { target })
      return result('rollback')
    }
  return ex
}
