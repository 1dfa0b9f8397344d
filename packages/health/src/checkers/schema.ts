import { z } from 'zod'
import { type AmqpCheckOptions, amqpCheckSchema } from './amqp/schema.ts'
import { type CommandCheckOptions, commandCheckSchema } from './command/schema.ts'
import { type DnsCheckOptions, dnsCheckSchema } from './dns/schema.ts'
import { type GrpcCheckOptions, grpcCheckSchema } from './grpc/schema.ts'
import { type HttpCheckOptions, httpCheckSchema, httpsCheckSchema } from './http/schema.ts'
import { type MqttCheckOptions, mqttCheckSchema } from './mqtt/schema.ts'
import { type MysqlCheckOptions, mysqlCheckSchema } from './mysql/schema.ts'
import { type NatsCheckOptions, natsCheckSchema } from './nats/schema.ts'
import { type PostgresCheckOptions, postgresCheckSchema } from './postgres/schema.ts'
import { type ProcessCheckOptions, processCheckSchema } from './process/schema.ts'
import { type PushCheckOptions, pushCheckSchema } from './push/schema.ts'
import { type RedisCheckOptions, redisCheckSchema } from './redis/schema.ts'
import { type TcpCheckOptions, tcpCheckSchema } from './tcp/schema.ts'
import { type TlsCheckOptions, tlsCheckSchema } from './tls/schema.ts'

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

/** The known checker types, in the order of {@link checkSchema}. */
export const CHECK_TYPES: readonly CheckType[] = checkSchema.options.map((o) => o.shape.type.value)
