import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardUrl, ensureBuilt, spawnAgent } from './fleet.ts'

const OUT = resolve(import.meta.dirname, '../test-output')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * The public status page of a real agent (the built CLI, its own process, SQLite) in headless
 * Chromium: one service marked public, one not. No token is sent.
 */
describe('public status page in Chromium against the real agent', () => {
  let dir: string
  let profile: string
  let target: Server
  let stopAgent: (() => Promise<void>) | undefined
  let output: () => string = () => ''
  let url: string
  let context: BrowserContext | undefined
  let page: Page
  const cspViolations: string[] = []

  beforeAll(async () => {
    ensureBuilt()
    dir = mkdtempSync(join(tmpdir(), 'noa-e2e-status-'))
    profile = mkdtempSync(join(tmpdir(), 'noa-e2e-status-chromium-'))
    // Both services answer healthy from this process: the page's content is what is tested.
    target = createServer((_req, res) => res.writeHead(200).end('{"status":"healthy"}'))
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r))
    const health = `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`
    const spawned = spawnAgent(dir, {
      healthChecks: { enabled: true, interval: 500, timeout: 1000, retries: 0 },
      alerting: { enabled: false, channels: {} },
      metrics: { enabled: true, collectInterval: 500, storage: { path: join(dir, 'data/metrics') } },
      dashboard: { enabled: true, host: '127.0.0.1', port: 0 },
      statusPage: { title: 'Acme <status>', description: 'Live status of the Acme shop' },
      services: [
        { name: 'storefront', group: 'Shop', public: true, check: { type: 'http', url: health } },
        { name: 'billing-internal', group: 'back-office', check: { type: 'http', url: health } },
      ],
      store: { type: 'sqlite', path: join(dir, 'data/noa.db') },
      logs: { dir: join(dir, 'logs'), level: 'info', retentionDays: 1 },
    })
    output = spawned.output
    const { child } = spawned
    stopAgent = async () => {
      if (child.exitCode !== null || !child.pid) return
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(child.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))])
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    }
    url = await dashboardUrl(child, output)
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on('console', (m) => {
      if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) cspViolations.push(m.text())
    })
  })

  afterAll(async () => {
    await context?.close().catch(() => {})
    await stopAgent?.()
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()))
    rmSync(profile, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
  })

  it('should show the public service with its 90 daily bars and uptime, and nothing of the private one', async () => {
    // Wait until metrics rounds have stored the service's samples and a page computed after
    // its first check is served (pages are cached for 30 s): the JSON says when.
    await expect
      .poll(
        async () => {
          const body = await (await fetch(`${url}/api/status-page`)).json()
          const service = body.groups?.[0]?.services?.[0]
          return service?.state === 'operational' && service.days.at(-1).uptime !== null
        },
        { timeout: 90_000, interval: 2000 },
      )
      .toBe(true)
      .catch((error: unknown) => {
        throw new Error(`${String(error)}\nagent output:\n${output()}`)
      })

    const res = await page.goto(`${url}/status`)
    expect(res?.status()).toBe(200)
    expect(await page.title()).toBe('Acme <status>')
    await page.getByRole('heading', { name: 'Acme <status>' }).waitFor()
    await page.getByText('Live status of the Acme shop').waitFor()
    const banner = page.getByRole('status')
    expect(await banner.textContent()).toBe('All systems operational')
    // The inline stylesheet is allowed by its hash: the banner is painted green, not unstyled.
    expect(await banner.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(47, 179, 107)')

    const service = page.locator('[data-service="storefront"]')
    await service.waitFor()
    expect(await page.getByRole('heading', { name: 'Shop' }).count()).toBe(1)
    expect(await service.locator('.state').textContent()).toBe('Operational')
    const bars = service.locator('.bar')
    expect(await bars.count()).toBe(90)
    const today = new Date().toISOString().slice(0, 10)
    // Up since its first check; the rounds before it stored nothing (not checked is not down).
    expect(await bars.last().getAttribute('title')).toBe(`${today}: 100.000 % uptime`)
    expect(await bars.last().getAttribute('class')).toBe('bar up')
    expect(await bars.first().getAttribute('class')).toBe('bar none')
    expect(await bars.first().getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2}: no data$/)
    // Bars have a size: the page is laid out, not a pile of empty spans.
    const box = await bars.last().boundingBox()
    expect(box?.height).toBeGreaterThan(20)
    expect(box?.width).toBeGreaterThan(2)
    expect(await service.locator('.uptime').textContent()).toBe(
      '24 hours 100 %7 days 100 %30 days 100 %90 days 100 %',
    )
    expect(await page.getByText('No incidents reported.').count()).toBe(1)

    const html = await page.content()
    expect(html).not.toContain('billing-internal')
    expect(html).not.toContain('back-office')
    expect(await page.locator('[data-service]').count()).toBe(1)
    // It reloads itself every minute, without a script.
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('60')
    expect(await page.locator('script').count()).toBe(0)
    expect(cspViolations).toEqual([])
    mkdirSync(OUT, { recursive: true })
    await page.screenshot({ path: join(OUT, 'status-page-1100x900.png'), fullPage: true })
  })
})
