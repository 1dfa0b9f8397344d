import type {
  AlertLog,
  AlertRecord,
  AlertState,
  Approval,
  ApprovalStore,
  Delivery,
  HealingAudit,
  HealingRecord,
  LeaseStore,
  Outbox,
  Silence,
  SilenceStore,
} from '@noa/core'
import { StoreError } from '../../errors.ts'
import { activeAtOf, checkSilence, decided, limitOf, newDeliveries } from '../../records.ts'
import { type Db, type Exec, type Lists, parseJson, type Row } from './query.ts'

/** The @noa/core ports on one connection: outbox, alerts, healing audit, approvals, leases, silences. */
export function bindPorts(db: Db, exec: Exec, { list, listData }: Lists) {
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
      await exec.write('enqueue', () => enqueueTx(rows))
      return rows
    },
    due: (now, limit) =>
      exec.read('due deliveries', () => ob.due.all(now, limitOf({ limit })).map((r) => toDelivery(r as Row))),
    markSent: (id, at) => exec.write('mark sent', () => void ob.sent.run(at, id)),
    markFailed: (id, f) =>
      exec.write(
        'mark failed',
        () =>
          void ob.failed.run(f.error, f.retryAt === undefined ? 'failed' : 'pending', f.retryAt ?? null, id),
      ),
    deliveries: (q) =>
      exec.read('deliveries', () =>
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
      await exec.write('save alert', () => saveAlertTx.immediate(alert))
    },
    alerts: (q) =>
      exec.read('alerts', () =>
        listData<AlertRecord>(
          'alerts',
          'data',
          q as Record<string, unknown>,
          { state: 'state = ?', service: 'service = ?', since: 'updated_at >= ?', until: 'updated_at < ?' },
          'updated_at DESC',
        ),
      ),
    alertHistory: (fingerprint) =>
      exec.read('alert history', () =>
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
      await exec.write(
        'save healing',
        () => void healUpsert.run(r.id, r.service, r.startedAt, r.outcome, JSON.stringify(r)),
      )
    },
    healings: (q) =>
      exec.read('healings', () =>
        listData<HealingRecord>(
          'healings',
          'data',
          q as Record<string, unknown>,
          {
            service: 'service = ?',
            outcome: 'outcome = ?',
            since: 'started_at >= ?',
            until: 'started_at < ?',
          },
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
      await exec.write('create approval', () => {
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
      exec.read('get approval', () => {
        const d = ap.get.get(id) as string | undefined
        return d === undefined ? undefined : parseJson<Approval>(d)
      }),
    decideApproval: (id, decision) => exec.write('decide approval', () => decideTx.immediate(id, decision)),
    approvals: (q) =>
      exec.read('approvals', () =>
        listData<Approval>(
          'approvals',
          'data',
          q as Record<string, unknown>,
          {
            status: 'status = ?',
            service: 'service = ?',
            since: 'requested_at >= ?',
            until: 'requested_at < ?',
          },
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
    held: db.prepare(
      'SELECT name, holder, expires_at FROM leases WHERE substr(name, 1, ?) = ? AND expires_at > ? ORDER BY name',
    ),
  }
  const leases: LeaseStore = {
    acquireLease: (name, holder, ttlMs, now) =>
      exec.write('acquire lease', () => ls.acquire.get(name, holder, now + ttlMs, now) !== undefined),
    releaseLease: (name, holder) => exec.write('release lease', () => void ls.release.run(name, holder)),
    leaseHolder: (name, now) =>
      exec.read('lease holder', () => {
        const r = ls.holder.get(name, now) as Row | undefined
        return r ? { holder: r.holder as string, expiresAt: r.expires_at as number } : undefined
      }),
    heldLeases: (prefix, now) =>
      exec.read('held leases', () =>
        (ls.held.all(prefix.length, prefix, now) as Row[]).map((r) => ({
          name: r.name as string,
          holder: r.holder as string,
          expiresAt: r.expires_at as number,
        })),
      ),
  }

  const silenceUpsert = db.prepare(
    `INSERT INTO silences (id, starts_at, ends_at, data) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, data = excluded.data`,
  )
  const silences: SilenceStore = {
    async saveSilence(silence) {
      checkSilence(silence)
      await exec.write(
        'save silence',
        () => void silenceUpsert.run(silence.id, silence.startsAt, silence.endsAt, JSON.stringify(silence)),
      )
    },
    silences: (q) =>
      exec.read('silences', () =>
        listData<Silence>(
          'silences',
          'data',
          { activeAt: activeAtOf(q), limit: q?.limit },
          { activeAt: 'ends_at > ?' },
          'starts_at DESC, id',
        ),
      ),
  }

  return { outbox, alerts, healing, approvals, leases, silences }
}
