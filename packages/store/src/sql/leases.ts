import type { LeaseStore } from '@noa/core'
import { type Dialect, type Exec, num, type SqlDb } from './dialect.ts'

/**
 * Leases (@noa/core `LeaseStore`): one row per name, taken by one atomic upsert that only
 * replaces a holder whose lease expired, so exactly one of several agents holds it.
 */
export function createLeases(d: Dialect, db: SqlDb, exec: Exec): LeaseStore {
  const leases = d.table('leases')
  return {
    acquireLease: (name, holder, ttlMs, now) =>
      exec.write('acquire lease', async () => {
        const taken = await db.get(
          `INSERT INTO ${leases} AS l (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE l.holder = excluded.holder OR l.expires_at <= ?
           RETURNING holder`,
          [name, holder, now + ttlMs, now],
        )
        return taken !== undefined
      }),
    releaseLease: (name, holder) =>
      exec.write('release lease', async () => {
        await db.run(`DELETE FROM ${leases} WHERE name = ? AND holder = ?`, [name, holder])
      }),
    leaseHolder: (name, now) =>
      exec.read('lease holder', async () => {
        const r = await db.get(`SELECT holder, expires_at FROM ${leases} WHERE name = ? AND expires_at > ?`, [
          name,
          now,
        ])
        return r ? { holder: r.holder as string, expiresAt: num(r.expires_at) } : undefined
      }),
    heldLeases: (prefix, now) =>
      exec.read('held leases', async () =>
        (
          await db.all(
            `SELECT name, holder, expires_at FROM ${leases} WHERE substr(name, 1, ?) = ? AND expires_at > ? ORDER BY name${d.bytewise}`,
            [prefix.length, prefix, now],
          )
        ).map((r) => ({ name: r.name as string, holder: r.holder as string, expiresAt: num(r.expires_at) })),
      ),
  }
}
