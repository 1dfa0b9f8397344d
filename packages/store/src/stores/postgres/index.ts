import type {
  AlertLog,
  AlertRecord,
  AlertState,
  Approval,
  ApprovalStore,
  CheckResult,
  Delivery,
  HealingAudit,
  HealingRecord,
  LeaseStore,
  MetricSnapshot,
  Outbox,
  Silence,
  SilenceStore,
  StateChange,
  Timer,
} from '@noa/core'
import { createBackoff, errorMessage, noopLogger, systemClock } from '@noa/core'
import type { z } from 'zod'
import { isStoreError, StoreError, StoreUnavailableError } from '../../errors.ts'
import { createHealthTracker } from '../../health.ts'
import { type MaintenanceDriver, runMaintenance } from '../../maintenance.ts'
import { parseOptions, resolveCommon, type StoreRuntime } from '../../options.ts'
import {
  activeAtOf,
  checkResult,
  checkSilence,
  countOf,
  decided,
  limitOf,
  newDeliveries,
  snapshotTime,
} from '../../records.ts'
import {
  canonicalLabels,
  checkSamples,
  queryRange,
  queryRecent,
  type RollupRow,
  type SampleReader,
  selectSeries,
  seriesKey,
} from '../../samples.ts'
import type {
  CheckQuery,
  CheckStore,
  RetentionKind,
  SampleStore,
  Series,
  SnapshotStore,
  Store,
} from '../../store.ts'
import { bindDrills } from './drills.ts'
import { POSTGRES_MIGRATIONS } from './migrations.ts'
import { postgresOptionsSchema } from './options.ts'
import { createScrubber } from './secrets.ts'

type Row = Record<string, unknown>

/** What the store needs of a node-postgres client. */
export interface PgClientLike {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: Row[]; rowCount: number | null }>
  release(error?: Error | boolean): void
}

/** What the store needs of a node-postgres `Pool`, so a pool you own can be passed in. */
export interface PgPoolLike {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: Row[]; rowCount: number | null }>
  connect(): Promise<PgClientLike>
  end(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** Options of {@link createPostgresStore}. */
export type PostgresStoreOptions = Omit<z.input<typeof postgresOptionsSchema>, 'pool'> & {
  pool?: PgPoolLike
} & StoreRuntime

/** Error codes and messages of a connection that is gone or cannot be made. */
function isConnectionError(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '')
  if (/^(08|57P0|53300)/.test(code)) return true
  if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(code)) return true
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    errorMessage(error),
  )
}

/** A buffered write: what to run once PostgreSQL answers again, and how many items it holds. */
interface PendingWrite {
  items: number
  write: (q: Query) => Promise<void>
}
type Query = (text: string, values?: unknown[]) => Promise<Row[]>

/** SQL folding raw values of one step, per aggregation (rate is computed from ordered points). */
const RAW_FOLD = {
  avg: 'sum(value) / count(*)',
  min: 'min(value)',
  max: 'max(value)',
  last: '(array_agg(value ORDER BY ts DESC))[1]',
} as const

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v))
const parseJson = <T>(text: unknown): T => JSON.parse(text as string) as T

/**
 * The store for several agents sharing one PostgreSQL: a pool, the schema created and
 * migrated by the store (numbered migrations in `<schema>.noa_migrations`), the same
 * answers as the sqlite store. While PostgreSQL is unreachable, samples, snapshots and
 * check results are buffered up to `maxBufferedWrites` and retried with backoff (beyond
 * it the oldest are dropped, counted and logged); reads and the ports fail fast with a
 * {@link StoreUnavailableError}. Needs the optional peer `pg`, loaded only here.
 *
 * @example
 * ```ts
 * import { createPostgresStore } from '@noa/store/postgres'
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL, schema: 'noa' })
 * const won = await store.leases.acquireLease('heal:api', 'agent-1', 30_000, Date.now())
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { clock = systemClock, logger = noopLogger, ...rest } = options ?? ({} as PostgresStoreOptions)
  const parsed = parseOptions(postgresOptionsSchema, rest, 'store')
  const common = resolveCommon(parsed)
  const schema = parsed.schema ?? 'noa'
  const S = `"${schema}"`
  const scrub = createScrubber(parsed.connectionString)
  const maxBuffered = parsed.maxBufferedWrites ?? 100_000
  const backoff = createBackoff({
    initialMs: parsed.retryInitialMs ?? 1000,
    maxMs: Math.max(parsed.retryMaxMs ?? 30_000, parsed.retryInitialMs ?? 1000),
  })

  let ownsPool = false
  let pool: PgPoolLike
  if (parsed.pool) pool = parsed.pool as PgPoolLike
  else {
    let pg: typeof import('pg')
    try {
      pg = (await import('pg')).default as unknown as typeof import('pg')
    } catch (cause) {
      throw new StoreError('the postgres store needs pg: install it with `pnpm add pg@^8`', {
        code: 'ERR_STORE_DRIVER',
        cause,
      })
    }
    const bigint = (oid: number, format?: string) =>
      oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')
    pool = new pg.Pool({
      connectionString: parsed.connectionString,
      max: parsed.poolSize ?? 10,
      connectionTimeoutMillis: parsed.connectTimeoutMs ?? 2000,
      query_timeout: parsed.queryTimeoutMs ?? 15_000,
      allowExitOnIdle: true,
      types: { getTypeParser: bigint } as never,
    }) as unknown as PgPoolLike
    ownsPool = true
  }
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would crash the agent.
  const onPoolError = (error: Error) =>
    logger.warn('postgres store: idle connection lost', { error: scrub(errorMessage(error)) })
  pool.on('error', onPoolError)

  const wrap = (what: string, error: unknown): StoreError => {
    if (isStoreError(error)) return error
    const message = scrub(errorMessage(error))
    return isConnectionError(error)
      ? new StoreUnavailableError(
          `${what}: the PostgreSQL store (schema ${schema}) is unreachable: ${message}`,
          error,
        )
      : new StoreError(`${what} failed on the PostgreSQL store (schema ${schema}): ${message}`, {
          cause: error,
        })
  }
  const query: Query = async (text, values) => (await pool.query({ text, values })).rows
  async function tx<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    const q: Query = async (text, values) => (await client.query({ text, values })).rows
    try {
      await q('BEGIN')
      const out = await fn(q)
      await q('COMMIT')
      client.release()
      return out
    } catch (error) {
      await q('ROLLBACK').catch(() => {})
      client.release(isConnectionError(error) ? (error as Error) : undefined)
      throw error
    }
  }

  let closed = false
  const run = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new StoreError(`the PostgreSQL store (schema ${schema}) is closed`)
    try {
      return await fn()
    } catch (error) {
      throw wrap(what, error)
    }
  }
  const health = createHealthTracker(clock)
  /** A write made now (the ports, maintenance): as `run`, and the store's health follows it. */
  const write = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new StoreError(`the PostgreSQL store (schema ${schema}) is closed`)
    try {
      const out = await fn()
      health.succeeded()
      return out
    } catch (error) {
      // Input the store refused (a duplicate approval) says nothing about the database.
      if (isStoreError(error)) throw error
      const failure = wrap(what, error)
      health.failed(failure.message)
      throw failure
    }
  }

  try {
    await tx(async (q) => {
      await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`noa-store:${schema}`])
      await q(`CREATE SCHEMA IF NOT EXISTS ${S}`)
      await q(
        `CREATE TABLE IF NOT EXISTS ${S}.noa_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      )
      const done = new Set((await q(`SELECT id FROM ${S}.noa_migrations`)).map((r) => num(r.id)))
      for (const m of POSTGRES_MIGRATIONS) {
        if (done.has(m.id)) continue
        await q(m.sql.replaceAll('$S', S))
        await q(`INSERT INTO ${S}.noa_migrations (id, name) VALUES ($1, $2)`, [m.id, m.name])
      }
    })
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => {})
    throw wrap('opening', error)
  }

  // ---- the write buffer ----
  const buffer: PendingWrite[] = []
  let buffered = 0
  let dropped = 0
  let attempt = 0
  let timer: Timer | undefined
  let draining: Promise<void> | undefined

  function dropOverflow() {
    let lost = 0
    while (buffered > maxBuffered && buffer.length > 0) {
      const w = buffer.shift() as PendingWrite
      buffered -= w.items
      lost += w.items
    }
    if (lost > 0) {
      dropped += lost
      logger.warn('postgres store: write buffer full, dropped the oldest writes', {
        dropped: lost,
        droppedTotal: dropped,
        buffered,
      })
    }
  }
  function schedule() {
    if (timer || closed) return
    timer = clock.setTimeout(() => {
      timer = undefined
      drain().catch(() => schedule())
    }, backoff.delay(attempt++))
  }
  function drain(): Promise<void> {
    draining ??= (async () => {
      try {
        while (buffer.length > 0) {
          await (buffer[0] as PendingWrite).write(query)
          const w = buffer.shift() as PendingWrite
          buffered -= w.items
          health.succeeded()
        }
        attempt = 0
      } catch (error) {
        health.failed(wrap('writing buffered writes', error).message)
        throw error
      } finally {
        draining = undefined
      }
    })()
    return draining
  }
  /** Writes now, or buffers the write when PostgreSQL cannot be reached (keeping order). */
  async function submit(what: string, items: number, write: (q: Query) => Promise<void>): Promise<void> {
    if (closed) throw new StoreError(`the PostgreSQL store (schema ${schema}) is closed`)
    if (buffer.length === 0 && !draining) {
      try {
        await write(query)
        health.succeeded()
        return
      } catch (error) {
        const failure = wrap(what, error)
        health.failed(failure.message)
        if (!isConnectionError(error)) throw failure
        logger.warn('postgres store unreachable; buffering writes', { error: failure.message })
      }
    }
    buffer.push({ items, write })
    buffered += items
    dropOverflow()
    schedule()
  }

  // ---- samples ----
  const seriesIds = new Map<string, number>()
  async function resolveSeries(
    q: Query,
    batch: readonly { name: string; labels?: Record<string, string> }[],
  ) {
    const keys: string[] = []
    const fresh = new Map<string, { name: string; labels: string }>()
    for (const s of batch) {
      const canonical = canonicalLabels(s.labels)
      const key = seriesKey(s.name, canonical)
      keys.push(key)
      if (!seriesIds.has(key)) fresh.set(key, { name: s.name, labels: JSON.stringify(canonical) })
    }
    if (fresh.size > 0) {
      const ks = [...fresh.keys()]
      await q(
        `INSERT INTO ${S}.series (name, labels, key) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (key) DO NOTHING`,
        [ks.map((k) => fresh.get(k)?.name), ks.map((k) => fresh.get(k)?.labels), ks],
      )
      for (const r of await q(`SELECT id, key FROM ${S}.series WHERE key = ANY($1::text[])`, [ks]))
        seriesIds.set(r.key as string, num(r.id))
    }
    return keys.map((k) => seriesIds.get(k) as number)
  }

  const toSeries = (r: Row): Series => ({
    id: num(r.id),
    name: r.name as string,
    labels: parseJson(r.labels),
  })
  const pairs = (rows: Row[]) => rows.map((r) => [num(r.ts), num(r.value)] as [number, number])
  const toRollup = (r: Row): RollupRow => ({
    bucket: num(r.bucket),
    count: num(r.count),
    sum: num(r.sum),
    min: num(r.min),
    max: num(r.max),
    last: num(r.last),
    increase: num(r.increase),
  })
  const reader: SampleReader = {
    findSeries: async (name) =>
      (name === undefined
        ? await query(`SELECT id, name, labels FROM ${S}.series ORDER BY id`)
        : await query(`SELECT id, name, labels FROM ${S}.series WHERE name = $1 ORDER BY id`, [name])
      ).map(toSeries),
    rawPoints: async (sid, from, to) =>
      pairs(
        await query(
          `SELECT ts, value FROM ${S}.samples WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
          [sid, from, to],
        ),
      ),
    lastRawBefore: async (sid, before) => {
      const [r] = await query(
        `SELECT ts, value FROM ${S}.samples WHERE series_id = $1 AND ts < $2 ORDER BY ts DESC LIMIT 1`,
        [sid, before],
      )
      return r ? [num(r.ts), num(r.value)] : undefined
    },
    latestRaw: async (sid, n) =>
      pairs(
        await query(`SELECT ts, value FROM ${S}.samples WHERE series_id = $1 ORDER BY ts DESC LIMIT $2`, [
          sid,
          n,
        ]),
      ),
    rollups: async (res, sid, from, to) =>
      (
        await query(
          `SELECT bucket, count, sum, min, max, last, increase FROM ${S}.rollups_${res} WHERE series_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`,
          [sid, from, to],
        )
      ).map(toRollup),
    watermark: async (res) => {
      const [r] = await query(`SELECT ts FROM ${S}.watermarks WHERE resolution = $1`, [res])
      return r ? num(r.ts) : undefined
    },
    rawPerStep: async (sid, from, to, step, aggregation) =>
      (
        await query(
          `SELECT (ts / $1) * $1 AS b, ${RAW_FOLD[aggregation]} AS v FROM ${S}.samples
           WHERE series_id = $2 AND ts >= $3 AND ts < $4 GROUP BY 1 ORDER BY 1`,
          [step, sid, from, to],
        )
      ).map((r) => [num(r.b), num(r.v)] as [number, number]),
    rollupsPerStep: async (res, sid, from, to, step) =>
      (
        await query(
          `SELECT (bucket / $1) * $1 AS bucket, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
             (array_agg(last ORDER BY bucket DESC))[1] AS last, sum(increase) AS increase
           FROM ${S}.rollups_${res} WHERE series_id = $2 AND bucket >= $3 AND bucket < $4 GROUP BY 1 ORDER BY 1`,
          [step, sid, from, to],
        )
      ).map(toRollup),
  }

  const samples: SampleStore = {
    async append(batch) {
      checkSamples(batch)
      if (batch.length === 0) return
      const rows = batch.map((s, i) => ({
        name: s.name,
        labels: canonicalLabels(s.labels, `samples[${i}].labels`),
        value: s.value,
        at: s.at,
      }))
      await submit('append samples', rows.length, async (q) => {
        const ids = await resolveSeries(q, rows)
        // One row per (series, time): the last one wins, as a second write would.
        const last = new Map<string, number>()
        for (const [i, s] of rows.entries()) last.set(`${ids[i]}:${s.at}`, i)
        const keep = [...last.values()].sort((a, b) => a - b)
        await q(
          `INSERT INTO ${S}.samples (series_id, ts, value) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::float8[])
           ON CONFLICT (series_id, ts) DO UPDATE SET value = EXCLUDED.value`,
          [keep.map((i) => ids[i]), keep.map((i) => rows[i]?.at), keep.map((i) => rows[i]?.value)],
        )
      })
    },
    range: (q) => run('range query', () => queryRange(reader, q)),
    recent: (n, selector) => run('recent samples', () => queryRecent(reader, n, selector)),
    series: (selector) => run('series', () => selectSeries(reader, selector?.name, selector?.labels)),
  }

  // ---- snapshots and checks ----
  const snapshots: SnapshotStore = {
    async append(snapshot) {
      const at = snapshotTime(snapshot?.timestamp)
      const data = JSON.stringify(snapshot)
      await submit(
        'append snapshot',
        1,
        async (q) => void (await q(`INSERT INTO ${S}.snapshots (ts, data) VALUES ($1, $2)`, [at, data])),
      )
    },
    recent: (n) =>
      run('recent snapshots', async () =>
        countOf(n) === 0
          ? []
          : (
              await query(
                `SELECT data FROM (SELECT seq, ts, data FROM ${S}.snapshots ORDER BY ts DESC, seq DESC LIMIT $1) r ORDER BY ts, seq`,
                [n],
              )
            ).map((r) => parseJson<MetricSnapshot>(r.data)),
      ),
    range: (start, end) =>
      run('snapshot range', async () =>
        (
          await query(`SELECT data FROM ${S}.snapshots WHERE ts >= $1 AND ts < $2 ORDER BY ts, seq`, [
            start,
            end,
          ])
        ).map((r) => parseJson<MetricSnapshot>(r.data)),
      ),
  }

  const filtered = (
    q: Record<string, unknown> | undefined,
    columns: Record<string, string>,
    limit: number,
  ) => {
    const where: string[] = []
    const values: unknown[] = []
    for (const [key, clause] of Object.entries(columns)) {
      if (q?.[key] === undefined) continue
      values.push(q[key])
      where.push(clause.replace('?', `$${values.length}`))
    }
    values.push(limit)
    return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', values, limit: `$${values.length}` }
  }
  const listChecks = async <T>(table: string, q: CheckQuery | undefined) => {
    const f = filtered(
      q as Record<string, unknown>,
      { service: 'service = ?', since: 'at >= ?', until: 'at < ?' },
      limitOf(q),
    )
    return (
      await query(
        `SELECT data FROM ${S}.${table} ${f.where} ORDER BY at DESC, seq DESC LIMIT ${f.limit}`,
        f.values,
      )
    ).map((r) => parseJson<T>(r.data))
  }
  const checks: CheckStore = {
    async append(result) {
      checkResult(result)
      const data = JSON.stringify(result)
      await submit(
        'append check result',
        1,
        async (q) =>
          void (await q(`INSERT INTO ${S}.check_results (service, at, data) VALUES ($1, $2, $3)`, [
            result.service,
            result.at,
            data,
          ])),
      )
    },
    async appendChange(change) {
      checkResult(change?.result, 'change.result')
      if (!Number.isFinite(change.at))
        throw new StoreError(`change.at must be epoch ms, got ${String(change.at)}`)
      const data = JSON.stringify(change)
      await submit(
        'append state change',
        1,
        async (q) =>
          void (await q(`INSERT INTO ${S}.state_changes (service, at, data) VALUES ($1, $2, $3)`, [
            change.service,
            change.at,
            data,
          ])),
      )
    },
    results: (q) => run('check results', () => listChecks<CheckResult>('check_results', q)),
    changes: (q) => run('state changes', () => listChecks<StateChange>('state_changes', q)),
    latest: () =>
      run('latest results', async () =>
        (
          await query(
            // A loose index scan: one index seek per service instead of reading every result.
            `WITH RECURSIVE s(service) AS (
               SELECT min(service) FROM ${S}.check_results
               UNION ALL SELECT (SELECT min(service) FROM ${S}.check_results WHERE service > s.service) FROM s WHERE s.service IS NOT NULL)
             SELECT (SELECT data FROM ${S}.check_results c WHERE c.service = s.service ORDER BY at DESC, seq DESC LIMIT 1) AS data
             FROM s WHERE service IS NOT NULL ORDER BY service`,
          )
        ).map((r) => parseJson<CheckResult>(r.data)),
      ),
  }

  // ---- outbox ----
  const toDelivery = (r: Row): Delivery => {
    const d: Delivery = {
      id: r.id as string,
      channel: r.channel as string,
      idempotencyKey: r.idempotency_key as string,
      payload: parseJson<{ p: unknown }>(r.payload).p,
      createdAt: num(r.created_at),
      status: r.status as Delivery['status'],
      attempts: num(r.attempts),
      nextAttemptAt: num(r.next_attempt_at),
    }
    if (r.last_error !== null) d.lastError = r.last_error as string
    if (r.sent_at !== null) d.sentAt = num(r.sent_at)
    return d
  }
  const outbox: Outbox = {
    async enqueue(items) {
      const rows = newDeliveries(items)
      if (rows.length === 0) return []
      await write('enqueue', () =>
        query(
          `INSERT INTO ${S}.deliveries (id, channel, idempotency_key, payload, created_at, status, attempts, next_attempt_at)
           SELECT id, channel, key, payload, created, 'pending', 0, created
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS t(id, channel, key, payload, created, n)
           ORDER BY n`,
          [
            rows.map((d) => d.id),
            rows.map((d) => d.channel),
            rows.map((d) => d.idempotencyKey),
            rows.map((d) => JSON.stringify({ p: d.payload })),
            rows.map((d) => d.createdAt),
          ],
        ),
      )
      return rows
    },
    due: (now, limit) =>
      run('due deliveries', async () =>
        (
          await query(
            `SELECT * FROM ${S}.deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY created_at, seq LIMIT $2`,
            [now, limitOf({ limit })],
          )
        ).map(toDelivery),
      ),
    markSent: (id, at) =>
      write(
        'mark sent',
        async () =>
          void (await query(`UPDATE ${S}.deliveries SET status = 'sent', sent_at = $1 WHERE id = $2`, [
            at,
            id,
          ])),
      ),
    markFailed: (id, f) =>
      write('mark failed', async () => {
        await query(
          `UPDATE ${S}.deliveries SET attempts = attempts + 1, last_error = $1, status = $2, next_attempt_at = coalesce($3, next_attempt_at) WHERE id = $4`,
          [f.error, f.retryAt === undefined ? 'failed' : 'pending', f.retryAt ?? null, id],
        )
      }),
    deliveries: (q) =>
      run('deliveries', async () => {
        const f = filtered(
          q as Record<string, unknown>,
          { status: 'status = ?', channel: 'channel = ?' },
          limitOf(q),
        )
        return (
          await query(
            `SELECT * FROM ${S}.deliveries ${f.where} ORDER BY created_at DESC, seq DESC LIMIT ${f.limit}`,
            f.values,
          )
        ).map(toDelivery)
      }),
  }

  // ---- alerts, healing, approvals, leases ----
  const alerts: AlertLog = {
    async saveAlert(a: AlertRecord) {
      if (typeof a?.fingerprint !== 'string' || a.fingerprint === '')
        throw new StoreError('saveAlert: alert.fingerprint must be a non-empty string')
      await write('save alert', () =>
        tx(async (q) => {
          await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`noa-alert:${a.fingerprint}`])
          const [before] = await q(`SELECT state FROM ${S}.alerts WHERE fingerprint = $1`, [a.fingerprint])
          await q(
            `INSERT INTO ${S}.alerts (fingerprint, state, service, updated_at, data) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (fingerprint) DO UPDATE SET state = EXCLUDED.state, service = EXCLUDED.service, updated_at = EXCLUDED.updated_at, data = EXCLUDED.data`,
            [a.fingerprint, a.state, a.labels?.service ?? null, a.updatedAt, JSON.stringify(a)],
          )
          if (before?.state !== a.state)
            await q(
              `INSERT INTO ${S}.alert_history (fingerprint, state, at, value) VALUES ($1, $2, $3, $4)`,
              [a.fingerprint, a.state, a.updatedAt, a.value ?? null],
            )
        }),
      )
    },
    alerts: (q) =>
      run('alerts', async () => {
        const f = filtered(
          q as Record<string, unknown>,
          { state: 'state = ?', service: 'service = ?', since: 'updated_at >= ?', until: 'updated_at < ?' },
          limitOf(q),
        )
        return (
          await query(
            `SELECT data FROM ${S}.alerts ${f.where} ORDER BY updated_at DESC LIMIT ${f.limit}`,
            f.values,
          )
        ).map((r) => parseJson<AlertRecord>(r.data))
      }),
    alertHistory: (fingerprint) =>
      run('alert history', async () =>
        (
          await query(`SELECT state, at, value FROM ${S}.alert_history WHERE fingerprint = $1 ORDER BY seq`, [
            fingerprint,
          ])
        ).map((r) => {
          const e: { state: AlertState; at: number; value?: number } = {
            state: r.state as AlertState,
            at: num(r.at),
          }
          if (r.value !== null) e.value = num(r.value)
          return e
        }),
      ),
  }

  const healing: HealingAudit = {
    async saveHealing(r: HealingRecord) {
      if (typeof r?.id !== 'string' || r.id === '')
        throw new StoreError('saveHealing: record.id must be a non-empty string')
      await write('save healing', async () => {
        await query(
          `INSERT INTO ${S}.healings (id, service, started_at, outcome, data) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET service = EXCLUDED.service, started_at = EXCLUDED.started_at, outcome = EXCLUDED.outcome, data = EXCLUDED.data`,
          [r.id, r.service, r.startedAt, r.outcome, JSON.stringify(r)],
        )
      })
    },
    healings: (q) =>
      run('healings', async () => {
        const f = filtered(
          q as Record<string, unknown>,
          {
            service: 'service = ?',
            outcome: 'outcome = ?',
            since: 'started_at >= ?',
            until: 'started_at < ?',
          },
          limitOf(q),
        )
        return (
          await query(
            `SELECT data FROM ${S}.healings ${f.where} ORDER BY started_at DESC LIMIT ${f.limit}`,
            f.values,
          )
        ).map((r) => parseJson<HealingRecord>(r.data))
      }),
  }

  const approvals: ApprovalStore = {
    async createApproval(a) {
      if (typeof a?.id !== 'string' || a.id === '')
        throw new StoreError('createApproval: approval.id must be a non-empty string')
      await write('create approval', async () => {
        const rows = await query(
          `INSERT INTO ${S}.approvals (id, service, status, requested_at, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [a.id, a.service, a.status, a.requestedAt, JSON.stringify(a)],
        )
        if (rows.length === 0) throw new StoreError(`createApproval: approval ${a.id} already exists`)
      })
    },
    getApproval: (id) =>
      run('get approval', async () => {
        const [r] = await query(`SELECT data FROM ${S}.approvals WHERE id = $1`, [id])
        return r ? parseJson<Approval>(r.data) : undefined
      }),
    decideApproval: (id, decision) =>
      write('decide approval', () =>
        tx(async (q) => {
          // FOR UPDATE makes a second decider wait, then see the row is no longer pending.
          const [r] = await q(
            `SELECT data FROM ${S}.approvals WHERE id = $1 AND status = 'pending' FOR UPDATE`,
            [id],
          )
          if (!r) return undefined
          const next = decided(parseJson<Approval>(r.data), decision)
          await q(`UPDATE ${S}.approvals SET status = $1, data = $2 WHERE id = $3`, [
            next.status,
            JSON.stringify(next),
            id,
          ])
          return next
        }),
      ),
    approvals: (q) =>
      run('approvals', async () => {
        const f = filtered(
          q as Record<string, unknown>,
          {
            status: 'status = ?',
            service: 'service = ?',
            since: 'requested_at >= ?',
            until: 'requested_at < ?',
          },
          limitOf(q),
        )
        return (
          await query(
            `SELECT data FROM ${S}.approvals ${f.where} ORDER BY requested_at DESC LIMIT ${f.limit}`,
            f.values,
          )
        ).map((r) => parseJson<Approval>(r.data))
      }),
  }

  const leases: LeaseStore = {
    acquireLease: (name, holder, ttlMs, now) =>
      write('acquire lease', async () => {
        const rows = await query(
          `INSERT INTO ${S}.leases (name, holder, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
           WHERE ${S}.leases.holder = EXCLUDED.holder OR ${S}.leases.expires_at <= $4
           RETURNING holder`,
          [name, holder, now + ttlMs, now],
        )
        return rows.length === 1
      }),
    releaseLease: (name, holder) =>
      write(
        'release lease',
        async () =>
          void (await query(`DELETE FROM ${S}.leases WHERE name = $1 AND holder = $2`, [name, holder])),
      ),
    leaseHolder: (name, now) =>
      run('lease holder', async () => {
        const [r] = await query(
          `SELECT holder, expires_at FROM ${S}.leases WHERE name = $1 AND expires_at > $2`,
          [name, now],
        )
        return r ? { holder: r.holder as string, expiresAt: num(r.expires_at) } : undefined
      }),
    heldLeases: (prefix, now) =>
      run('held leases', async () => {
        const rows = await query(
          `SELECT name, holder, expires_at FROM ${S}.leases WHERE left(name, $1) = $2 AND expires_at > $3 ORDER BY name COLLATE "C"`,
          [prefix.length, prefix, now],
        )
        return rows.map((r) => ({
          name: r.name as string,
          holder: r.holder as string,
          expiresAt: num(r.expires_at),
        }))
      }),
  }

  const silences: SilenceStore = {
    async saveSilence(silence) {
      checkSilence(silence)
      await write('save silence', async () => {
        await query(
          `INSERT INTO ${S}.silences (id, starts_at, ends_at, data) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, data = EXCLUDED.data`,
          [silence.id, silence.startsAt, silence.endsAt, JSON.stringify(silence)],
        )
      })
    },
    silences: (q) =>
      run('silences', async () => {
        const f = filtered({ activeAt: activeAtOf(q) }, { activeAt: 'ends_at > ?' }, limitOf(q))
        return (
          await query(
            // COLLATE "C": ids tie-break byte-wise, as on SQLite and in memory, whatever the database's locale.
            `SELECT data FROM ${S}.silences ${f.where} ORDER BY starts_at DESC, id COLLATE "C" LIMIT ${f.limit}`,
            f.values,
          )
        ).map((r) => parseJson<Silence>(r.data))
      }),
  }

  const drills = bindDrills({ S, query, run, write })

  // ---- maintenance ----
  const deleteChunk = async (table: string, where: string, cutoff: number, limit: number) =>
    (
      await query(
        `WITH gone AS (DELETE FROM ${S}.${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${S}.${table} WHERE ${where} LIMIT $2)) RETURNING 1) SELECT count(*) AS n FROM gone`,
        [cutoff, limit],
      )
    )[0]?.n as number
  const deleters: Record<RetentionKind, (cutoff: number, limit: number) => Promise<number>> = {
    samples: (c, l) => deleteChunk('samples', 'ts < $1', c, l),
    rollups1m: (c, l) => deleteChunk('rollups_1m', 'bucket < $1', c, l),
    rollups1h: (c, l) => deleteChunk('rollups_1h', 'bucket < $1', c, l),
    snapshots: (c, l) => deleteChunk('snapshots', 'ts < $1', c, l),
    checks: async (c, l) => {
      const a = await deleteChunk('check_results', 'at < $1', c, l)
      return a + (await deleteChunk('state_changes', 'at < $1', c, l - a))
    },
    deliveries: (c, l) => deleteChunk('deliveries', "status <> 'pending' AND created_at < $1", c, l),
    alerts: async (c, l) => {
      const n = await deleteChunk('alerts', "state IN ('resolved', 'inactive') AND updated_at < $1", c, l)
      if (n > 0)
        await query(
          `DELETE FROM ${S}.alert_history h WHERE NOT EXISTS (SELECT 1 FROM ${S}.alerts a WHERE a.fingerprint = h.fingerprint)`,
        )
      return n
    },
    healings: (c, l) =>
      deleteChunk('healings', "outcome NOT IN ('running', 'awaiting-approval') AND started_at < $1", c, l),
    approvals: (c, l) => deleteChunk('approvals', "status <> 'pending' AND requested_at < $1", c, l),
    silences: (c, l) => deleteChunk('silences', 'ends_at < $1', c, l),
    drills: (c, l) => deleteChunk('drills', 'started_at < $1', c, l),
  }
  const driver: MaintenanceDriver = {
    watermark: reader.watermark,
    earliestRaw: async () => {
      const [r] = await query(`SELECT min(ts) AS t FROM ${S}.samples`)
      return r?.t === null || r?.t === undefined ? undefined : num(r.t)
    },
    async rawWindow(from, to) {
      const rows = await query(
        // The value before the window is looked up once per series, not once per row.
        `WITH w AS (SELECT series_id, ts, value FROM ${S}.samples WHERE ts >= $1 AND ts < $2),
              pr AS (SELECT s.series_id,
                       (SELECT b.value FROM ${S}.samples b WHERE b.series_id = s.series_id AND b.ts < $1 ORDER BY b.ts DESC LIMIT 1) AS prev
                     FROM (SELECT DISTINCT series_id FROM w) s)
         SELECT w.series_id, w.ts, w.value, pr.prev FROM w JOIN pr USING (series_id) ORDER BY w.series_id, w.ts`,
        [from, to],
      )
      const out: Array<{ seriesId: number; prev?: number; points: Array<[number, number]> }> = []
      let cur: (typeof out)[number] | undefined
      for (const r of rows) {
        const sid = num(r.series_id)
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid, points: [] }
          if (r.prev !== null) cur.prev = num(r.prev)
          out.push(cur)
        }
        cur?.points.push([num(r.ts), num(r.value)])
      }
      return out
    },
    async minuteWindow(from, to) {
      const rows = await query(
        `SELECT series_id, bucket, count, sum, min, max, last, increase FROM ${S}.rollups_1m WHERE bucket >= $1 AND bucket < $2 ORDER BY series_id, bucket`,
        [from, to],
      )
      const out: Array<{ seriesId: number; rows: RollupRow[] }> = []
      let cur: (typeof out)[number] | undefined
      for (const r of rows) {
        const sid = num(r.series_id)
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid, rows: [] }
          out.push(cur)
        }
        cur?.rows.push(toRollup(r))
      }
      return out
    },
    writeRollups: (res, rows, watermark) =>
      tx(async (q) => {
        if (rows.length > 0)
          await q(
            `INSERT INTO ${S}.rollups_${res} (series_id, bucket, count, sum, min, max, last, increase)
             SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[])
             ON CONFLICT (series_id, bucket) DO UPDATE SET count = EXCLUDED.count, sum = EXCLUDED.sum, min = EXCLUDED.min,
               max = EXCLUDED.max, last = EXCLUDED.last, increase = EXCLUDED.increase`,
            [
              rows.map((r) => r.seriesId),
              rows.map((r) => r.row.bucket),
              rows.map((r) => r.row.count),
              rows.map((r) => r.row.sum),
              rows.map((r) => r.row.min),
              rows.map((r) => r.row.max),
              rows.map((r) => r.row.last),
              rows.map((r) => r.row.increase),
            ],
          )
        await q(
          `INSERT INTO ${S}.watermarks (resolution, ts) VALUES ($1, $2) ON CONFLICT (resolution) DO UPDATE SET ts = EXCLUDED.ts`,
          [res, watermark],
        )
      }),
    deleteExpired: (kind, cutoff, limit) => deleters[kind](cutoff, limit).then(num),
  }

  return {
    type: 'postgres',
    samples,
    snapshots,
    checks,
    outbox,
    alerts,
    healing,
    approvals,
    leases,
    silences,
    drills,
    maintain: (now = clock.now()) => write('maintenance', () => runMaintenance(driver, common, now)),
    async flush() {
      if (buffer.length === 0) return
      try {
        await drain()
      } catch (error) {
        schedule()
        throw wrap('flush', error)
      }
    },
    stats: () => ({ buffered, dropped }),
    health: () => health.health(),
    async close() {
      if (closed) return
      if (buffer.length > 0) {
        await drain().catch(() => {})
        if (buffered > 0) {
          dropped += buffered
          logger.warn('postgres store closed with unwritten writes; they are lost', {
            dropped: buffered,
            droppedTotal: dropped,
          })
        }
      }
      closed = true
      timer?.cancel()
      if (ownsPool) await pool.end().catch(() => {})
    },
  }
}
