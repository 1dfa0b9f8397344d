import type { Delivery, Outbox } from '@noa/core'
import { limitOf, newDeliveries } from '../records.ts'
import { type Dialect, type Exec, num, parseJson, type Row, type SqlDb } from './dialect.ts'
import { listQuery } from './list.ts'

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

/** The notification outbox (@noa/core `Outbox`): one row per delivery, `seq` keeping the order they came in. */
export function createOutbox(d: Dialect, db: SqlDb, exec: Exec): Outbox {
  const deliveries = d.table('deliveries')
  return {
    async enqueue(items) {
      const rows = newDeliveries(items)
      if (rows.length === 0) return []
      await exec.write('enqueue', () =>
        db.insert({
          table: deliveries,
          columns: [
            ['id', 'text'],
            ['channel', 'text'],
            ['idempotency_key', 'text'],
            ['payload', 'text'],
            ['created_at', 'bigint'],
            ['status', 'text'],
            ['attempts', 'integer'],
            ['next_attempt_at', 'bigint'],
          ],
          data: [
            rows.map((r) => r.id),
            rows.map((r) => r.channel),
            rows.map((r) => r.idempotencyKey),
            rows.map((r) => JSON.stringify({ p: r.payload })),
            rows.map((r) => r.createdAt),
            rows.map((r) => r.status),
            rows.map((r) => r.attempts),
            rows.map((r) => r.nextAttemptAt),
          ],
        }),
      )
      return rows
    },
    due: (now, limit) =>
      exec.read('due deliveries', async () =>
        (
          await db.all(
            `SELECT * FROM ${deliveries} WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at, seq LIMIT ?`,
            [now, limitOf({ limit })],
          )
        ).map(toDelivery),
      ),
    markSent: (id, at) =>
      exec.write('mark sent', async () => {
        await db.run(`UPDATE ${deliveries} SET status = 'sent', sent_at = ? WHERE id = ?`, [at, id])
      }),
    markFailed: (id, f) =>
      exec.write('mark failed', async () => {
        await db.run(
          `UPDATE ${deliveries} SET attempts = attempts + 1, last_error = ?, status = ?, next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?`,
          [f.error, f.retryAt === undefined ? 'failed' : 'pending', f.retryAt ?? null, id],
        )
      }),
    deliveries: (q) =>
      exec.read('deliveries', async () => {
        const [sql, params] = listQuery(
          deliveries,
          '*',
          q as Record<string, unknown>,
          { status: 'status = ?', channel: 'channel = ?' },
          'created_at DESC, seq DESC',
        )
        return (await db.all(sql, params)).map(toDelivery)
      }),
  }
}
