import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  FleetService,
  FleetServicesBody,
  ServicesDeltaEvent,
  SummaryBody,
} from '../src/http/api-types.ts'
import { onFrames, startAgent, type TestAgent, until } from './helpers.ts'

/** One real HTTP server for a whole fleet: `/health/<name>` answers 200, or 503 for a name in `down`. */
async function startFleetServer() {
  const down = new Set<string>()
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent(req.url?.slice('/health/'.length) ?? '')
    res.writeHead(down.has(name) ? 503 : 200).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    down,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

const name = (i: number) => `svc-${String(i).padStart(4, '0')}`

function fleetConfig(base: string, n: number, interval: number, refreshInterval = 5000) {
  return {
    healthChecks: { interval, retries: 0, timeout: Math.min(interval, 10_000), concurrency: 128 },
    dashboard: { port: 0, refreshInterval },
    metrics: { enabled: false },
    services: Array.from({ length: n }, (_, i) => ({
      name: name(i),
      critical: i % 100 === 0,
      group: `team-${i % 4}`,
      tags: i % 2 === 0 ? ['even', `mod5-${i % 5}`] : ['odd', `mod5-${i % 5}`],
      check: { type: 'http', url: `${base}/health/${name(i)}` },
    })),
  }
}

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json()) as T }
}

describe('GET /api/services and /api/summary over HTTP', () => {
  // Big enough for several pages; every change of state makes the agent judge its rules over
  // the whole fleet, so the first round of a much bigger one is slow (outside this suite's reach).
  const N = 600
  const down = Array.from({ length: N / 250 + 1 }, (_, k) => k * 250).filter((i) => i < N)
  let fleet: Awaited<ReturnType<typeof startFleetServer>>
  let t: TestAgent
  beforeAll(async () => {
    fleet = await startFleetServer()
    for (const i of down) fleet.down.add(name(i))
    t = await startAgent(fleetConfig(fleet.base, N, 600_000))
    await until(
      async () => (await get<SummaryBody>(`${t.url}/api/summary`)).body.counts.unknown === 0,
      30_000,
      'every service to be checked once',
    )
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await fleet?.close()
  })

  it('should page through all services with the cursor, each once, in name order', async () => {
    for (const limit of [250, 111]) {
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const query: string = cursor ? `&cursor=${cursor}` : ''
        const page = await get<FleetServicesBody>(`${t.url}/api/services?limit=${limit}${query}`)
        expect(page.status).toBe(200)
        expect(page.body.total).toBe(N)
        expect(page.body.services.length).toBeLessThanOrEqual(limit)
        seen.push(...page.body.services.map((s) => s.name))
        cursor = page.body.next
        pages++
      } while (cursor !== null)
      expect(pages).toBe(Math.ceil(N / limit))
      expect(seen).toEqual(Array.from({ length: N }, (_, i) => name(i)))
    }
    const first = await get<FleetServicesBody>(`${t.url}/api/services`)
    expect(first.body.services).toHaveLength(100) // the default page
  })

  it('should filter by state, critical, tags, group and part of the name, together', async () => {
    const names = async (query: string) => {
      const r = await get<FleetServicesBody>(`${t.url}/api/services?limit=1000&${query}`)
      expect(r.status).toBe(200)
      expect(r.body.total).toBe(r.body.services.length)
      return r.body.services.map((s) => s.name)
    }
    expect(await names('state=unhealthy,error')).toEqual(down.map(name))
    expect(await names('state=unhealthy&state=error&critical=true')).toEqual(
      down.filter((i) => i % 100 === 0).map(name),
    )
    expect((await names('critical=false')).length).toBe(N - N / 100)
    expect(await names('tag=even,mod5-0&group=team-0&q=SVC-00')).toEqual(
      Array.from({ length: 100 }, (_, i) => i)
        .filter((i) => i % 10 === 0 && i % 4 === 0)
        .map(name),
    )
    expect(await names('tag=even&tag=odd')).toEqual([])
    const one = await get<FleetServicesBody>(`${t.url}/api/services?q=svc-0250`)
    expect(one.body.services[0]).toMatchObject({
      name: 'svc-0250',
      state: 'unhealthy',
      critical: false,
      group: 'team-2',
      tags: ['even', 'mod5-0'],
      circuit: 'closed',
      degraded: false,
    } satisfies Partial<FleetService>)
    expect(one.body.services[0]?.message).toMatch(/503/)
    expect(typeof one.body.services[0]?.latencyMs).toBe('number')
  })

  it('should answer 400 with a JSON error for a bad parameter, and never the whole fleet', async () => {
    const cases: Array<[string, RegExp]> = [
      ['limit=0', /^limit: expected a whole number from 1 to 1000; found "0"$/],
      ['limit=1001', /^limit:/],
      ['limit=ten', /^limit:/],
      ['limit=1&limit=2', /^limit: expected one value; found 2$/],
      ['state=down', /^state: expected healthy, unhealthy, error, unknown; found "down"$/],
      ['critical=yes', /^critical: expected true or false/],
      ['cursor=%2F%2F', /^cursor: not a cursor of this API/],
      [`cursor=${Buffer.from('zz').toString('base64url')}`, /^cursor:/],
      ['tag=has%20space', /^tag: expected a tag/],
      [`tag=${Array.from({ length: 33 }, (_, i) => `t${i}`).join(',')}`, /^tag: at most 32 tags; found 33$/],
      ['group=a,b', /^group:/],
      [`q=${'x'.repeat(65)}`, /^q: expected at most 64 characters; found 65$/],
      ['sate=healthy', /^"sate": unknown parameter; allowed: state, critical, tag, group, q, cursor, limit$/],
    ]
    for (const [query, error] of cases) {
      const res = await fetch(`${t.url}/api/services?${query}`)
      expect([query, res.status, res.headers.get('content-type')]).toEqual([
        query,
        400,
        expect.stringMatching(/^application\/json/),
      ])
      expect((await res.json()) as { error: string }).toEqual({ error: expect.stringMatching(error) })
    }
  })

  it('should count the fleet without listing it', async () => {
    const res = await fetch(`${t.url}/api/summary`)
    const summary = (await res.json()) as SummaryBody
    expect(summary).toMatchObject({
      health: 'unhealthy', // svc-0000, a critical service, is down
      total: N,
      counts: { healthy: N - down.length, unhealthy: down.length, error: 0, unknown: 0 },
      down: down.length,
      criticalDown: down.filter((i) => i % 100 === 0).length,
      maintenance: 0,
      ungrouped: 0,
      omitted: { groups: 0, tags: 0 },
      alerts: { firing: expect.any(Number), pending: expect.any(Number) },
    })
    // down: 0, 250 and 500, of teams 0, 2 and 0
    expect(summary.groups).toEqual([
      { name: 'team-0', total: 150, down: 2, unknown: 0, maintenance: 0 },
      { name: 'team-1', total: 150, down: 0, unknown: 0, maintenance: 0 },
      { name: 'team-2', total: 150, down: 1, unknown: 0, maintenance: 0 },
      { name: 'team-3', total: 150, down: 0, unknown: 0, maintenance: 0 },
    ])
    expect(summary.tags.map((tag) => [tag.name, tag.total, tag.down])).toEqual([
      ['even', 300, 3],
      ['mod5-0', 120, 3],
      ['mod5-1', 120, 0],
      ['mod5-2', 120, 0],
      ['mod5-3', 120, 0],
      ['mod5-4', 120, 0],
      ['odd', 300, 0],
    ])
    expect(JSON.stringify(summary).length).toBeLessThan(4096)
  })
})

/** A real event-stream client: every event, parsed. */
function listen(url: string) {
  const events: Array<{ event: string; data: unknown }> = []
  const req = request(url, { headers: { accept: 'text/event-stream' } }, (res) => {
    onFrames(res, (frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1]
      const data = /^data: (.*)$/m.exec(frame)?.[1]
      if (event && data) events.push({ event, data: JSON.parse(data) })
    })
  })
  req.on('error', () => undefined)
  req.end()
  return { events, close: () => req.destroy() }
}

describe('fleet events on /api/sse', () => {
  const N = 60
  let fleet: Awaited<ReturnType<typeof startFleetServer>>
  let t: TestAgent
  beforeAll(async () => {
    fleet = await startFleetServer()
    t = await startAgent(fleetConfig(fleet.base, N, 300, 400))
    await until(
      async () => (await get<SummaryBody>(`${t.url}/api/summary`)).body.counts.healthy === N,
      20_000,
      'every service healthy',
    )
  }, 30_000)
  afterAll(async () => {
    await t?.close()
    await fleet?.close()
  })

  const deltas = (events: Array<{ event: string; data: unknown }>) =>
    events.flatMap((e) =>
      e.event === 'service'
        ? [[e.data as FleetService]]
        : e.event === 'services'
          ? [(e.data as ServicesDeltaEvent).services]
          : [],
    )

  it('should send the changed services only, a burst in a few frames, and the summary each tick', async () => {
    const client = listen(`${t.url}/api/sse`)
    try {
      await until(() => client.events.some((e) => e.event === 'summary'), 5000, 'a summary event')
      const start = client.events.length
      for (const i of [3, 17, 42]) fleet.down.add(name(i))
      await until(
        () =>
          new Set(
            deltas(client.events.slice(start))
              .flat()
              .filter((s) => s.state === 'unhealthy')
              .map((s) => s.name),
          ).size === 3,
        10_000,
        'the three changes',
      )
      const sent = deltas(client.events.slice(start)).flat()
      expect([...new Set(sent.map((s) => s.name))].sort()).toEqual([name(3), name(17), name(42)])
      // A status event with every service is still sent to a fleet this small; the summary too.
      await until(
        () =>
          client.events
            .slice(start)
            .some((e) => e.event === 'summary' && (e.data as SummaryBody).counts.unhealthy === 3),
        5000,
        'a summary that counts them',
      )
      expect(client.events.map((e) => e.event)).toContain('status')

      // Every service goes down at once: a handful of frames, not one per service.
      const burst = client.events.length
      for (let i = 0; i < N; i++) fleet.down.add(name(i))
      await until(
        () =>
          client.events.some((e) => e.event === 'summary' && (e.data as SummaryBody).counts.healthy === 0),
        10_000,
        'the whole fleet down',
      )
      await new Promise((r) => setTimeout(r, 500)) // the last burst's coalescing window
      const frames = deltas(client.events.slice(burst))
      expect(new Set(frames.flat().map((s) => s.name)).size).toBe(N - 3)
      expect(frames.length).toBeLessThanOrEqual(6)
    } finally {
      client.close()
    }
  })
})

describe('a fleet of 10,000 services', () => {
  const N = 10_000
  let t: TestAgent
  beforeAll(async () => {
    // Configured, not checked: this measures the answers and events, not the checks.
    const config = fleetConfig('http://127.0.0.1:9', N, 3_600_000, 300)
    t = await startAgent({ ...config, healthChecks: { ...config.healthChecks, enabled: false } })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
  })

  it('should page through it in 10 answers of 1000 and count it, each quickly', async () => {
    let cursor: string | null = null
    let seen = 0
    let slowest = 0
    do {
      const started = performance.now()
      const query: string = cursor ? `&cursor=${cursor}` : ''
      const page = await get<FleetServicesBody>(`${t.url}/api/services?limit=1000${query}`)
      slowest = Math.max(slowest, performance.now() - started)
      seen += page.body.services.length
      cursor = page.body.next
    } while (cursor !== null)
    expect(seen).toBe(N)
    // Generous for a busy 2-core machine; a sort of the fleet per request would still pass,
    // a walk over every service's full status per request would not.
    expect(slowest).toBeLessThan(1000)
    const summary = await get<SummaryBody>(`${t.url}/api/summary`)
    expect(summary.body).toMatchObject({ total: N, counts: { unknown: N } })
    expect(summary.body.groups).toHaveLength(4)
  })

  it('should send the summary each tick and no status event with 10,000 services in it', async () => {
    const client = listen(`${t.url}/api/sse`)
    try {
      await until(() => client.events.filter((e) => e.event === 'summary').length >= 2, 5000, 'two summaries')
      expect(client.events.map((e) => e.event)).not.toContain('status')
    } finally {
      client.close()
    }
  })
})
