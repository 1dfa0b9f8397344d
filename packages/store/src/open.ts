import type { Logger } from '@noa/core'
import { ConfigError, errorMessage, noopLogger } from '@noa/core'
import { z } from 'zod'
import { StoreError } from './errors.ts'
import type { Store, StoreRecovery, StoreType } from './store.ts'
import { createMemoryStore, type MemoryStoreOptions } from './stores/memory/index.ts'
import { memoryOptionsSchema } from './stores/memory/options.ts'
import type { PostgresStoreOptions } from './stores/postgres/index.ts'
import { postgresOptionsBaseSchema, resolvePostgresOptions } from './stores/postgres/options.ts'
import type { SqliteStoreOptions } from './stores/sqlite/index.ts'
import { resolveSqliteOptions, sqliteOptionsSchema } from './stores/sqlite/options.ts'

/** The `store` section of the configuration: a backend `type` and its options. */
export type StoreConfig =
  | ({ type: 'memory' } & MemoryStoreOptions)
  | ({ type: 'sqlite' } & SqliteStoreOptions)
  | ({ type: 'postgres' } & PostgresStoreOptions)

/**
 * The zod schema of {@link StoreConfig} (without runtime objects such as a pool), for
 * the agent's configuration schema.
 */
export const storeConfigSchema = z.discriminatedUnion('type', [
  memoryOptionsSchema.extend({ type: z.literal('memory') }),
  sqliteOptionsSchema.extend({ type: z.literal('sqlite') }),
  // A pool is a runtime object, not configuration (and has no JSON Schema).
  postgresOptionsBaseSchema.omit({ pool: true }).extend({ type: z.literal('postgres') }),
])

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * When the configured store cannot be opened (unwritable path, database down), open a
   * memory store instead so the agent keeps running on a recent window. @default false
   */
  fallbackToMemory?: boolean
  /** Options of the fallback memory store. @default a window of 8640 points per series (a day at 10 s) */
  fallback?: MemoryStoreOptions
  /** Called with the error when the fallback is used. */
  onFallback?: (error: StoreError) => void
  /**
   * Called once when a sqlite store's file failed its integrity check at open and was
   * moved aside for a new, empty store; the agent raises an alert with `error.message`.
   */
  onRecovered?: (recovery: StoreRecovery) => void
  /** @default noopLogger */
  logger?: Logger
}

/** One backend: its options validated (no client loaded), then opened (its client imported only now). */
interface Backend<Config, Resolved> {
  resolve(config: Config, options: OpenStoreOptions): Resolved
  open(resolved: Resolved): Promise<Store>
}
const backend = <C, R>(b: Backend<C, R>) => b

const backends = {
  memory: backend({
    resolve: (config: MemoryStoreOptions) => config,
    open: async (config) => createMemoryStore(config),
  }),
  sqlite: backend({
    resolve: (config: SqliteStoreOptions, options) =>
      resolveSqliteOptions({ ...config, onRecovered: options.onRecovered ?? config.onRecovered }),
    open: async (resolved) => (await import('./stores/sqlite/index.ts')).openSqliteStore(resolved),
  }),
  postgres: backend({
    resolve: (config: PostgresStoreOptions) => resolvePostgresOptions(config),
    open: async (resolved) => (await import('./stores/postgres/index.ts')).openPostgresStore(resolved),
  }),
} satisfies Record<StoreType, object>

/**
 * Opens the store a configuration names, loading only that backend's client.
 *
 * @example
 * ```ts
 * import { openStore } from '@noa/store'
 * const store = await openStore({ type: 'sqlite', path: 'data/noa.db' }, { fallbackToMemory: true })
 * ```
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  const type = (config as { type?: unknown })?.type
  if (typeof type !== 'string' || !Object.hasOwn(backends, type))
    throw new ConfigError([
      {
        path: 'store.type',
        message: `must be one of ${Object.keys(backends).join(', ')}; found ${JSON.stringify(type) ?? 'nothing'}`,
      },
    ])
  const { type: _type, ...rest } = config
  const chosen = backends[type as StoreType] as Backend<typeof rest, unknown>
  // Options are validated here, once, before any client is loaded: a ConfigError never falls back.
  const resolved = chosen.resolve(rest, options)
  try {
    return await chosen.open(resolved)
  } catch (error) {
    if (!options.fallbackToMemory || error instanceof ConfigError) throw error
    const storeError =
      error instanceof StoreError ? error : new StoreError(errorMessage(error), { cause: error })
    ;(options.logger ?? noopLogger).error('store unavailable; running on an in-memory recent window', {
      type,
      path: storeError.path,
      error: storeError.message,
    })
    options.onFallback?.(storeError)
    return createMemoryStore({ maxPointsPerSeries: 8640, ...options.fallback })
  }
}
