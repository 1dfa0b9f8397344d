/**
 * @module @noa/health
 * Health checks for noa: checkers (http/https, tcp, command, process, postgres, redis), a
 * monitor that schedules them with retries, backoff and a concurrency limit, per-service
 * state with thresholds, flapping detection and dependencies, and a /health endpoint helper.
 */

export type { CheckContext, Checker, CheckOutcome, OutcomeState } from './checker.ts'
export { errorOutcome } from './checker.ts'
export type { AmqpCheckOptions } from './checkers/amqp/schema.ts'
export { createCommandChecker } from './checkers/command/command.ts'
export type { CommandCheckOptions } from './checkers/command/schema.ts'
export { commandCheckSchema } from './checkers/command/schema.ts'
export type { HttpChecker, HttpCheckerOptions } from './checkers/http/http.ts'
export { createHttpChecker } from './checkers/http/http.ts'
export type { HttpCheckInput, HttpCheckOptions } from './checkers/http/schema.ts'
export {
  httpCheckSchema,
  httpsCheckSchema,
  jsonConditionSchema,
  statusSpecSchema,
} from './checkers/http/schema.ts'
export type { MqttCheckOptions } from './checkers/mqtt/schema.ts'
export type { MysqlCheckOptions } from './checkers/mysql/schema.ts'
export type { NatsCheckOptions } from './checkers/nats/schema.ts'
export { createPostgresChecker } from './checkers/postgres/postgres.ts'
export type { PostgresCheckOptions } from './checkers/postgres/schema.ts'
export { postgresCheckSchema } from './checkers/postgres/schema.ts'
export { childHandle, createProcessChecker, pidAlive } from './checkers/process/process.ts'
export type { ProcessCheckOptions, ProcessHandle } from './checkers/process/schema.ts'
export { processCheckSchema } from './checkers/process/schema.ts'
export { createRedisChecker } from './checkers/redis/redis.ts'
export type { RedisCheckOptions } from './checkers/redis/schema.ts'
export { redisCheckSchema } from './checkers/redis/schema.ts'
export type {
  CheckerFactory,
  CheckInput,
  CheckOptions,
  CheckOptionsByType,
  CheckType,
} from './checkers/registry.ts'
export { CHECK_TYPES, checkerRegistry, checkSchema } from './checkers/registry.ts'
export type { TcpCheckOptions } from './checkers/tcp/schema.ts'
export { tcpCheckSchema } from './checkers/tcp/schema.ts'
export { createTcpChecker } from './checkers/tcp/tcp.ts'
export type { ServiceCheck, ServiceCheckInput } from './config.ts'
export {
  flappingSchema,
  parseServiceChecks,
  retryBackoffSchema,
  SERVICE_NAME,
  serviceCheckSchema,
} from './config.ts'
export type {
  ComponentCheck,
  ComponentReport,
  ComponentResult,
  HealthAnswer,
  HealthEndpoint,
  HealthEndpointOptions,
  HealthReport,
  ProbeKind,
  RouteTarget,
} from './endpoint.ts'
export { createHealthEndpoint } from './endpoint.ts'
export type {
  FlappingEvent,
  HealthChange,
  HealthEvents,
  HealthMonitorOptions,
  HealthSummary,
  ReportOptions,
  ServiceStatus,
} from './monitor.ts'
export { createHealthMonitor, HealthMonitor, monitorSettingsSchema } from './monitor.ts'
export { overallStatus } from './overall.ts'
export type { StateMachineOptions, Transition } from './state.ts'
export { ServiceStateMachine } from './state.ts'
