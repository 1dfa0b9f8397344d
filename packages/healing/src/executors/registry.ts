import type { Clock, Logger } from '@noa/core'
import { z } from 'zod'
import type { Executor } from '../executor.ts'
import {
  commandExecutorSchema,
  createCommandExecutor,
  createDockerExecutor,
  createSystemdExecutor,
  dockerExecutorSchema,
  systemdExecutorSchema,
} from './command/command.ts'
import { createHttpExecutor, httpExecutorSchema } from './http/http.ts'
import { createKubernetesExecutor, kubernetesExecutorSchema } from './kubernetes/kubernetes.ts'
import { createLocalExecutor, localExecutorSchema } from './local/local.ts'
import { createPm2Executor, pm2ExecutorSchema } from './pm2/pm2.ts'

/** Any executor's options, told apart by `type`. */
export const executorSchema = z.discriminatedUnion('type', [
  // Strict here until local.ts declares its own options strict (a key it does not know is a typo).
  localExecutorSchema,
  pm2ExecutorSchema,
  kubernetesExecutorSchema,
  commandExecutorSchema,
  systemdExecutorSchema,
  dockerExecutorSchema,
  httpExecutorSchema,
])

/** Any executor's options as written. */
export type ExecutorConfig = z.input<typeof executorSchema>
type Resolved = z.output<typeof executorSchema>
/** An executor type name. */
export type ExecutorType = Resolved['type']

/** What an executor factory gets besides its options. */
export interface ExecutorDeps {
  service: string
  clock: Clock
  /**
   * Where the local supervisor records the processes it runs (`<baseDir>/run/services` in
   * the agent), so that a restarted agent adopts them instead of starting second copies.
   * Without it nothing is recorded. Other executors ignore it.
   */
  runDir?: string
  /** Where an executor reports what would otherwise go unseen (a failing event listener). */
  logger?: Logger
}

type Factory<T extends ExecutorType> = (
  options: Extract<Resolved, { type: T }>,
  deps: ExecutorDeps,
) => Executor

/** Executor factories by type; a new type without a factory fails to compile. */
export const executorFactories = {
  local: (o, d) => createLocalExecutor(o, d),
  pm2: (o) => createPm2Executor(o),
  kubernetes: (o) => createKubernetesExecutor(o),
  command: (o) => createCommandExecutor(o),
  systemd: (o) => createSystemdExecutor(o),
  docker: (o) => createDockerExecutor(o),
  http: (o) => createHttpExecutor(o),
} satisfies { [T in ExecutorType]: Factory<T> }

/** Builds an executor from validated options. */
export function buildExecutor(options: Resolved, deps: ExecutorDeps): Executor {
  const factory = executorFactories[options.type] as Factory<ExecutorType>
  return factory(options, deps)
}
