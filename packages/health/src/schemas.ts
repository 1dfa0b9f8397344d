/**
 * @module @noa/health/config
 * The zod schemas of health checks, for a program that validates its own configuration file
 * with them (the noa agent composes them into its schema), and `parseServiceChecks`, which
 * validates a list of services as the monitor does. Kept out of the main entry: an option
 * object typed in TypeScript needs none of this.
 */

export type { AmqpCheckOptions } from './checkers/amqp/schema.ts'
export { amqpCheckSchema } from './checkers/amqp/schema.ts'
export type { CommandCheckOptions } from './checkers/command/schema.ts'
export { commandCheckSchema } from './checkers/command/schema.ts'
export type { DnsCheckOptions } from './checkers/dns/schema.ts'
export { dnsCheckSchema } from './checkers/dns/schema.ts'
export type { GrpcCheckOptions } from './checkers/grpc/schema.ts'
export { grpcCheckSchema } from './checkers/grpc/schema.ts'
export type { HttpCheckInput, HttpCheckOptions } from './checkers/http/schema.ts'
export {
  httpCheckSchema,
  httpsCheckSchema,
  jsonConditionSchema,
  statusSpecSchema,
} from './checkers/http/schema.ts'
export type { MqttCheckOptions } from './checkers/mqtt/schema.ts'
export { mqttCheckSchema } from './checkers/mqtt/schema.ts'
export type { MysqlCheckOptions } from './checkers/mysql/schema.ts'
export { mysqlCheckSchema } from './checkers/mysql/schema.ts'
export type { NatsCheckOptions } from './checkers/nats/schema.ts'
export { natsCheckSchema } from './checkers/nats/schema.ts'
export type { PostgresCheckOptions } from './checkers/postgres/schema.ts'
export { postgresCheckSchema } from './checkers/postgres/schema.ts'
export type { ProcessCheckOptions } from './checkers/process/schema.ts'
export { processCheckSchema } from './checkers/process/schema.ts'
export type { PushCheckOptions } from './checkers/push/schema.ts'
export { pushCheckSchema } from './checkers/push/schema.ts'
export type { RedisCheckOptions } from './checkers/redis/schema.ts'
export { redisCheckSchema } from './checkers/redis/schema.ts'
export type { CheckInput, CheckOptions, CheckType } from './checkers/schema.ts'
export { CHECK_TYPES, checkSchema } from './checkers/schema.ts'
export type { TcpCheckOptions } from './checkers/tcp/schema.ts'
export { tcpCheckSchema } from './checkers/tcp/schema.ts'
export type { TlsCheckOptions } from './checkers/tls/schema.ts'
export { tlsCheckSchema } from './checkers/tls/schema.ts'
export type { ServiceCheck, ServiceCheckInput } from './config.ts'
export {
  conditionSchema,
  flappingSchema,
  monitorSettingsSchema,
  parseServiceChecks,
  retryBackoffSchema,
  SERVICE_NAME,
  serviceCheckSchema,
} from './config.ts'
