import type { CheckResult, Clock, StateChange } from '@noa/core'
import { Batcher } from '../batch.ts'
import { StoreError } from '../errors.ts'
import { checkResult } from '../records.ts'
import type { CheckQuery, CheckStore } from '../store.ts'
import { type BulkInsert, type Dialect, type Exec, insert, parseJson, type SqlDb } from './dialect.ts'
import { listQuery } from './list.ts'

/**
 * Health check results and state changes. With `batch` (SQLite), results come one by one
 * at the checks' pace and are written in batches, one commit each; reads write what waits
 * first, so they see every result appended before them.
 */
export function createChecks(d: Dialect, db: SqlDb, exec: Exec, batch: { clock: Clock } | undefined) {
  const results = d.table('check_results')
  const changes = d.table('state_changes')
  const rowsOf = (list: readonly CheckResult[]): BulkInsert => ({
    table: results,
    columns: [
      ['service', 'text'],
      ['at', 'bigint'],
      ['data', 'text'],
    ],
    data: [list.map((r) => r.service), list.map((r) => r.at), list.map((r) => JSON.stringify(r))],
  })
  const batcher =
    batch &&
    new Batcher<CheckResult>({
      clock: batch.clock,
      // One transaction, one commit, for the whole batch.
      write: (list) =>
        exec.write('append check results', () =>
          db.tx(function* () {
            yield insert(rowsOf(list))
          }),
        ),
    })
  const flushed = () => batcher?.flush().catch(() => undefined)
  const list = async <T>(table: string, q: CheckQuery | undefined) => {
    const [sql, params] = listQuery(
      table,
      'data',
      q as Record<string, unknown>,
      { service: 'service = ?', since: 'at >= ?', until: 'at < ?' },
      'at DESC, seq DESC',
    )
    return (await db.all(sql, params)).map((r) => parseJson<T>(r.data))
  }
  const checks: CheckStore = {
    async append(result) {
      checkResult(result)
      if (batcher) {
        exec.assertOpen()
        return batcher.add(result)
      }
      const rows = rowsOf([result])
      await exec.submit('append check result', 1, async () => void (await db.insert(rows)))
    },
    async appendChange(change) {
      checkResult(change?.result, 'change.result')
      if (!Number.isFinite(change.at))
        throw new StoreError(`change.at must be epoch ms, got ${String(change.at)}`)
      const data = JSON.stringify(change)
      await exec.submit('append state change', 1, async () => {
        await db.run(`INSERT INTO ${changes} (service, at, data) VALUES (?, ?, ?)`, [
          change.service,
          change.at,
          data,
        ])
      })
    },
    results: async (q) => {
      await flushed()
      return exec.read('check results', () => list<CheckResult>(results, q))
    },
    changes: (q) => exec.read('state changes', () => list<StateChange>(changes, q)),
    latest: async () => {
      await flushed()
      return exec.read('latest results', async () =>
        (
          await db.all(
            // A loose index scan: one index seek per service instead of reading every result.
            `WITH RECURSIVE s(service) AS (
               SELECT min(service) FROM ${results}
               UNION ALL SELECT (SELECT min(service) FROM ${results} WHERE service > s.service) FROM s WHERE s.service IS NOT NULL)
             SELECT (SELECT data FROM ${results} c WHERE c.service = s.service ORDER BY at DESC, seq DESC LIMIT 1) AS data
             FROM s WHERE service IS NOT NULL ORDER BY service`,
          )
        ).map((r) => parseJson<CheckResult>(r.data)),
      )
    },
  }
  return {
    checks,
    /** Writes the results waiting for their batch. */
    flush: () => batcher?.flush() ?? Promise.resolve(),
    stats: () => ({ buffered: batcher?.pending ?? 0, dropped: batcher?.dropped ?? 0 }),
  }
}
