/**
 * @module @noa/store/sqlite
 * The embedded default store on one SQLite file (needs the optional peer better-sqlite3@12).
 */
export type { SqliteStoreOptions } from './stores/sqlite/index.ts'
export { createSqliteStore } from './stores/sqlite/index.ts'
export { sqliteOptionsSchema } from './stores/sqlite/options.ts'
