import type { HealingRecord } from '@noa/core'
import { FakeClock } from '@noa/core'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { runFixture, stop } from '../../../test/processes.ts'
import { startTcpProxy, type TcpProxy } from '../../../test/tcp-proxy.ts'
import { isStoreError, StoreUnavailableError } from '../../errors.ts'
import { storeContract } from '../../testing/contract.ts'
import { withRecentWindow } from '../../window.ts'
import { createPostgresStore } from './index.ts'
import { POSTGRES_MIGRATIONS } from './migrations.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url)
  console.warn(
    '[store] PostgreSQL tests skipped: set NOA_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)',
  )

const running: HealingRecord = {
  id: 'h1',
  service: 'api',
  trigger: 'service-down',
  strategy: 'restart',
  startedAt: 1000,
  outcome: 'running',
  steps: [],
  dryRun: false,
}

const prefix = `noa_test_${process.pid}_${Date.now().toString(36)}`
let n = 0
const schemas: string[] = []
const nextSchema = () => {
  const s = `${prefix}_${++n}`
  schemas.push(s)
  return s
}

describe.skipIf(!url)('createPostgresStore', () => {
  const admin = new pg.Pool({ connectionString: url, max: 2 })
  // One statement drops every schema the suite made: one commit instead of one per schema,
  // which on a loaded machine took longer than a hook may.
  afterAll(async () => {
    if (schemas.length > 0)
      await admin.query(`DROP SCHEMA IF EXISTS ${schemas.map((s) => `"${s}"`).join(', ')} CASCADE`)
    await admin.end()
  }, 60_000)

  storeContract(
    'postgres',
    async (options) =>
      createPostgresStore({ connectionString: url as string, schema: nextSchema(), poolSize: 4, ...options }),
    {
      describe,
      it,
      expect,
      afterEach,
    },
  )

  it('should create its schema with numbered migrations, once, even when two agents start together', async () => {
    const schema = nextSchema()
    const [a, b] = await Promise.all([
      createPostgresStore({ connectionString: url as string, schema }),
      createPostgresStore({ connectionString: url as string, schema }),
    ])
    const { rows } = await admin.query(`SELECT id, name FROM "${schema}".noa_migrations ORDER BY id`)
    expect(rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ id: m.id, name: m.name })))
    await a.samples.append([{ name: 'x', value: 1, at: 1 }])
    expect(await b.samples.recent(1)).toEqual([{ name: 'x', labels: {}, value: 1, at: 1 }])
    await a.close()
    await b.close()
    const again = await createPostgresStore({ connectionString: url as string, schema })
    await again.close()
  })

  it('should migrate a schema made by the first version, keeping its data', async () => {
    const schema = nextSchema()
    const S = `"${schema}"`
    // The first version's schema is its one migration: migrations are only ever appended.
    await admin.query(`CREATE SCHEMA ${S}`)
    await admin.query(
      `CREATE TABLE ${S}.noa_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    await admin.query((POSTGRES_MIGRATIONS[0]?.sql ?? '').replaceAll('$S', S))
    await admin.query(`INSERT INTO ${S}.noa_migrations (id, name) VALUES (1, 'initial schema')`)
    await admin.query(
      `INSERT INTO ${S}.healings (id, service, started_at, outcome, data) VALUES ('h1', 'api', 1000, 'running', $1)`,
      [JSON.stringify(running)],
    )
    const store = await createPostgresStore({ connectionString: url as string, schema })
    try {
      expect(await store.healing.healings({ outcome: 'running' })).toEqual([running])
      const silence = { id: 's', matchers: [], startsAt: 1000, endsAt: 2000, comment: '' }
      await store.silences.saveSilence(silence)
      expect(await store.silences.silences({ activeAt: 1999 })).toEqual([silence])
      const drill = { id: 'd', startedAt: 1000, finishedAt: 2000, results: [] }
      await store.drills.saveDrill(drill)
      expect(await store.drills.getDrill('d')).toEqual(drill)
      const { rows } = await admin.query(`SELECT id FROM ${S}.noa_migrations ORDER BY id`)
      expect(rows.map((r) => r.id)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.id))
    } finally {
      await store.close()
    }
  })

  it('should work on a pool the caller owns and leave it open', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    const store = await createPostgresStore({ pool, schema: nextSchema() })
    await store.leases.acquireLease('l', 'h', 1000, 0)
    await store.close()
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    await pool.end()
  })

  it('should refuse bad options, naming each field', async () => {
    const error = await createPostgresStore({
      schema: 'Bad-Name"; DROP SCHEMA public; --',
      poolSize: 0,
    }).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/store\.schema: schema must be a lower-case SQL identifier/)
    expect((error as Error).message).toMatch(/store\.poolSize/)
    expect((error as Error).message).toMatch(
      /store\.connectionString: give exactly one of connectionString or pool/,
    )
  })

  it('should never put the password in an error', async () => {
    const secret = 's3cr3t-pa55'
    const bad = new URL(url as string)
    bad.username = 'noa_missing_user'
    bad.password = secret
    bad.port = '1'
    const error = await createPostgresStore({
      connectionString: bad.toString(),
      schema: nextSchema(),
      connectTimeoutMs: 1000,
    }).catch((e: unknown) => e)
    expect(isStoreError(error)).toBe(true)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(secret)
  })

  // four processes started through tsx: slow on a loaded machine, so a longer limit
  it('should let exactly one of several processes take a lease', { timeout: 60_000 }, async () => {
    const schema = nextSchema()
    const first = await createPostgresStore({ connectionString: url as string, schema })
    await first.close()
    const acquirers = Array.from({ length: 4 }, (_, i) =>
      runFixture('lease-acquirer.ts', ['postgres', schema, `agent-${i}`]),
    )
    try {
      await Promise.all(acquirers.map((a) => a.waitFor(/^ready$/)))
      for (const a of acquirers) a.child.stdin?.write('go\n')
      const results = await Promise.all(acquirers.map((a) => a.waitFor(/^(won|lost)$/)))
      expect(results.filter((r) => r === 'won')).toHaveLength(1)
    } finally {
      for (const a of acquirers) await stop(a.child)
    }
  })

  describe('when PostgreSQL goes away and comes back', () => {
    let proxy: TcpProxy
    beforeAll(async () => {
      const target = new URL(url as string)
      proxy = await startTcpProxy(target.hostname, Number(target.port || 5432))
    })
    afterAll(async () => {
      await proxy.close()
    })

    it('should buffer writes up to a bound, drop the overflow with a counted, logged loss, and fail reads fast', async () => {
      const via = new URL(url as string)
      via.hostname = '127.0.0.1'
      via.port = String(proxy.port)
      const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = []
      const logger = {
        debug() {},
        info() {},
        error() {},
        warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, fields }),
      }
      const store = await createPostgresStore({
        connectionString: via.toString(),
        schema: nextSchema(),
        maxBufferedWrites: 250,
        connectTimeoutMs: 1000,
        retryInitialMs: 50,
        retryMaxMs: 200,
        logger,
      })
      try {
        const batch = (k: number) =>
          Array.from({ length: 100 }, (_, i) => ({
            name: 'm',
            labels: { k: String(k) },
            value: i,
            at: k * 1000 + i,
          }))
        await store.samples.append(batch(0))
        proxy.cut()
        // Writes are accepted and buffered; the fourth batch pushes the first buffered one out.
        for (let k = 1; k <= 4; k++) await store.samples.append(batch(k))
        await store.checks.append({ service: 'api', state: 'error', at: 5000, durationMs: 1, attempts: 1 })
        expect(store.stats()).toEqual({ buffered: 201, dropped: 200 })
        expect(
          warnings.some((w) => w.msg.includes('dropped the oldest writes') && w.fields?.dropped === 100),
        ).toBe(true)
        const started = performance.now()
        await expect(store.samples.recent(10)).rejects.toBeInstanceOf(StoreUnavailableError)
        await expect(store.outbox.due(0, 10)).rejects.toThrow(/is unreachable/)
        expect(performance.now() - started).toBeLessThan(10_000)
        await expect(store.flush()).rejects.toBeInstanceOf(StoreUnavailableError)
        proxy.restore()
        await vi.waitFor(() => expect(store.stats().buffered).toBe(0), { timeout: 10_000, interval: 50 })
        await store.flush()
        const keys = (await store.samples.series({ name: 'm' })).map((s) => s.labels.k)
        expect(keys).toEqual(['0', '3', '4'])
        expect(await store.checks.results()).toHaveLength(1)
        expect(store.stats()).toEqual({ buffered: 0, dropped: 200 })
      } finally {
        proxy.restore()
        await store.close()
      }
    })

    it('should say in health() that writes fail while PostgreSQL is away, never with the password, and be ok once the buffer is written', async () => {
      const secret = 'pr0xy-s3cret'
      const via = new URL(url as string)
      via.hostname = '127.0.0.1'
      via.port = String(proxy.port)
      via.password = secret // the server trusts local connections: the password is only there to be scrubbed
      // Retries wait on this clock and never come: flush() below writes the buffer itself.
      const clock = new FakeClock()
      const store = await createPostgresStore({
        connectionString: via.toString(),
        schema: nextSchema(),
        connectTimeoutMs: 1000,
        clock,
      })
      try {
        await store.samples.append([{ name: 'm', value: 1, at: 1000 }])
        expect(store.health()).toEqual({ ok: true, failedWrites: 0 })
        proxy.cut()
        await store.samples.append([{ name: 'm', value: 2, at: 2000 }]) // buffered, not thrown
        const failedAt = clock.now()
        expect(store.health()).toMatchObject({
          ok: false,
          failingSince: failedAt,
          lastError: expect.stringMatching(
            /^append samples: the PostgreSQL store \(schema \w+\) is unreachable: /,
          ),
          failedWrites: 1,
        })
        await clock.advance(100)
        // A port write is not buffered: it rejects, and counts.
        const error = await store.alerts
          .saveAlert({
            fingerprint: 'fp',
            rule: 'r',
            severity: 'critical',
            state: 'firing',
            labels: {},
            annotations: {},
            updatedAt: 3000,
          })
          .catch((e: unknown) => e)
        expect(error).toBeInstanceOf(StoreUnavailableError)
        expect(store.health()).toMatchObject({ ok: false, failingSince: failedAt, failedWrites: 2 })
        for (const text of [(error as Error).message, (error as Error).stack, JSON.stringify(store.health())])
          expect(text).not.toContain(secret)
        proxy.restore()
        await store.flush()
        expect(store.health()).toMatchObject({ ok: true, failedWrites: 2 })
        expect(store.health().failingSince).toBeUndefined()
        expect((await store.samples.recent(5)).map((s) => s.value)).toEqual([2, 1])
      } finally {
        proxy.restore()
        await store.close()
      }
    })

    it('should answer reads from the recent window while PostgreSQL is away, with withRecentWindow', async () => {
      const via = new URL(url as string)
      via.hostname = '127.0.0.1'
      via.port = String(proxy.port)
      const store = withRecentWindow(
        await createPostgresStore({
          connectionString: via.toString(),
          schema: nextSchema(),
          connectTimeoutMs: 1000,
        }),
      )
      try {
        await store.samples.append([{ name: 'up', labels: { service: 'api' }, value: 1, at: 1000 }])
        await store.snapshots.append({
          timestamp: new Date(1000).toISOString(),
          system: {},
          application: {},
          business: {},
          custom: {},
        })
        proxy.cut()
        await store.samples.append([{ name: 'up', labels: { service: 'api' }, value: 0, at: 2000 }])
        expect((await store.samples.recent(5)).map((s) => s.value)).toEqual([0, 1])
        expect(await store.snapshots.recent(5)).toHaveLength(1)
        expect(await store.snapshots.range(0, 5000)).toHaveLength(1)
        expect(
          (await store.samples.range({ name: 'up', start: 0, end: 4000, step: 1000 }))[0]?.points,
        ).toEqual([
          [1000, 1],
          [2000, 0],
        ])
        expect(await store.samples.series({ name: 'up' })).toHaveLength(1)
        await store.checks.append({ service: 'api', state: 'error', at: 2000, durationMs: 1, attempts: 1 })
        const result = { service: 'api', state: 'error' as const, at: 2000, durationMs: 1, attempts: 1 }
        await store.checks.appendChange({ service: 'api', from: 'healthy', to: 'error', at: 2000, result })
        expect(await store.checks.results()).toEqual([result])
        expect(await store.checks.changes()).toHaveLength(1)
        expect(await store.checks.latest()).toEqual([result])
        expect((await store.maintain(10_000).catch((e: unknown) => e)) instanceof StoreUnavailableError).toBe(
          true,
        )
        await expect(store.outbox.due(0, 1)).rejects.toBeInstanceOf(StoreUnavailableError)
        proxy.restore()
        await store.flush()
        expect((await store.samples.recent(5)).map((s) => s.value)).toEqual([0, 1])
      } finally {
        proxy.restore()
        await store.close()
      }
    })
  })
})
