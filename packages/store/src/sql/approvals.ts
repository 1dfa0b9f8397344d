import type { Approval, ApprovalStore } from '@noa/core'
import { StoreError } from '../errors.ts'
import { decided } from '../records.ts'
import { type Dialect, type Exec, get, parseJson, type Row, run, type SqlDb } from './dialect.ts'
import { listQuery } from './list.ts'

/** Approvals (@noa/core `ApprovalStore`): created once, decided once, only from `pending`. */
export function createApprovals(d: Dialect, db: SqlDb, exec: Exec): ApprovalStore {
  const approvals = d.table('approvals')
  return {
    async createApproval(a) {
      if (typeof a?.id !== 'string' || a.id === '')
        throw new StoreError('createApproval: approval.id must be a non-empty string')
      await exec.write('create approval', async () => {
        const added = await db.run(
          `INSERT INTO ${approvals} (id, service, status, requested_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          [a.id, a.service, a.status, a.requestedAt, JSON.stringify(a)],
        )
        if (added === 0) throw new StoreError(`createApproval: approval ${a.id} already exists`)
      })
    },
    getApproval: (id) =>
      exec.read('get approval', async () => {
        const r = await db.get(`SELECT data FROM ${approvals} WHERE id = ?`, [id])
        return r === undefined ? undefined : parseJson<Approval>(r.data)
      }),
    // Atomic: a second decider waits (SQLite's write lock, PostgreSQL's advisory lock), then finds it no longer pending.
    decideApproval: (id, decision) =>
      exec.write('decide approval', () =>
        db.tx(function* () {
          const r: Row | undefined = yield get(
            `SELECT data FROM ${approvals} WHERE id = ? AND status = 'pending'`,
            id,
          )
          if (r === undefined) return undefined
          const next = decided(parseJson<Approval>(r.data), decision)
          yield run(
            `UPDATE ${approvals} SET status = ?, data = ? WHERE id = ?`,
            next.status,
            JSON.stringify(next),
            id,
          )
          return next
        }, `noa-approval:${id}`),
      ),
    approvals: (q) =>
      exec.read('approvals', async () => {
        const [sql, params] = listQuery(
          approvals,
          'data',
          q as Record<string, unknown>,
          {
            status: 'status = ?',
            service: 'service = ?',
            since: 'requested_at >= ?',
            until: 'requested_at < ?',
          },
          'requested_at DESC',
        )
        return (await db.all(sql, params)).map((r) => parseJson<Approval>(r.data))
      }),
  }
}
