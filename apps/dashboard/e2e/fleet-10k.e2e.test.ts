import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BigFleet, fleetName, startBigFleet } from './big-fleet.ts'
import { ensureBuilt } from './fleet.ts'

const OUT = resolve(import.meta.dirname, '../test-output')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const COUNT = 10_000

interface Summary {
  counts: { healthy: number }
}

/**
 * The dashboard against a real agent that has 10,000 services whose checks run: their first
 * checks spread at 100 a second (`firstRunRate`), so the list loads while states change and
 * the `services` deltas arrive, as it would after an agent's restart.
 */
describe('dashboard with 10,000 services in Chromium', () => {
  let dir: string
  let profile: string
  let fleet: BigFleet | undefined
  let context: BrowserContext | undefined
  let page: Page
  const timings: Record<string, number> = {}

  beforeAll(async () => {
    ensureBuilt()
    mkdirSync(OUT, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'noa-e2e-10k-'))
    profile = mkdtempSync(join(tmpdir(), 'noa-e2e-10k-chromium-'))
    try {
      fleet = await startBigFleet(dir, COUNT, { checks: true })
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 900 },
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
      })
      page = context.pages()[0] ?? (await context.newPage())
      // Notes, on the page's own clock (0 = the start of the navigation), when the first row of
      // the list is in the document: no polling delay of the test runner in the figure.
      await page.addInitScript(() => {
        const w = window as unknown as { firstRowAt?: number }
        new MutationObserver((_records, observer) => {
          if (w.firstRowAt === undefined && document.querySelector('[data-testid^="row-"]')) {
            w.firstRowAt = performance.now()
            observer.disconnect()
          }
        }).observe(document, { childList: true, subtree: true })
      })
    } catch (error) {
      await context?.close().catch(() => {})
      await fleet?.stop()
      throw error
    }
  })

  afterAll(async () => {
    await context?.close().catch(() => {})
    await fleet?.stop()
    rmSync(profile, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
    writeFileSync(join(OUT, 'fleet-10k-timings.json'), `${JSON.stringify(timings, null, 2)}\n`)
    console.log('fleet-10k timings (ms):', JSON.stringify(timings))
  })

  const count = () => page.getByTestId('fleet-count')

  it('should draw the first rows of the list within 2 s of navigation, then load all 10,000', async () => {
    const started = Date.now()
    await page.goto(`${fleet!.url}/#/`)
    await page.getByTestId(`row-${fleetName(0)}`).waitFor({ state: 'visible', timeout: 10_000 })
    timings.firstRowsWall = Date.now() - started
    timings.firstRowsInPage = Math.round(
      await page.evaluate(() => (window as unknown as { firstRowAt: number }).firstRowAt),
    )
    expect(timings.firstRowsInPage).toBeLessThan(2000)
    // The runner's view (launch of the navigation to the row seen by a polling locator) adds
    // Chromium's own start of the navigation and the locator's polling: on a loaded CI machine
    // 1.4 s over the page's figure (2502 ms against 1073 ms). Bounded loosely: a list that took
    // seconds to come would still show here.
    expect(timings.firstRowsWall).toBeLessThan(5000)
    // On screen, not only in the document: the list comes right after the counts.
    const first = await page.getByTestId(`row-${fleetName(0)}`).boundingBox()
    expect(first!.y + first!.height).toBeLessThanOrEqual(900)
    expect(await page.getByTestId('fleet-summary').getByText('Services').locator('..').textContent()).toBe(
      `Services${COUNT}`,
    )
    await expect.poll(() => count().textContent(), { timeout: 20_000 }).toBe(`${COUNT} services`)
    timings.allLoadedWall = Date.now() - started
    // Only a screenful of rows is in the document, not 10,000.
    const drawn = await page.locator('[data-testid="fleet-list"] li').count()
    expect(drawn).toBeGreaterThan(5)
    expect(drawn).toBeLessThan(60)
    await page.screenshot({ path: join(OUT, 'fleet-10k-1280x900.png') })
    // The checks run meanwhile: services turn healthy while the list is on screen.
    await expect
      .poll(
        async () => ((await (await fetch(`${fleet!.url}/api/summary`)).json()) as Summary).counts.healthy,
        {
          timeout: 20_000,
        },
      )
      .toBeGreaterThan(0)
  })

  it('should scroll to the middle and the end with rows drawn within 200 ms', async () => {
    await expect.poll(() => count().textContent(), { timeout: 20_000 }).toBe(`${COUNT} services`)
    const scrollTo = (fraction: number) =>
      page.evaluate(async (f) => {
        const box = document.querySelector<HTMLElement>('[data-testid="fleet-list"]')!
        const start = performance.now()
        const before = box.querySelector('li')?.textContent
        box.scrollTop = Math.round((box.scrollHeight - box.clientHeight) * f)
        // Waits frame by frame until the drawn rows are the ones of the new place.
        for (;;) {
          await new Promise((r) => requestAnimationFrame(r))
          const first = box.querySelector('li')
          const rect = first?.getBoundingClientRect()
          const boxRect = box.getBoundingClientRect()
          const inView = [...box.querySelectorAll('li')].some((li) => {
            const r = li.getBoundingClientRect()
            return r.bottom > boxRect.top && r.top < boxRect.bottom
          })
          if (first && rect && first.textContent !== before && inView) break
          if (performance.now() - start > 5000) break
        }
        return {
          ms: performance.now() - start,
          last: [...box.querySelectorAll('[data-testid^="row-"]')].at(-1)?.getAttribute('data-testid'),
        }
      }, fraction)
    const middle = await scrollTo(0.5)
    const end = await scrollTo(1)
    timings.scrollMiddle = Math.round(middle.ms)
    timings.scrollEnd = Math.round(end.ms)
    expect(end.last).toBe(`row-${fleetName(COUNT - 1)}`) // team-19 is the last group, 9999 its last service
    expect(middle.ms).toBeLessThan(200)
    expect(end.ms).toBeLessThan(200)
    await page.getByTestId(`row-${fleetName(COUNT - 1)}`).waitFor({ state: 'visible' })
  })

  it('should narrow the list by a search', async () => {
    const started = Date.now()
    await page.getByLabel('Search services by name').fill('svc-0999')
    await expect.poll(() => count().textContent(), { timeout: 10_000 }).toBe('10 services')
    await page.getByTestId(`row-${fleetName(9990)}`).waitFor({ state: 'visible' })
    timings.searchWall = Date.now() - started // the 200 ms typing pause included
    const rows = await page.locator('[data-testid="fleet-list"] [data-testid^="row-"]').allTextContents()
    expect(rows).toHaveLength(10)
    expect(rows.every((r) => r.startsWith('svc-0999'))).toBe(true)
    await page.getByLabel('Search services by name').fill('')
    await expect.poll(() => count().textContent(), { timeout: 20_000 }).toBe(`${COUNT} services`)
    await page.getByLabel('Group').selectOption('team-07')
    await expect.poll(() => count().textContent(), { timeout: 10_000 }).toBe('500 services')
  })
})
