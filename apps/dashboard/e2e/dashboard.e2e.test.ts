import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Fleet } from './fleet.ts'
import { ensureBuilt, startFleet } from './fleet.ts'

const OUT = resolve(import.meta.dirname, '../test-output')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

describe('dashboard in Chromium against the real agent', () => {
  let dir: string
  let profile: string
  let fleet: Fleet | undefined
  let context: BrowserContext | undefined
  let page: Page
  /** What the page printed about its Content-Security-Policy (the agent sends a strict one). */
  const cspViolations: string[] = []

  beforeAll(async () => {
    ensureBuilt()
    mkdirSync(OUT, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'noa-e2e-'))
    profile = mkdtempSync(join(tmpdir(), 'noa-e2e-chromium-'))
    fleet = await startFleet(dir)
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on('console', (m) => {
      if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) cspViolations.push(m.text())
    })
  })

  afterAll(async () => {
    expect(cspViolations).toEqual([])
    await context?.close().catch(() => {})
    await fleet?.stop()
    rmSync(profile, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
  })

  const tile = (name: string) => page.getByTestId(`tile-${name}`)

  it('should show every service healthy, with live gauges and charts, within a second of data', async () => {
    // wait until the agent has checked the fleet and collected some metrics
    await expect
      .poll(async () => (await (await fetch(`${fleet!.url}/api/health`)).json()).overall, { timeout: 60_000 })
      .toBe('healthy')
    const started = Date.now()
    await page.goto(fleet!.url)
    await tile('alpha').getByText('Healthy').waitFor({ timeout: 10_000 })
    const firstRender = Date.now() - started
    console.log(`first render with data: ${firstRender} ms`)
    await page.getByTestId('connection').getByText('Live').waitFor()
    for (const name of ['alpha', 'beta', 'release']) await tile(name).getByText('Healthy').waitFor()
    await expect.poll(() => tile('beta').locator('dd').first().textContent()).toMatch(/\d+(\.\d+)? m?s$/)

    const cpu = page.getByTestId('gauge-cpu-usage').locator('meter')
    await expect.poll(() => cpu.getAttribute('aria-valuetext'), { timeout: 15_000 }).toMatch(/^\d+\.\d %, /)

    // charts draw lines from the range API once a few rounds are stored
    await expect
      .poll(() => page.getByTestId('chart-Throughput').locator('path.recharts-curve').count(), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0)
    await expect
      .poll(() => page.getByTestId('chart-CPU and memory').getByTestId('chart-summary').textContent(), {
        timeout: 30_000,
      })
      .toMatch(/Latest: CPU \d+ %, Memory \d+ %/)

    await page.getByRole('button', { name: '24 h' }).click()
    expect(await page.getByRole('button', { name: '24 h' }).getAttribute('aria-pressed')).toBe('true')
    await page.screenshot({ path: join(OUT, 'overview-1280x800.png'), fullPage: true })
  })

  it('should turn a killed service red, then green again once noa restarted it', async () => {
    // record every state the tile shows, however briefly
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[] }
      w.seen = []
      const read = () => {
        const state = document.querySelector('[data-testid="tile-beta"] .badge')?.getAttribute('data-state')
        if (state && w.seen.at(-1) !== state) w.seen.push(state)
      }
      new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true })
      read()
    })
    const pids = fleet!.demoPids(fleet!.ports.beta)
    expect(pids.length).toBeGreaterThan(0)
    for (const pid of pids) process.kill(pid, 'SIGKILL')
    const seen = () => page.evaluate(() => (window as unknown as { seen: string[] }).seen)
    await expect
      .poll(seen, { timeout: 30_000 })
      .toEqual(expect.arrayContaining([expect.stringMatching(/^(error|unhealthy)$/)]))
    await expect.poll(async () => (await seen()).at(-1), { timeout: 60_000 }).toBe('healthy')
    const states = await seen()
    console.log(`beta tile states: ${states.join(' -> ')}`)
    expect(states.findIndex((s) => s === 'error' || s === 'unhealthy')).toBeLessThan(
      states.lastIndexOf('healthy'),
    )
    expect(fleet!.demoPids(fleet!.ports.beta).some((p) => !pids.includes(p))).toBe(true)
    // the healing shows in the timeline
    await page
      .getByRole('region', { name: 'Healing timeline' })
      .getByText(/on beta/)
      .first()
      .waitFor({ timeout: 20_000 })
  })

  it('should approve a pending rollback with a token', async () => {
    const res = await fetch(`${fleet!.url}/api/heal/release`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ trigger: 'deployment-failure' }),
    })
    expect(res.status).toBe(202)
    const approvals = page.getByRole('region', { name: /Pending approvals/ })
    await approvals.getByText('rollback release').waitFor({ timeout: 20_000 })
    await approvals.getByText('Enter an API token to approve or reject.').waitFor()

    await page.getByLabel('API token (NOA_API_TOKEN) for actions').fill(fleet!.token)
    await page.getByRole('button', { name: 'Use token' }).click()
    // the agent says whose the token is (GET /api/whoami): NOA_API_TOKEN is an admin named admin
    await page.getByText('admin (admin)').waitFor()
    await approvals.getByRole('button', { name: 'Approve rollback of release' }).click()
    await approvals.getByText('Nothing waits for a decision.').waitFor({ timeout: 20_000 })
    await expect
      .poll(
        async () => {
          const body = await (await fetch(`${fleet!.url}/api/approvals`)).json()
          return body.approvals.find((a: { service: string }) => a.service === 'release')?.status
        },
        { timeout: 20_000 },
      )
      .toBe('approved')
    // the rollback ran once approved: its record shows the decision step and the outcome
    const record = page
      .getByRole('region', { name: 'Healing timeline' })
      .getByRole('listitem')
      .filter({ hasText: 'rollback on release' })
      .first()
    await record.getByText('Succeeded').waitFor({ timeout: 20_000 })
    await record.getByText(/approval approved/).waitFor()
  })

  it('should list the incident of the killed service and show its timeline, and take a note with the token', async () => {
    await page.goto(`${fleet!.url}/#/`)
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Incidents' }).click()
    // beta's crash (killed above) is one incident, with the healing that ended it.
    const row = page.getByRole('row').filter({ hasText: 'beta' }).first()
    await row.waitFor({ timeout: 20_000 })
    await row.getByRole('link', { name: /beta/ }).last().click()
    const timeline = page.getByRole('list', { name: 'Timeline' })
    await timeline.waitFor()
    await timeline.getByText('Healing').first().waitFor({ timeout: 20_000 })
    expect(await timeline.getByText('State').count()).toBeGreaterThan(0)
    await page.getByLabel('Add a note').fill('killed on purpose by the e2e suite')
    await page.getByRole('button', { name: 'Add note' }).click()
    await page.getByText('Note added.').waitFor()
    await timeline.getByText('killed on purpose by the e2e suite').waitFor({ timeout: 10_000 })
    await timeline.getByText('by admin').waitFor()
    await page.screenshot({ path: join(OUT, 'incident-1280x800.png'), fullPage: true })
  })

  it('should show a drill run recorded through POST /api/drills on the Drills page, live, and open its results', async () => {
    await page.goto(`${fleet!.url}/#/`)
    await tile('alpha').getByText('Healthy').waitFor()
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Drills' }).click()
    await page.getByRole('heading', { name: 'No drills yet' }).waitFor()
    await page.getByText('noa drill', { exact: true }).waitFor()
    await page.getByTestId('connection').getByText('Live').waitFor()

    const startedAt = Date.now() - 60_000
    const result = (fault: string, outcome: string, over: Record<string, unknown> = {}) => ({
      fault,
      service: 'beta',
      outcome,
      detectMs: 150,
      alertMs: 400,
      repairMs: 850,
      actions: ['restart'],
      doubleActions: 0,
      falseAlerts: 0,
      round: 1,
      ...over,
    })
    const res = await fetch(`${fleet!.url}/api/drills`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        startedAt,
        finishedAt: startedAt + 40_000,
        results: [
          result('crash', 'healed'),
          result('hang', 'escalated', { repairMs: null, actions: [], detail: 'circuit open' }),
          result('dependency-down', 'failed', { service: 'alpha', alertMs: null, repairMs: null }),
        ],
      }),
    })
    expect(res.status).toBe(201)
    const { drill } = (await res.json()) as { drill: { id: string } }

    // No reload: the drill event puts the run on the page.
    const row = page.getByTestId(`drill-${drill.id}`)
    await row.waitFor({ timeout: 10_000 })
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('crash, hang, dependency-down')
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('beta, alpha')
    expect(await row.getByRole('cell').nth(3).textContent()).toBe('✓1 healed⚑1 escalated✕1 failed')
    await row.getByRole('button', { name: 'Show 3 results' }).click()
    const results = page.getByRole('table', { name: /^Results of the drill of / })
    await results.waitFor()
    expect(await results.getByRole('row').count()).toBe(4)
    await results.getByRole('cell', { name: 'circuit open' }).waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await page.screenshot({ path: join(OUT, 'drills-1280x800.png'), fullPage: true })
  })

  it("should start maintenance from a service's page, show it on its tile, end it, and show the service's SLO", async () => {
    await page.goto(`${fleet!.url}/#/`)
    await tile('alpha').getByText('Healthy').waitFor()
    await tile('alpha').getByRole('link').click()
    await page.getByRole('heading', { name: 'alpha' }).waitFor()

    // The SLO panel: alpha's availability objective, with its budget once computed.
    const slo = page.getByTestId('slo-availability')
    await slo.getByText('99.5 % over 30 d').waitFor({ timeout: 20_000 })
    await expect
      .poll(() => slo.getByRole('meter').getAttribute('aria-label'), { timeout: 20_000 })
      .toMatch(/^Error budget left: \d+(\.\d)? %$/)

    // The token entered above is kept: the form opens a window as admin.
    const panel = page.getByTestId('maintenance-panel')
    await panel.getByLabel('For', { exact: true }).selectOption('60')
    await panel.getByPlaceholder('Why (e.g. disk swap)').fill('disk swap by the e2e suite')
    await panel.getByRole('button', { name: 'Start maintenance' }).click()
    await panel.getByText('Maintenance started.').waitFor()
    await panel.getByText('disk swap by the e2e suite').waitFor({ timeout: 10_000 })
    await panel.getByText(/opened by admin/).waitFor()
    const open = (await (await fetch(`${fleet!.url}/api/maintenance`)).json()) as {
      maintenance: { services: string[]; state: string; createdBy: string; endsAt: number }[]
    }
    const window = open.maintenance.find((w) => w.services.includes('alpha') && w.state === 'active')
    expect(window?.createdBy).toBe('admin')
    expect(Math.round((window!.endsAt - Date.now()) / 60_000)).toBe(60)

    // The overview marks the tile.
    await page.goto(`${fleet!.url}/#/`)
    await tile('alpha').getByText('Maintenance').waitFor({ timeout: 10_000 })
    await page.screenshot({ path: join(OUT, 'maintenance-1280x800.png'), fullPage: true })

    await tile('alpha').getByRole('link').click()
    await panel.getByRole('button', { name: 'End maintenance' }).click()
    await panel.getByText('Maintenance ended.').waitFor()
    await panel.getByRole('button', { name: 'Start maintenance' }).waitFor({ timeout: 10_000 })
    await page.goto(`${fleet!.url}/#/`)
    await tile('alpha').getByText('Healthy').waitFor()
    expect(await tile('alpha').getByText('Maintenance').count()).toBe(0)
  })

  it('should open a service page and fit a phone screen', async () => {
    // keyboard first, on a fresh page (the same URL with a hash would keep the earlier focus):
    // the skip link, then the brand, then the controls
    await page.goto(`${fleet!.url}/#/`)
    await page.reload()
    await tile('alpha').getByText('Healthy').waitFor()
    const focused = () => page.evaluate(() => document.activeElement?.textContent)
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('Skip to content')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('noa')

    await tile('alpha').getByRole('link').click()
    await page.getByRole('heading', { name: 'alpha' }).waitFor()
    await page.getByRole('heading', { name: 'Checks' }).waitFor()
    await page.getByRole('button', { name: 'Heal alpha now' }).waitFor()
    await page.screenshot({ path: join(OUT, 'service-1280x800.png'), fullPage: true })

    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${fleet!.url}/#/`)
    await tile('alpha').getByText('Healthy').waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await page.screenshot({ path: join(OUT, 'overview-390x844.png'), fullPage: true })
  })

  it('should keep the last values, marked stale, when the agent goes away', async () => {
    await page.getByTestId('connection').getByText('Live').waitFor()
    await fleet!.stop()
    await page
      .getByTestId('connection')
      .getByText(/Agent unreachable — stale, showing values from/)
      .waitFor({
        timeout: 30_000,
      })
    expect(await tile('alpha').isVisible()).toBe(true)
    expect(await page.getByRole('main').getAttribute('class')).toBe('is-stale')
    await page.screenshot({ path: join(OUT, 'stale-390x844.png'), fullPage: true })
  })
})
