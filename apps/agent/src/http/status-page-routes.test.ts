import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { STATUS_PAGE_CSP } from '../status-page/html.ts'
import type { StatusPageBody } from '../status-page/types.ts'
import { PUBLIC_PATHS, registerStatusPageRoutes } from './status-page-routes.ts'

const DAY = 86_400_000
const AT = Date.parse('2026-03-10T12:00:00.000Z')

/** A page whose every text tries to break out of the HTML. */
const hostile: StatusPageBody = {
  title: '</title><script>alert(1)</script>',
  description: '"><img src=x onerror=alert(2)>',
  generatedAt: AT,
  status: 'partial_outage',
  banner: 'Partial outage',
  groups: [
    {
      name: '<b>web</b>',
      services: [
        {
          name: 'api" onmouseover="alert(3)',
          state: 'outage',
          uptime: { '24h': 99.5, '7d': 100, '30d': null, '90d': 12.345 },
          days: [
            { date: '2026-03-09', uptime: null },
            { date: '2026-03-10', uptime: 99.95 },
          ],
        },
      ],
    },
  ],
  incidents: [
    {
      id: 'i1',
      service: 'api',
      title: '<script>alert(4)</script>',
      severity: 'critical',
      state: 'resolved',
      openedAt: AT - DAY,
      resolvedAt: AT - DAY + 3_600_000,
      updates: [{ at: AT - DAY, kind: 'opened', text: "it's <down> & out" }],
    },
  ],
}

function appWith(page: () => Promise<StatusPageBody>) {
  const app = new Hono()
  registerStatusPageRoutes(app, { page })
  return app
}

describe('registerStatusPageRoutes', () => {
  it('should name the two public paths for the token check to let through', () => {
    expect(PUBLIC_PATHS).toEqual(['/status', '/api/status-page'])
  })

  it('should answer the page as JSON, cacheable for 30 s', async () => {
    const res = await appWith(async () => hostile).request('/api/status-page')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=30')
    expect(await res.json()).toEqual(hostile)
  })

  it('should refuse any query parameter with a 400 JSON error', async () => {
    for (const path of ['/api/status-page?service=secret', '/status?x=1']) {
      const res = await appWith(async () => hostile).request(path)
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({ error: expect.stringMatching(/unknown parameter/) })
    }
  })

  it('should answer 503 without the cause when the page cannot be computed', async () => {
    const app = appWith(async () => {
      throw new Error('SQLITE_CANTOPEN /srv/noa/private/noa.db')
    })
    const json = await app.request('/api/status-page')
    expect(json.status).toBe(503)
    const body = await json.text()
    expect(JSON.parse(body)).toEqual({ error: 'the status page cannot be computed now; try again later' })
    const html = await app.request('/status')
    expect(html.status).toBe(503)
    expect(html.headers.get('retry-after')).toBe('30')
    expect(body + (await html.text())).not.toContain('/srv/noa')
  })

  it('should render every text escaped, with its own strict policy and no script', async () => {
    const res = await appWith(async () => hostile).request('/status')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(res.headers.get('content-security-policy')).toBe(STATUS_PAGE_CSP)
    expect(STATUS_PAGE_CSP).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*';/)
    const html = await res.text()
    expect(html).not.toMatch(/<script|<img|<b>web|" onmouseover/)
    expect(html).toContain('<h3>&lt;b&gt;web&lt;/b&gt;</h3>')
    expect(html).toContain('<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>')
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;')
    expect(html).toContain('data-service="api&quot; onmouseover=&quot;alert(3)"')
    expect(html).toContain('it&#39;s &lt;down&gt; &amp; out')
    expect(html).toContain('<div class="banner partial_outage" role="status">Partial outage</div>')
    expect(html).toContain('<span class="bar none" title="2026-03-09: no data"></span>')
    expect(html).toContain('<span class="bar up" title="2026-03-10: 99.950 % uptime"></span>')
    expect(html).toContain('<span>24 hours <b>99.50 %</b></span><span>7 days <b>100 %</b></span>')
    expect(html).toContain('<span>30 days <b>no data</b></span><span>90 days <b>12.35 %</b></span>')
    expect(html).toContain('2026-03-09 12:00 UTC – 2026-03-09 13:00 UTC')
    expect(html).toContain('<meta http-equiv="refresh" content="60">')
  })
})
