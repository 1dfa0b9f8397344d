/**
 * @module @noa/healing
 * The self-healing engine of noa: strategies chosen by trigger, executors that act on
 * services, guards that keep healing from making things worse, approvals and an audit.
 */

export type { HookAction } from './actions.ts'
export { hookActionSchema } from './actions.ts'
export type {
  CloseOptions,
  HealingEngine,
  HealingEngineOptions,
  HealingEvents,
  HealOptions,
} from './engine.ts'
export { createHealingEngine } from './engine.ts'
export type {
  ActionOptions,
  ActionResult,
  Capability,
  Executor,
  ExecutorStatus,
  RollbackTarget,
} from './executor.ts'
export { CAPABILITIES } from './executor.ts'
export type { CommandExecutorOptions } from './executors/command/command.ts'
export {
  commandExecutorSchema,
  createCommandExecutor,
  createDockerExecutor,
  createSystemdExecutor,
  dockerExecutorSchema,
  systemdExecutorSchema,
} from './executors/command/command.ts'
export type { HttpExecutorOptions } from './executors/http/http.ts'
export { createHttpExecutor, httpCallSchema, httpExecutorSchema } from './executors/http/http.ts'
export type { KubernetesExecutor, KubernetesExecutorOptions } from './executors/kubernetes/kubernetes.ts'
export { createKubernetesExecutor, kubernetesExecutorSchema } from './executors/kubernetes/kubernetes.ts'
export type {
  LocalExecutorOptions,
  LocalSupervisor,
  LocalSupervisorDeps,
  LocalSupervisorEvents,
  ProcessExit,
} from './executors/local/local.ts'
export { createLocalExecutor, localExecutorSchema } from './executors/local/local.ts'
export type { RecordState, RunRecord } from './executors/local/run-record.ts'
export { inspectRecord, readRecord } from './executors/local/run-record.ts'
export type { RecordedStop, StopRecordedOptions } from './executors/local/stop-recorded.ts'
export { stopRecorded } from './executors/local/stop-recorded.ts'
export type { Pm2ExecutorOptions } from './executors/pm2/pm2.ts'
export { createPm2Executor, pm2ExecutorSchema } from './executors/pm2/pm2.ts'
export type { ExecutorConfig, ExecutorDeps, ExecutorType } from './executors/registry.ts'
export { buildExecutor, executorFactories, executorSchema } from './executors/registry.ts'
export type { ServiceGuardState } from './guard-gate.ts'
export type { CircuitCause, GuardSnapshot, GuardVerdict } from './guards.ts'
export type { HttpCall } from './http-request.ts'
export { httpRequest } from './http-request.ts'
export type {
  ResolvedSelfHealing,
  ResolvedServiceHealing,
  SelfHealingConfig,
  ServiceHealingConfig,
} from './options.ts'
export { degradeActionSchema, selfHealingSchema, serviceHealingSchema } from './options.ts'
export { LeaseLostError } from './service-lock.ts'
export type { ServiceChanges } from './service-registry.ts'
export type { StrategyName } from './strategies/registry.ts'
export { defaultTriggers, strategies } from './strategies/registry.ts'
export type {
  ApprovalResult,
  ErrorRateReader,
  HealingEscalation,
  Incident,
  Probe,
  ServiceRuntime,
  Strategy,
  StrategyContext,
} from './strategy.ts'
