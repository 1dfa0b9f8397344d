import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DrillResult, DrillRun } from '../src/drill/types.ts'
import { onFrames, startAgent, type TestAgent, until } from './helpers.ts'

const TOKEN = 'drill-token-0123456789'

const result = (over: Partial<DrillResult> = {}): DrillResult => ({
  fault: 'crash',
  service: 'api',
  outcome: 'healed',
  detectMs: 120,
  alertMs: 380,
  repairMs: 900,
  actions: ['restart'],
  doubleActions: 0,
  falseAlerts: 0,
  round: 1,
  ...over,
})
const run = (startedAt: number, results = [result()]) => ({
  startedAt,
  finishedAt: startedAt + 5000,
  results,
})

describe('drills API', () => {
  let t: TestAgent
  const post = async (body: unknown, token: string | undefined = TOKEN, type = 'application/json') => {
    const res = await fetch(`${t.url}/api/drills`, {
      method: 'POST',
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const get = async (path: string) => {
    const res = await fetch(`${t.url}${path}`)
    return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(await res.text()) }
  }

  /** A real event-stream client: the events it got so far, and its request to destroy. */
  const listen = () => {
    const events: Array<{ event?: string; data?: string }> = []
    return new Promise<{ events: typeof events; stream: ReturnType<typeof request> }>((resolve) => {
      const req = request(`${t.url}/api/sse`, { headers: { accept: 'text/event-stream' } }, (res) => {
        onFrames(res, (frame) => {
          const event: { event?: string; data?: string } = {}
          for (const line of frame.split('\n')) {
            const m = /^(event|data): (.*)$/.exec(line)
            if (m) event[m[1] as 'event'] = m[2]
          }
          events.push(event)
        })
        resolve({ events, stream: req })
      })
      req.end()
    })
  }

  beforeAll(async () => {
    t = await startAgent(
      {
        store: { type: 'sqlite', path: 'data/noa.db' },
        metrics: { collectInterval: 60_000, storage: { enabled: false } },
        // The general body cap stays at its 64 KiB: a drill run has a cap of its own.
        api: { writeRateLimit: { limit: 100, windowMs: 60_000 } },
        services: [],
      },
      { apiToken: TOKEN },
    )
  })
  afterAll(async () => {
    await t?.close()
  })

  it('should keep a run under an id of its own, answer 201 with it and send it as a drill event', async () => {
    const { events, stream } = await listen()
    try {
      const sent = run(Date.UTC(2026, 11, 6, 10), [
        result(),
        result({
          fault: 'hang',
          outcome: 'escalated',
          repairMs: null,
          actions: [],
          falseAlerts: 1,
          detail: 'circuit open',
        }),
      ])
      const res = await post(sent)
      expect(res.status).toBe(201)
      const drill = res.body.drill as DrillRun
      expect(drill).toEqual({
        id: expect.stringMatching(/^drill_[0-9a-f]{12}_[0-9a-f]{16}$/),
        ...sent,
        recordedBy: 'admin',
      })
      const event = await until(() => events.find((e) => e.event === 'drill'), 5000, 'the drill event')
      expect(JSON.parse(event.data ?? '')).toEqual(drill)
      expect(await get(`/api/drills/${drill.id}`)).toMatchObject({ status: 200, body: { drill } })
    } finally {
      stream.destroy()
    }
  })

  it('should send a run over 64 KiB in its event without its results, and keep them all', async () => {
    const { events, stream } = await listen()
    try {
      const big = run(
        2000,
        Array.from({ length: 1000 }, (_, i) => result({ round: i + 1 })),
      )
      const res = await post(big)
      expect(res.status).toBe(201)
      const drill = res.body.drill as DrillRun
      const event = await until(() => events.find((e) => e.event === 'drill'), 5000, 'the drill event')
      expect(JSON.parse(event.data ?? '')).toEqual({ ...drill, results: [], omittedResults: 1000 })
      expect((event.data ?? '').length).toBeLessThan(1000)
      expect((await get(`/api/drills/${drill.id}`)).body.drill.results).toHaveLength(1000)
    } finally {
      stream.destroy()
    }
  })

  it('should refuse a write without the token, and bad runs with a 4xx JSON error naming the field', async () => {
    const ok = run(1000)
    expect((await post(ok, '')).status).toBe(401)
    expect((await post(ok, 'wrong-token')).status).toBe(401)
    const refused = async (body: unknown, status: number, error: RegExp, type?: string) => {
      const res = await post(body, TOKEN, type)
      expect(res.status).toBe(status)
      expect(res.body.error).toMatch(error)
    }
    await refused('{"startedAt":', 400, /not valid JSON/)
    // over the drill cap: refused from its content-length, before a byte of it is read
    const over = await new Promise<string>((resolve, reject) => {
      const req = request(`${t.url}/api/drills`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(2 * 1024 * 1024 + 1),
          authorization: `Bearer ${TOKEN}`,
        },
      })
      req.on('response', (res) => {
        let text = ''
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => {
          req.destroy()
          resolve(`${res.statusCode} ${text}`)
        })
      })
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(over).toBe('413 {"error":"body larger than 2097152 bytes"}')
    await refused(ok, 415, /content-type application\/json/, 'text/plain')
    await refused({}, 400, /startedAt: .*number/)
    await refused({ ...ok, finishedAt: 999 }, 400, /^finishedAt: must not be before startedAt$/)
    await refused({ ...ok, id: 'mine' }, 400, /Unrecognized key.*"id"/)
    await refused(run(1000, [result({ fault: 'meteor' as never })]), 400, /^results\.0\.fault: .*crash/)
    await refused(run(1000, [result({ outcome: 'won' as never })]), 400, /^results\.0\.outcome/)
    await refused(run(1000, [result({ detectMs: -1 })]), 400, /^results\.0\.detectMs/)
    await refused(run(1000, [result({ doubleActions: 1.5 })]), 400, /^results\.0\.doubleActions/)
    await refused(run(1000, [result({ service: 's'.repeat(257) })]), 400, /^results\.0\.service/)
    await refused(run(1000, [result({ actions: ['a'.repeat(257)] })]), 400, /^results\.0\.actions\.0/)
    await refused(run(1000, [result({ detail: 'd'.repeat(4001) })]), 400, /^results\.0\.detail/)
    await refused(
      run(
        1000,
        Array.from({ length: 1001 }, () => result()),
      ),
      400,
      /^results: .*1000/,
    )
    // Nothing refused was kept.
    expect((await get('/api/drills')).body.drills.map((d: DrillRun) => d.startedAt)).not.toContain(1000)
    expect(
      (
        await post(
          run(
            1000,
            Array.from({ length: 1000 }, () => result()),
          ),
        )
      ).status,
    ).toBe(201)
  })

  it('should list runs newest first and page through them with the cursor, none twice and none missed', async () => {
    const base = Date.UTC(2026, 11, 7)
    const ids: string[] = []
    // Two runs start in the same millisecond: the id orders them, so the cursor still moves on.
    for (const at of [base, base + 1, base + 1, base + 2, base + 3])
      ids.push(((await post(run(at))).body.drill as DrillRun).id)
    const seen: DrillRun[] = []
    let path = '/api/drills?limit=2'
    for (let pages = 0; pages < 10; pages++) {
      const { status, body } = await get(path)
      expect(status).toBe(200)
      seen.push(...body.drills)
      if (!body.nextCursor) break
      path = `/api/drills?limit=2&cursor=${body.nextCursor}`
    }
    const all = (await get('/api/drills')).body as { drills: DrillRun[]; nextCursor?: string }
    expect(all.nextCursor).toBeUndefined()
    expect(seen.map((d) => d.id)).toEqual(all.drills.map((d) => d.id))
    expect(new Set(seen.map((d) => d.id)).size).toBe(seen.length)
    expect(seen.slice(0, 5).map((d) => d.startedAt)).toEqual([base + 3, base + 2, base + 1, base + 1, base])
    expect(seen.slice(0, 5).map((d) => d.id)).toEqual(expect.arrayContaining(ids))
  })

  it('should answer bad paging and unknown runs with a JSON error', async () => {
    for (const [query, error] of [
      ['limit=0', /limit: expected a whole number from 1 to 200/],
      ['limit=201', /limit: expected a whole number from 1 to 200/],
      ['limit=abc', /limit/],
      ['cursor=nope', /cursor: not a cursor of this API/],
      ['before=1', /"before": unknown parameter; allowed: limit, cursor/],
      ['limit=1&limit=2', /limit: expected one value/],
    ] as const) {
      const res = await get(`/api/drills?${query}`)
      expect(res.status, query).toBe(400)
      expect(res.type).toMatch(/application\/json/)
      expect(res.body.error).toMatch(error)
    }
    const missing = await get('/api/drills/drill_nope')
    expect(missing).toEqual({
      status: 404,
      type: expect.stringMatching(/application\/json/),
      body: { error: 'unknown drill "drill_nope"' },
    })
    expect((await get(`/api/drills/${'x'.repeat(500)}`)).status).toBe(404)
  })

  // Last: it closes the agent's store.
  it('should answer 503 when the store cannot keep a run, and keep answering', async () => {
    await t.agent.store.close()
    const res = await post(run(5000))
    expect(res).toEqual({
      status: 503,
      body: { error: 'the drill cannot be stored now; try again when the store is back' },
    })
    expect((await get('/api/health')).status).toBe(200)
  })
})
