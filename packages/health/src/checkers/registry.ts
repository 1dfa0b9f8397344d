import type { Checker } from '../checker.ts'
import { createAmqpChecker } from './amqp/amqp.ts'
import { createCommandChecker } from './command/command.ts'
import { createDnsChecker } from './dns/dns.ts'
import { createGrpcChecker } from './grpc/grpc.ts'
import { createHttpChecker } from './http/http.ts'
import { createMqttChecker } from './mqtt/mqtt.ts'
import { createMysqlChecker } from './mysql/mysql.ts'
import { createNatsChecker } from './nats/nats.ts'
import { createPostgresChecker } from './postgres/postgres.ts'
import { createProcessChecker } from './process/process.ts'
import { createPushChecker } from './push/push.ts'
import { createRedisChecker } from './redis/redis.ts'
import type { CheckOptionsByType, CheckType } from './schema.ts'
import { createTcpChecker } from './tcp/tcp.ts'
import { createTlsChecker } from './tls/tls.ts'

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
