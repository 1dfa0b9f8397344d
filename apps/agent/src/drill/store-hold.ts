import { isAbsolute, resolve } from 'node:path'
import type { AgentConfig } from '../config/schema.ts'

/** The agent's store held from outside by the drill: its writes fail until `release`. */
export interface StoreHold {
  /** What is held, for the restorer and the result (no path, no credentials). */
  what: string
  /** Lets the agent write again (once; later calls do nothing). */
  release(): Promise<void>
}

/** The agent's store settings, as its config holds them. */
export type StoreSettings = AgentConfig['store']

/** How long the drill waits for the lock itself, when the agent is writing as it asks. */
const TAKE_LOCK_MS = 10_000

/** Why the agent's store cannot be held from outside; undefined when it can. */
export function unholdable(store: StoreSettings): string | undefined {
  if (store.type === 'memory')
    return 'its store is in memory (store.type "memory"): there is no store to take down'
  if (store.type === 'sqlite' && store.path === ':memory:')
    return 'its SQLite store is in memory (store.path ":memory:"): no other connection can lock it'
  if (store.type === 'postgres' && store.connectionString === undefined)
    return 'its PostgreSQL store has no connectionString the drill can connect with'
  return undefined
}

/**
 * Takes the agent's store away the way another program does to its users, and only for as long
 * as the drill holds it:
 *
 * - SQLite: a connection of the drill holds the write lock of the file (`BEGIN EXCLUSIVE`); in
 *   WAL mode readers still read, and each write of the agent fails as "database is locked" once
 *   its busy timeout (store.busyTimeoutMs) is over.
 * - PostgreSQL: a connection holds EXCLUSIVE locks on every table of noa's schema in an open
 *   transaction; plain reads still answer, and each write of the agent waits until its query
 *   timeout (store.queryTimeoutMs) and fails as a connection that does not answer.
 *
 * Released by `release` (ROLLBACK, the connection closed), and by the operating system or the
 * server if the drill's process dies: nothing outlives the drill.
 */
export async function holdStore(store: StoreSettings, baseDir: string): Promise<StoreHold> {
  const why = unholdable(store)
  if (why) throw new Error(why)
  if (store.type === 'sqlite') {
    const path = isAbsolute(store.path) ? store.path : resolve(baseDir, store.path)
    const Driver = (await import('better-sqlite3')).default
    const db = new Driver(path, { timeout: TAKE_LOCK_MS, fileMustExist: true })
    try {
      db.exec('BEGIN EXCLUSIVE')
    } catch (error) {
      db.close()
      throw error
    }
    let held = true
    return {
      what: 'the write lock of its SQLite file',
      async release() {
        if (!held) return
        held = false
        try {
          db.exec('ROLLBACK')
        } finally {
          db.close()
        }
      },
    }
  }
  if (store.type === 'postgres') {
    const schema = store.schema ?? 'noa'
    const pg = (await import('pg')).default
    const client = new pg.Client({
      connectionString: store.connectionString,
      connectionTimeoutMillis: TAKE_LOCK_MS,
      application_name: 'noa drill store-down',
    })
    // a connection the server ends while held must not end the drill's process
    client.on('error', () => undefined)
    await client.connect()
    try {
      const tables = await client.query<{ name: string }>(
        'SELECT quote_ident(schemaname) || $2 || quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = $1',
        [schema, '.'],
      )
      if (tables.rows.length === 0) throw new Error(`no table in the PostgreSQL schema ${schema}`)
      await client.query(`SET lock_timeout = ${TAKE_LOCK_MS}`)
      await client.query('BEGIN')
      await client.query(`LOCK TABLE ${tables.rows.map((t) => t.name).join(', ')} IN EXCLUSIVE MODE`)
    } catch (error) {
      await client.end().catch(() => undefined)
      throw error
    }
    let held = true
    return {
      what: `the tables of its PostgreSQL schema ${schema} (EXCLUSIVE locks)`,
      async release() {
        if (!held) return
        held = false
        try {
          await client.query('ROLLBACK')
        } finally {
          await client.end()
        }
      },
    }
  }
  throw new Error(`store type ${JSON.stringify((store as { type: string }).type)}: cannot be held`)
}
