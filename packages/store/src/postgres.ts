/**
 * @module @noa/store/postgres
 * The store for several agents sharing one PostgreSQL (needs the optional peer pg@8).
 */
export type { PgClientLike, PgPoolLike, PostgresStoreOptions } from './stores/postgres/index.ts'
export { createPostgresStore } from './stores/postgres/index.ts'
export { postgresOptionsSchema, SCHEMA_NAME } from './stores/postgres/options.ts'
