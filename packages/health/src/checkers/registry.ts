import { z } from 'zod'
import type { Checker } from '../checker.ts'
import { createAmqpChecker } from './amqp/amqp.ts'
import { type AmqpCheckOptions, amqpCheckSchema } from './amqp/schema.ts'
import { createCommandChecker } from './command/command.ts'
import { type CommandCheckOptions, commandCheckSchema } from './command/schema.ts'
import { createDnsChecker } from './dns/dns.ts'
import { type DnsCheckOptions, dnsCheckSchema } from './dns/schema.ts'
import { createGrpcChecker } from './grpc/grpc.ts'
import { type GrpcCheckOptions, grpcCheckSchema } from './grpc/schema.ts'
import { createHttpChecker } from './http/http.ts'
import { type HttpCheckOptions, httpCheckSchema, httpsCheckSchema } from './http/schema.ts'
import { createMqttChecker } from './mqtt/mqtt.ts'
import { type MqttCheckOptions, mqttCheckSchema } from './mqtt/schema.ts'
import { createMysqlChecker } from './mysql/mysql.ts'
import { type MysqlCheckOptions, mysqlCheckSchema } from './mysql/schema.ts'
import { createNatsChecker } from './nats/nats.ts'
import { type NatsCheckOptions, natsCheckSchema } from './nats/schema.ts'
import { createPostgresChecker } from './postgres/postgres.ts'
import { type PostgresCheckOptions, postgresCheckSchema } from './postgres/schema.ts'
import { createProcessChecker } from './process/process.ts'
import { type ProcessCheckOptions, processCheckSchema } from './process/schema.ts'
import { createPushChecker } from './push/push.ts'
import { type PushCheckOptions, pushCheckSchema } from './push/schema.ts'
import { createRedisChecker } from './redis/redis.ts'
import { type RedisCheckOptions, redisCheckSchema } from './redis/schema.ts'
import { type TcpCheckOptions, tcpCheckSchema } from './tcp/schema.ts'
import { createTcpChecker } from './tcp/tcp.ts'
import { type TlsCheckOptions, tlsCheckSchema } from './tls/schema.ts'
import { createTlsChecker } from './tls/tls.ts'

/**
 * A check's options, selected by `type`: `http`, `https`, `tcp`, `command`, `process`,
 * `postgres`, `redis`, `push`, `tls`, `dns`, `grpc`, `mysql`, `amqp`, `mqtt` or `nats`.
 */
export const checkSchema = z.discriminatedUnion('type', [
  httpCheckSchema,
  httpsCheckSchema,
  tcpCheckSchema,
  commandCheckSchema,
  processCheckSchema,
  postgresCheckSchema,
  redisCheckSchema,
  pushCheckSchema,
  tlsCheckSchema,
  dnsCheckSchema,
  grpcCheckSchema,
  mysqlCheckSchema,
  amqpCheckSchema,
  mqttCheckSchema,
  natsCheckSchema,
])

/** Validated options of any check. */
export type CheckOptions = z.output<typeof checkSchema>
/** Options of any check as written in config (defaults not yet applied). */
export type CheckInput = z.input<typeof checkSchema>
/** The checker types noa knows. */
export type CheckType = CheckOptions['type']

/** Options of each checker type, by type. */
export interface CheckOptionsByType {
  http: HttpCheckOptions
  https: HttpCheckOptions
  tcp: TcpCheckOptions
  command: CommandCheckOptions
  process: ProcessCheckOptions
  postgres: PostgresCheckOptions
  redis: RedisCheckOptions
  push: PushCheckOptions
  tls: TlsCheckOptions
  dns: DnsCheckOptions
  grpc: GrpcCheckOptions
  mysql: MysqlCheckOptions
  amqp: AmqpCheckOptions
  mqtt: MqttCheckOptions
  nats: NatsCheckOptions
}

/** Builds the checker of one type; called once per monitor. */
export type CheckerFactory<T extends CheckType> = () => Checker<CheckOptionsByType[T]>

/** Every checker type with its factory: a type without a factory does not compile. */
export const checkerRegistry = {
  http: createHttpChecker,
  https: createHttpChecker,
  tcp: createTcpChecker,
  command: createCommandChecker,
  process: createProcessChecker,
  postgres: createPostgresChecker,
  redis: createRedisChecker,
  push: createPushChecker,
  tls: createTlsChecker,
  dns: createDnsChecker,
  grpc: createGrpcChecker,
  mysql: createMysqlChecker,
  amqp: createAmqpChecker,
  mqtt: createMqttChecker,
  nats: createNatsChecker,
} satisfies { [T in CheckType]: CheckerFactory<T> }

/** The known checker types, in registry order. */
export const CHECK_TYPES = Object.keys(checkerRegistry) as CheckType[]
