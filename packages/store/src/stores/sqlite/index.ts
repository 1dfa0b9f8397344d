import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
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
} from '@noa/core'
import { errorMessage, systemClock } from '@noa/core'
import type BetterSqlite3 from 'better-sqlite3'
import type { z } from 'zod'
import { isStoreError, StoreError } from '../../errors.ts'
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
  checkSamples,
  queryRange,
  queryRecent,
  type RollupRow,
  type SampleReader,
  SeriesCache,
  selectSeries,
} from '../../samples.ts'
import type {
  CheckQuery,
  CheckStore,
  RetentionKind,
  SampleInput,
  SampleStore,
  Series,
  SnapshotStore,
  Store,
} from '../../store.ts'
import { sqliteOptionsSchema } from './options.ts'
import { SQLITE_MIGRATIONS } from './schema.ts'

/** Options of {@link createSqliteStore}. */
export type SqliteStoreOptions = z.input<typeof sqliteOptionsSchema> & StoreRuntime

type Db = BetterSqlite3.Database
type Row = Record<string, unknown>

/** Rows per multi-row INSERT: fewer statements, well under SQLite's 32,766 parameters. */
const INSERT_ROWS = 200

async function loadDriver(): Promise<typeof BetterSqlite3> {
  try {
    return (await import('better-sqlite3')).default
  } catch (cause) {
    throw new StoreError(
      'the sqlite store needs better-sqlite3: install it with `pnpm add better-sqlite3@^12`',
      {
        code: 'ERR_STORE_DRIVER',
        cause,
      },
    )
  }
}

function storeErrorFor(what: string, path: string, error: unknown): StoreError {
  if (isStoreError(error)) return error
  const sqliteCode = (error as { code?: string })?.code ?? ''
  const code =
    sqliteCode === 'SQLITE_FULL'
      ? 'ERR_STORE_FULL'
      : /SQLITE_(READONLY|CANTOPEN|PERM|IOERR)|^E(ACCES|ROFS|NOTDIR|PERM|NOENT)/.test(sqliteCode)
        ? 'ERR_STORE_PATH'
        : 'ERR_STORE'
  return new StoreError(`${what} failed on the SQLite store at ${path}: ${errorMessage(error)}`, {
    code,
    path,
    cause: error,
    retryable: sqliteCode === 'SQLITE_BUSY' || sqliteCode === 'SQLITE_FULL',
  })
}

/** Opens the file, creating its directory, and applies the migrations not yet applied. */
function openDatabase(
  Driver: typeof BetterSqlite3,
  path: string,
  busyTimeoutMs: number,
  maxSizeBytes?: number,
): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Driver(path, { timeout: busyTimeoutMs })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = OFF')
    if (maxSizeBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number
      db.pragma(`max_page_count = ${Math.floor(maxSizeBytes / pageSize)}`)
    }
    const version = db.pragma('user_version', { simple: true }) as number
    const migrate = db.transaction(() => {
      for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
        db.exec(SQLITE_MIGRATIONS[v] as string)
        db.pragma(`user_version = ${v + 1}`)
      }
    })
    if (version < SQLITE_MIGRATIONS.length) migrate.immediate()
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

const parseJson = <T>(text: unknown): T => JSON.parse(text as string) as T

/**
 * The embedded default store: one SQLite file in WAL mode, each batch written in one
 * transaction. A process killed mid-write loses at most the batch in flight. Needs the
 * optional peer `better-sqlite3` (major 12), loaded only here.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from '@noa/store/sqlite'
 * const store = await createSqliteStore({ path: 'data/noa.db', retention: { samples: 7 } })
 * await store.samples.append([{ name: 'cpu_usage_percent', value: 45.2, at: Date.now() }])
 * await store.close()
 * ```
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { clock = systemClock, logger: _logger, ...rest } = options ?? ({} as SqliteStoreOptions)
  const parsed = parseOptions(sqliteOptionsSchema, rest, 'store')
  const common = resolveCommon(parsed)
  const path = parsed.path === ':memory:' ? ':memory:' : resolve(parsed.path)
  const Driver = await loadDriver()
  let db: Db
  try {
    db = openDatabase(Driver, path, parsed.busyTimeoutMs ?? 5000, parsed.maxSizeBytes)
  } catch (error) {
    throw new StoreError(`cannot open the SQLite store at ${path}: ${errorMessage(error)}`, {
      code: 'ERR_STORE_PATH',
      path,
      cause: error,
    })
  }
  let closed = false
  const run = async <T>(what: string, fn: () => T | Promise<T>): Promise<T> => {
    if (closed) throw new StoreError(`the SQLite store at ${path} is closed`, { path })
    try {
      return await fn()
    } catch (error) {
      throw storeErrorFor(what, path, error)
    }
  }

  // ---- samples ----
  function perStep(expr: string) {
    return db
      .prepare(
        `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, ${expr} FROM samples WHERE series_id = ? AND ts >= ? AND ts < ? GROUP BY b ORDER BY b`,
      )
      .raw()
  }
  function rollupPerStep(table: string) {
    return db
      .prepare(
        `SELECT (bucket / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, sum(count), sum(sum), min(min), max(max), last, sum(increase), max(bucket)
         FROM ${table} WHERE series_id = ? AND bucket >= ? AND bucket < ? GROUP BY b ORDER BY b`,
      )
      .raw()
  }
  const st = {
    seriesInsert: db.prepare('INSERT OR IGNORE INTO series (name, labels, key) VALUES (?, ?, ?)'),
    seriesId: db.prepare('SELECT id FROM series WHERE key = ?').pluck(),
    seriesByName: db.prepare('SELECT id, name, labels FROM series WHERE name = ? ORDER BY id'),
    seriesAll: db.prepare('SELECT id, name, labels FROM series ORDER BY id'),
    sampleOne: db.prepare('INSERT OR REPLACE INTO samples (series_id, ts, value) VALUES (?, ?, ?)'),
    sampleMany: db.prepare(
      `INSERT OR REPLACE INTO samples (series_id, ts, value) VALUES ${Array(INSERT_ROWS).fill('(?, ?, ?)').join(', ')}`,
    ),
    raw: db
      .prepare('SELECT ts, value FROM samples WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts')
      .raw(),
    before: db
      .prepare('SELECT value FROM samples WHERE series_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1')
      .pluck(),
    latest: db.prepare('SELECT ts, value FROM samples WHERE series_id = ? ORDER BY ts DESC LIMIT ?').raw(),
    rollup: {
      '1m': db.prepare(
        'SELECT bucket, count, sum, min, max, last, increase FROM rollups_1m WHERE series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      '1h': db.prepare(
        'SELECT bucket, count, sum, min, max, last, increase FROM rollups_1h WHERE series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
    },
    watermark: db.prepare('SELECT ts FROM watermarks WHERE resolution = ?').pluck(),
    // SQLite fills a bare column from the row that max() picked: that is the step's last value.
    rawPerStep: {
      avg: perStep('sum(value) / count(*)'),
      min: perStep('min(value)'),
      max: perStep('max(value)'),
      last: perStep('value, max(ts)'),
    },
    rollupPerStep: {
      '1m': rollupPerStep('rollups_1m'),
      '1h': rollupPerStep('rollups_1h'),
    },
  }

  const seriesIds = new SeriesCache((name, labels, key) => {
    st.seriesInsert.run(name, JSON.stringify(labels), key)
    return st.seriesId.get(key) as number
  })

  const appendBatch = db.transaction((batch: readonly SampleInput[]) => {
    const n = batch.length
    const ids = new Float64Array(n)
    const order = new Uint32Array(n)
    for (let j = 0; j < n; j++) {
      const s = batch[j] as SampleInput
      ids[j] = seriesIds.id(s.name, s.labels, `samples[${j}].labels`)
      order[j] = j
    }
    // Rows in key order touch each B-tree page once per batch instead of once per row.
    order.sort(
      (a, b) =>
        (ids[a] as number) - (ids[b] as number) ||
        (batch[a] as SampleInput).at - (batch[b] as SampleInput).at ||
        a - b, // the same series and time twice in a batch: the later one is written last and wins
    )
    const params: number[] = new Array(INSERT_ROWS * 3)
    let i = 0
    for (; i + INSERT_ROWS <= n; i += INSERT_ROWS) {
      for (let j = 0; j < INSERT_ROWS; j++) {
        const k = order[i + j] as number
        params[j * 3] = ids[k] as number
        params[j * 3 + 1] = (batch[k] as SampleInput).at
        params[j * 3 + 2] = (batch[k] as SampleInput).value
      }
      st.sampleMany.run(params)
    }
    for (; i < n; i++) {
      const k = order[i] as number
      st.sampleOne.run(ids[k], (batch[k] as SampleInput).at, (batch[k] as SampleInput).value)
    }
  })

  const toSeries = (r: Row): Series => ({
    id: r.id as number,
    name: r.name as string,
    labels: parseJson(r.labels),
  })
  const reader: SampleReader = {
    findSeries: async (name) =>
      (name === undefined ? st.seriesAll.all() : st.seriesByName.all(name)).map((r) => toSeries(r as Row)),
    rawPoints: async (sid, from, to) => st.raw.all(sid, from, to) as Array<[number, number]>,
    lastRawBefore: async (sid, before) => st.before.get(sid, before) as number | undefined,
    latestRaw: async (sid, n) => st.latest.all(sid, n) as Array<[number, number]>,
    rollups: async (res, sid, from, to) => st.rollup[res].all(sid, from, to) as RollupRow[],
    watermark: async (res) => st.watermark.get(res) as number | undefined,
    rawPerStep: async (sid, from, to, step, aggregation) =>
      (st.rawPerStep[aggregation].all(step, step, sid, from, to) as number[][]).map(
        ([b, v]) => [b, v] as [number, number],
      ),
    rollupsPerStep: async (res, sid, from, to, step) =>
      (st.rollupPerStep[res].all(step, step, sid, from, to) as number[][]).map(
        ([bucket, count, sum, min, max, last, increase]) =>
          ({ bucket, count, sum, min, max, last, increase }) as RollupRow,
      ),
  }

  const samples: SampleStore = {
    async append(batch) {
      checkSamples(batch)
      await run('append samples', () => {
        try {
          appendBatch(batch)
        } catch (error) {
          seriesIds.clear() // series created in the rolled-back transaction are gone
          throw error
        }
      })
    },
    range: (q) => run('range query', () => queryRange(reader, q)),
    recent: (n, selector) => run('recent samples', () => queryRecent(reader, n, selector)),
    series: (selector) => run('series', () => selectSeries(reader, selector?.name, selector?.labels)),
  }

  // ---- snapshots and checks ----
  const snap = {
    insert: db.prepare('INSERT INTO snapshots (ts, data) VALUES (?, ?)'),
    recent: db
      .prepare(
        'SELECT data FROM (SELECT seq, ts, data FROM snapshots ORDER BY ts DESC, seq DESC LIMIT ?) ORDER BY ts, seq',
      )
      .pluck(),
    range: db.prepare('SELECT data FROM snapshots WHERE ts >= ? AND ts < ? ORDER BY ts, seq').pluck(),
  }
  const snapshots: SnapshotStore = {
    async append(snapshot) {
      const at = snapshotTime(snapshot?.timestamp)
      await run('append snapshot', () => snap.insert.run(at, JSON.stringify(snapshot)))
    },
    recent: (n) =>
      run('recent snapshots', () =>
        countOf(n) === 0 ? [] : (snap.recent.all(n) as string[]).map((d) => parseJson<MetricSnapshot>(d)),
      ),
    range: (start, end) =>
      run('snapshot range', () =>
        (snap.range.all(start, end) as string[]).map((d) => parseJson<MetricSnapshot>(d)),
      ),
  }

  /** A list query: the given filters that are set, newest first; statements cached by their SQL. */
  const listStatements = new Map<string, BetterSqlite3.Statement>()
  function list(
    table: string,
    select: 'data' | '*',
    q: Record<string, unknown> | undefined,
    filters: Record<string, string>,
    order: string,
  ): unknown[] {
    const where: string[] = []
    const params: unknown[] = []
    for (const [key, clause] of Object.entries(filters)) {
      if (q?.[key] === undefined) continue
      where.push(clause)
      params.push(q[key])
    }
    const sql = `SELECT ${select} FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`
    let statement = listStatements.get(sql)
    if (!statement) {
      statement = select === 'data' ? db.prepare(sql).pluck() : db.prepare(sql)
      listStatements.set(sql, statement)
    }
    return statement.all(...params, limitOf(q))
  }
  const listData = <T>(...args: Parameters<typeof list>): T[] =>
    (list(...args) as string[]).map((d) => parseJson<T>(d))
  const listChecks = <T>(table: 'check_results' | 'state_changes', q: CheckQuery | undefined): T[] =>
    listData<T>(
      table,
      'data',
      q as Record<string, unknown>,
      { service: 'service = ?', since: 'at >= ?', until: 'at < ?' },
      'at DESC, seq DESC',
    )
  const chk = {
    insert: db.prepare('INSERT INTO check_results (service, at, data) VALUES (?, ?, ?)'),
    change: db.prepare('INSERT INTO state_changes (service, at, data) VALUES (?, ?, ?)'),
    // A loose index scan: one index seek per service instead of reading every result.
    latest: db
      .prepare(
        `WITH RECURSIVE s(service) AS (
           SELECT min(service) FROM check_results
           UNION ALL SELECT (SELECT min(service) FROM check_results WHERE service > s.service) FROM s WHERE s.service IS NOT NULL)
         SELECT (SELECT data FROM check_results WHERE service = s.service ORDER BY at DESC, seq DESC LIMIT 1)
         FROM s WHERE service IS NOT NULL ORDER BY service`,
      )
      .pluck(),
  }
  const checks: CheckStore = {
    async append(result) {
      checkResult(result)
      await run('append check result', () =>
        chk.insert.run(result.service, result.at, JSON.stringify(result)),
      )
    },
    async appendChange(change) {
      checkResult(change?.result, 'change.result')
      if (!Number.isFinite(change.at))
        throw new StoreError(`change.at must be epoch ms, got ${String(change.at)}`)
      await run('append state change', () =>
        chk.change.run(change.service, change.at, JSON.stringify(change)),
      )
    },
    results: (q) => run('check results', () => listChecks<CheckResult>('check_results', q)),
    changes: (q) => run('state changes', () => listChecks<StateChange>('state_changes', q)),
    latest: () =>
      run('latest results', () => (chk.latest.all() as string[]).map((d) => parseJson<CheckResult>(d))),
  }

  // ---- outbox ----
  const toDelivery = (r: Row): Delivery => {
    const d: Delivery = {
      id: r.id as string,
      channel: r.channel as string,
      idempotencyKey: r.idempotency_key as string,
      payload: parseJson<{ p: unknown }>(r.payload).p,
      createdAt: r.created_at as number,
      status: r.status as Delivery['status'],
      attempts: r.attempts as number,
      nextAttemptAt: r.next_attempt_at as number,
    }
    if (r.last_error !== null) d.lastError = r.last_error as string
    if (r.sent_at !== null) d.sentAt = r.sent_at as number
    return d
  }
  const ob = {
    insert: db.prepare(
      `INSERT INTO deliveries (id, channel, idempotency_key, payload, created_at, status, attempts, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)`,
    ),
    due: db.prepare(
      "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at, seq LIMIT ?",
    ),
    sent: db.prepare("UPDATE deliveries SET status = 'sent', sent_at = ? WHERE id = ?"),
    failed: db.prepare(
      'UPDATE deliveries SET attempts = attempts + 1, last_error = ?, status = ?, next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?',
    ),
  }
  const enqueueTx = db.transaction((rows: Delivery[]) => {
    for (const d of rows)
      ob.insert.run(
        d.id,
        d.channel,
        d.idempotencyKey,
        JSON.stringify({ p: d.payload }),
        d.createdAt,
        d.nextAttemptAt,
      )
  })
  const outbox: Outbox = {
    async enqueue(items) {
      const rows = newDeliveries(items)
      await run('enqueue', () => enqueueTx(rows))
      return rows
    },
    due: (now, limit) =>
      run('due deliveries', () => ob.due.all(now, limitOf({ limit })).map((r) => toDelivery(r as Row))),
    markSent: (id, at) => run('mark sent', () => void ob.sent.run(at, id)),
    markFailed: (id, f) =>
      run(
        'mark failed',
        () =>
          void ob.failed.run(f.error, f.retryAt === undefined ? 'failed' : 'pending', f.retryAt ?? null, id),
      ),
    deliveries: (q) =>
      run('deliveries', () =>
        list(
          'deliveries',
          '*',
          q as Record<string, unknown>,
          { status: 'status = ?', channel: 'channel = ?' },
          'created_at DESC, seq DESC',
        ).map((r) => toDelivery(r as Row)),
      ),
  }

  // ---- alerts, healing, approvals, leases ----
  const al = {
    state: db.prepare('SELECT state FROM alerts WHERE fingerprint = ?').pluck(),
    upsert: db.prepare(
      `INSERT INTO alerts (fingerprint, state, service, updated_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (fingerprint) DO UPDATE SET state = excluded.state, service = excluded.service, updated_at = excluded.updated_at, data = excluded.data`,
    ),
    history: db.prepare('INSERT INTO alert_history (fingerprint, state, at, value) VALUES (?, ?, ?, ?)'),
    historyOf: db.prepare('SELECT state, at, value FROM alert_history WHERE fingerprint = ? ORDER BY seq'),
  }
  const saveAlertTx = db.transaction((a: AlertRecord) => {
    const before = al.state.get(a.fingerprint)
    al.upsert.run(a.fingerprint, a.state, a.labels?.service ?? null, a.updatedAt, JSON.stringify(a))
    if (before !== a.state) al.history.run(a.fingerprint, a.state, a.updatedAt, a.value ?? null)
  })
  const alerts: AlertLog = {
    async saveAlert(alert) {
      if (typeof alert?.fingerprint !== 'string' || alert.fingerprint === '')
        throw new StoreError('saveAlert: alert.fingerprint must be a non-empty string')
      await run('save alert', () => saveAlertTx.immediate(alert))
    },
    alerts: (q) =>
      run('alerts', () =>
        listData<AlertRecord>(
          'alerts',
          'data',
          q as Record<string, unknown>,
          { state: 'state = ?', service: 'service = ?', since: 'updated_at >= ?' },
          'updated_at DESC',
        ),
      ),
    alertHistory: (fingerprint) =>
      run('alert history', () =>
        (al.historyOf.all(fingerprint) as Row[]).map((r) => {
          const e: { state: AlertState; at: number; value?: number } = {
            state: r.state as AlertState,
            at: r.at as number,
          }
          if (r.value !== null) e.value = r.value as number
          return e
        }),
      ),
  }

  const healUpsert = db.prepare(
    `INSERT INTO healings (id, service, started_at, outcome, data) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET service = excluded.service, started_at = excluded.started_at, outcome = excluded.outcome, data = excluded.data`,
  )
  const healing: HealingAudit = {
    async saveHealing(r) {
      if (typeof r?.id !== 'string' || r.id === '')
        throw new StoreError('saveHealing: record.id must be a non-empty string')
      await run(
        'save healing',
        () => void healUpsert.run(r.id, r.service, r.startedAt, r.outcome, JSON.stringify(r)),
      )
    },
    healings: (q) =>
      run('healings', () =>
        listData<HealingRecord>(
          'healings',
          'data',
          q as Record<string, unknown>,
          { service: 'service = ?', outcome: 'outcome = ?', since: 'started_at >= ?' },
          'started_at DESC',
        ),
      ),
  }

  const ap = {
    insert: db.prepare(
      'INSERT INTO approvals (id, service, status, requested_at, data) VALUES (?, ?, ?, ?, ?)',
    ),
    get: db.prepare('SELECT data FROM approvals WHERE id = ?').pluck(),
    pending: db.prepare("SELECT data FROM approvals WHERE id = ? AND status = 'pending'").pluck(),
    decide: db.prepare("UPDATE approvals SET status = ?, data = ? WHERE id = ? AND status = 'pending'"),
  }
  const decideTx = db.transaction((id: string, decision: Parameters<ApprovalStore['decideApproval']>[1]) => {
    const cur = ap.pending.get(id) as string | undefined
    if (cur === undefined) return undefined
    const next = decided(parseJson<Approval>(cur), decision)
    ap.decide.run(next.status, JSON.stringify(next), id)
    return next
  })
  const approvals: ApprovalStore = {
    async createApproval(a) {
      if (typeof a?.id !== 'string' || a.id === '')
        throw new StoreError('createApproval: approval.id must be a non-empty string')
      await run('create approval', () => {
        try {
          ap.insert.run(a.id, a.service, a.status, a.requestedAt, JSON.stringify(a))
        } catch (error) {
          if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
            throw new StoreError(`createApproval: approval ${a.id} already exists`, { cause: error })
          throw error
        }
      })
    },
    getApproval: (id) =>
      run('get approval', () => {
        const d = ap.get.get(id) as string | undefined
        return d === undefined ? undefined : parseJson<Approval>(d)
      }),
    decideApproval: (id, decision) => run('decide approval', () => decideTx.immediate(id, decision)),
    approvals: (q) =>
      run('approvals', () =>
        listData<Approval>(
          'approvals',
          'data',
          q as Record<string, unknown>,
          { status: 'status = ?', service: 'service = ?', since: 'requested_at >= ?' },
          'requested_at DESC',
        ),
      ),
  }

  const ls = {
    acquire: db
      .prepare(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
         RETURNING holder`,
      )
      .pluck(),
    release: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
    holder: db.prepare('SELECT holder, expires_at FROM leases WHERE name = ? AND expires_at > ?'),
  }
  const leases: LeaseStore = {
    acquireLease: (name, holder, ttlMs, now) =>
      run('acquire lease', () => ls.acquire.get(name, holder, now + ttlMs, now) !== undefined),
    releaseLease: (name, holder) => run('release lease', () => void ls.release.run(name, holder)),
    leaseHolder: (name, now) =>
      run('lease holder', () => {
        const r = ls.holder.get(name, now) as Row | undefined
        return r ? { holder: r.holder as string, expiresAt: r.expires_at as number } : undefined
      }),
  }

  const silenceUpsert = db.prepare(
    `INSERT INTO silences (id, starts_at, ends_at, data) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, data = excluded.data`,
  )
  const silences: SilenceStore = {
    async saveSilence(silence) {
      checkSilence(silence)
      await run(
        'save silence',
        () => void silenceUpsert.run(silence.id, silence.startsAt, silence.endsAt, JSON.stringify(silence)),
      )
    },
    silences: (q) =>
      run('silences', () =>
        listData<Silence>(
          'silences',
          'data',
          { activeAt: activeAtOf(q), limit: q?.limit },
          { activeAt: 'ends_at > ?' },
          'starts_at DESC, id',
        ),
      ),
  }

  // ---- maintenance ----
  const mt = {
    earliest: db.prepare('SELECT min(ts) FROM samples').pluck(),
    window: db
      .prepare(
        'SELECT p.series_id, p.ts, p.value FROM series s CROSS JOIN samples p ON p.series_id = s.id AND p.ts >= ? AND p.ts < ? ORDER BY p.series_id, p.ts',
      )
      .raw(),
    minute: db
      .prepare(
        `SELECT r.series_id, r.bucket, r.count, r.sum, r.min, r.max, r.last, r.increase FROM series s CROSS JOIN rollups_1m r ON r.series_id = s.id AND r.bucket >= ? AND r.bucket < ? ORDER BY r.series_id, r.bucket`,
      )
      .raw(),
    upsert: {
      '1m': db.prepare('INSERT OR REPLACE INTO rollups_1m VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      '1h': db.prepare('INSERT OR REPLACE INTO rollups_1h VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    },
    setWatermark: db.prepare('INSERT OR REPLACE INTO watermarks (resolution, ts) VALUES (?, ?)'),
    seriesIds: db.prepare('SELECT id FROM series ORDER BY id').pluck(),
  }
  const writeRollupsTx = db.transaction(
    (res: '1m' | '1h', rows: Array<{ seriesId: number; row: RollupRow }>, watermark: number) => {
      for (const { seriesId, row: r } of rows)
        mt.upsert[res].run(seriesId, r.bucket, r.count, r.sum, r.min, r.max, r.last, r.increase)
      mt.setWatermark.run(res, watermark)
    },
  )
  /** Deletes at most `limit` rows older than `cutoff` from a (series_id, time) keyed table, series by series. */
  function deleteSeriesRows(
    table: 'samples' | 'rollups_1m' | 'rollups_1h',
    col: 'ts' | 'bucket',
    cutoff: number,
    limit: number,
  ) {
    const bound = db
      .prepare(
        `SELECT ${col} FROM ${table} WHERE series_id = ? AND ${col} < ? ORDER BY ${col} LIMIT 1 OFFSET ?`,
      )
      .pluck()
    const del = db.prepare(`DELETE FROM ${table} WHERE series_id = ? AND ${col} < ?`)
    let n = 0
    for (const sid of mt.seriesIds.all() as number[]) {
      if (n >= limit) break
      const upto = (bound.get(sid, cutoff, limit - n) as number | undefined) ?? cutoff
      n += del.run(sid, upto).changes
    }
    return n
  }
  const deleteChunk = (table: string, key: string, where: string, cutoff: number, limit: number) =>
    db
      .prepare(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${where} LIMIT ?)`)
      .run(cutoff, limit).changes
  const deleters: Record<RetentionKind, (cutoff: number, limit: number) => number> = {
    samples: (c, l) => deleteSeriesRows('samples', 'ts', c, l),
    rollups1m: (c, l) => deleteSeriesRows('rollups_1m', 'bucket', c, l),
    rollups1h: (c, l) => deleteSeriesRows('rollups_1h', 'bucket', c, l),
    snapshots: (c, l) => deleteChunk('snapshots', 'seq', 'ts < ?', c, l),
    checks: (c, l) => {
      const a = deleteChunk('check_results', 'seq', 'at < ?', c, l)
      return a + deleteChunk('state_changes', 'seq', 'at < ?', c, l - a)
    },
    deliveries: (c, l) => deleteChunk('deliveries', 'seq', "status <> 'pending' AND created_at < ?", c, l),
    alerts: (c, l) => {
      const n = deleteChunk(
        'alerts',
        'fingerprint',
        "state IN ('resolved', 'inactive') AND updated_at < ?",
        c,
        l,
      )
      if (n > 0)
        db.prepare(
          'DELETE FROM alert_history WHERE fingerprint NOT IN (SELECT fingerprint FROM alerts)',
        ).run()
      return n
    },
    healings: (c, l) =>
      deleteChunk(
        'healings',
        'id',
        "outcome NOT IN ('running', 'awaiting-approval') AND started_at < ?",
        c,
        l,
      ),
    approvals: (c, l) => deleteChunk('approvals', 'id', "status <> 'pending' AND requested_at < ?", c, l),
    silences: (c, l) => deleteChunk('silences', 'id', 'ends_at < ?', c, l),
  }
  const driver: MaintenanceDriver = {
    watermark: reader.watermark,
    earliestRaw: async () => (mt.earliest.get() as number | null) ?? undefined,
    async rawWindow(from, to) {
      const out: Array<{ seriesId: number; prev?: number; points: Array<[number, number]> }> = []
      let cur: (typeof out)[number] | undefined
      for (const [sid, ts, value] of mt.window.all(from, to) as Array<[number, number, number]>) {
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid, points: [] }
          const prev = st.before.get(sid, from) as number | undefined
          if (prev !== undefined) cur.prev = prev
          out.push(cur)
        }
        cur.points.push([ts, value])
      }
      return out
    },
    async minuteWindow(from, to) {
      const out: Array<{ seriesId: number; rows: RollupRow[] }> = []
      let cur: (typeof out)[number] | undefined
      for (const [sid, bucket, count, sum, min, max, last, increase] of mt.minute.all(
        from,
        to,
      ) as number[][]) {
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid as number, rows: [] }
          out.push(cur)
        }
        cur?.rows.push({ bucket, count, sum, min, max, last, increase } as RollupRow)
      }
      return out
    },
    writeRollups: async (res, rows, watermark) => writeRollupsTx.immediate(res, rows, watermark),
    deleteExpired: async (kind, cutoff, limit) => deleters[kind](cutoff, limit),
  }

  return {
    type: 'sqlite',
    samples,
    snapshots,
    checks,
    outbox,
    alerts,
    healing,
    approvals,
    leases,
    silences,
    maintain: (now = clock.now()) => run('maintenance', () => runMaintenance(driver, common, now)),
    flush: async () => {},
    stats: () => ({ buffered: 0, dropped: 0 }),
    async close() {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
