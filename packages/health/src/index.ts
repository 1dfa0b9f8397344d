/**
 * @module @noa/health
 * Health checks for noa: a monitor that runs checkers (http/https, tcp, command, process,
 * postgres, redis) with retries, backoff and a concurrency limit, keeps per-service state with
 * thresholds, flapping detection and dependencies, and a /health endpoint helper.
 *
 * The entry holds factories, option and record types. The zod schemas and
 * `parseServiceChecks` are in '@noa/health/config'; the endpoint alone in '@noa/health/endpoint'.
 */

export type { CheckContext, Checker, CheckOutcome, OutcomeState } from './checker.ts'
export type { AmqpCheckOptions } from './checkers/amqp/schema.ts'
export { createCommandChecker } from './checkers/command/command.ts'
export type { CommandCheckOptions } from './checkers/command/schema.ts'
export type { DnsCheckOptions } from './checkers/dns/schema.ts'
export type { GrpcCheckOptions } from './checkers/grpc/schema.ts'
export type { HttpChecker, HttpCheckerOptions } from './checkers/http/http.ts'
export { createHttpChecker } from './checkers/http/http.ts'
export type { HttpCheckInput, HttpCheckOptions } from './checkers/http/schema.ts'
export type { MqttCheckOptions } from './checkers/mqtt/schema.ts'
export type { MysqlCheckOptions } from './checkers/mysql/schema.ts'
export type { NatsCheckOptions } from './checkers/nats/schema.ts'
export { createPostgresChecker } from './checkers/postgres/postgres.ts'
export type { PostgresCheckOptions } from './checkers/postgres/schema.ts'
export { childHandle, createProcessChecker } from './checkers/process/process.ts'
export type { ProcessCheckOptions, ProcessHandle } from './checkers/process/schema.ts'
export type { Beat, ReceivedBeat } from './checkers/push/beats.ts'
export type { PushChecker, PushCheckerOptions, SharedBeats } from './checkers/push/push.ts'
export { beatKey, createPushChecker } from './checkers/push/push.ts'
export type { PushCheckOptions } from './checkers/push/schema.ts'
export { createRedisChecker } from './checkers/redis/redis.ts'
export type { RedisCheckOptions } from './checkers/redis/schema.ts'
export type { CheckInput, CheckOptions, CheckType } from './checkers/schema.ts'
export type { TcpCheckOptions } from './checkers/tcp/schema.ts'
export { createTcpChecker } from './checkers/tcp/tcp.ts'
export type { TlsCheckOptions } from './checkers/tls/schema.ts'
export type { ServiceCheck, ServiceCheckInput } from './config.ts'
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
  HealthMonitor,
  HealthMonitorOptions,
  HealthSummary,
  LateEvent,
  ReportOptions,
  ServiceStatus,
  ServiceUpdate,
} from './monitor.ts'
export { createHealthMonitor } from './monitor.ts'
export { overallStatus } from './overall.ts'
