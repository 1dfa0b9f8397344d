import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SECURITY_HEADERS } from '../src/http/protect.ts'
import { STATUS_PAGE_CSP } from '../src/status-page/html.ts'
import type { StatusPageBody } from '../src/status-page/types.ts'
import { type FakeService, startAgent, startService, type TestAgent } from './helpers.ts'

const TOKEN = 'status-page-token-0123456789'
const DAY = 86_400_000

describe('public status page API', () => {
  let svc: FakeService
  let t: TestAgent

  beforeAll(async () => {
    svc = await startService()
    const check = { type: 'http', url: `${svc.url}/health` }
    t = await startAgent(
      {
        statusPage: { title: 'Acme status' },
        services: [
          { name: 'storefront', group: 'shop', public: true, check },
          { name: 'search', public: true, check },
          { name: 'billing-db', group: 'back-office', check },
          { name: 'payroll', group: 'shop', public: false, check },
        ],
      },
      { apiToken: TOKEN, start: false },
    )
    // Two days of samples for every service: the private ones must change nothing.
    const now = Date.now()
    const samples = []
    for (const service of ['storefront', 'search', 'billing-db', 'payroll'])
      for (let at = now - 2 * DAY; at < now; at += 600_000)
        samples.push({ name: 'noa_service_up', labels: { service }, value: service === 'search' ? 0 : 1, at })
    await t.agent.store.samples.append(samples)
  })
  afterAll(async () => {
    await t?.close()
    await svc?.close()
  })

  it('should answer only the public services, grouped, without a token, though writes need one', async () => {
    const res = await fetch(`${t.url}/api/status-page`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=30')
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name)).toBe(value)
    const text = await res.text()
    const body = JSON.parse(text) as StatusPageBody
    expect(body.title).toBe('Acme status')
    expect(body.groups.map((g) => [g.name, g.services.map((s) => s.name)])).toEqual([
      ['shop', ['storefront']],
      [null, ['search']],
    ])
    // Not started: no check yet, so the state is unknown; the samples give the uptime.
    expect(body.groups[0]?.services[0]?.state).toBe('unknown')
    expect(body.groups[0]?.services[0]?.uptime['7d']).toBe(100)
    expect(body.groups[1]?.services[0]?.uptime['24h']).toBe(0)
    expect(body.groups[0]?.services[0]?.days).toHaveLength(90)
    expect(body.status).toBe('operational')
    expect(body.incidents).toEqual([])
    // Nothing of the private services: not their names, not their group, not how many there are.
    expect(text).not.toMatch(/billing|payroll|back-office/)
    expect(text).not.toMatch(/"total"|"count"/)
    // A write still needs the token.
    expect((await fetch(`${t.url}/api/reload`, { method: 'POST' })).status).toBe(401)
  })

  it('should serve the cached page to a flood of readers, computed once', async () => {
    const first = (await (await fetch(`${t.url}/api/status-page`)).json()) as StatusPageBody
    const bodies = await Promise.all(
      Array.from(
        { length: 50 },
        async () => (await (await fetch(`${t.url}/api/status-page`)).json()) as StatusPageBody,
      ),
    )
    expect(new Set(bodies.map((b) => b.generatedAt))).toEqual(new Set([first.generatedAt]))
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(metrics).toMatch(/^noa_status_page_computations_total\{outcome="ok"\} 1$/m)
  })

  it('should answer a bad query with a 400 JSON error', async () => {
    const res = await fetch(`${t.url}/api/status-page?limit=5`)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({ error: '"limit": unknown parameter; this page takes none' })
  })

  it('should serve /status as HTML with the page and nothing of the private services', async () => {
    const res = await fetch(`${t.url}/status`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(res.headers.get('content-security-policy')).toBe(STATUS_PAGE_CSP)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await res.text()
    expect(html).toContain('<title>Acme status</title>')
    expect(html).toContain('data-service="storefront"')
    expect(html).toContain('data-service="search"')
    expect(html.match(/class="bar /g)).toHaveLength(2 * 90)
    expect(html).not.toMatch(/billing|payroll|back-office/)
  })
})
