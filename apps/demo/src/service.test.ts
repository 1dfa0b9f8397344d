import { afterEach, describe, expect, it } from 'vitest'
import { type DemoOptions, parseDemoArgs, startDemoService } from './service.ts'

const base: DemoOptions = {
  name: 'neural-processing',
  port: 0,
  host: '127.0.0.1',
  healthPath: '/v1/health',
  fail: 'none',
  failAfterMinMs: 0,
  failAfterMaxMs: 0,
  trafficRps: 0,
  dependsOn: [],
}
const running: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const s of running.splice(0)) await s.close()
})

async function start(options: Partial<DemoOptions> = {}) {
  const service = await startDemoService({ ...base, ...options })
  running.push(service)
  return `http://127.0.0.1:${service.port}`
}

const until = async (check: () => Promise<boolean>) => {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('parseDemoArgs', () => {
  it('should read the name, port and health path from args, with PORT from the environment', () => {
    expect(
      parseDemoArgs(['--name', 'mcp-server', '--health', '/health', '--depends-on', 'http://x/health'], {
        PORT: '8001',
      }),
    ).toMatchObject({
      name: 'mcp-server',
      port: 8001,
      healthPath: '/health',
      fail: 'none',
      dependsOn: ['http://x/health'],
    })
    expect(parseDemoArgs(['--port', '9', '--fail', 'random', '--fail-after-min', '5'], {})).toMatchObject({
      port: 9,
      fail: 'random',
      failAfterMinMs: 5,
    })
  })

  it('should refuse a bad port or failure mode', () => {
    expect(() => parseDemoArgs(['--port', 'x'], {})).toThrow('--port must be a port number; found "x"')
    expect(() => parseDemoArgs(['--fail', 'explode'], {})).toThrow(
      /--fail must be one of 503, hang, exit, random, none/,
    )
    expect(() => parseDemoArgs(['--bogus'], {})).toThrow()
  })
})

describe('startDemoService', () => {
  it('should answer its health path and expose request and business metrics', async () => {
    const url = await start({ trafficRps: 100, dependsOn: ['http://127.0.0.1:1/health'] })
    const health = await fetch(`${url}/v1/health`)
    expect(health.status).toBe(200)
    // A non-critical dependency down makes it degraded, still 200.
    expect(await health.json()).toMatchObject({ status: 'degraded', service: 'neural-processing' })
    expect((await fetch(`${url}/livez`)).status).toBe(200)
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect((await fetch(`${url}/work`)).status).toBeLessThan(600)
    await until(async () =>
      (await (await fetch(`${url}/metrics`)).text()).includes('business_metric{name="tasksCompleted"}'),
    )
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toContain('# TYPE http_requests_total counter')
    expect(text).toContain('http_request_duration_seconds_bucket')
    expect(text).toContain('business_metric{name="activeUsers"}')
    expect(text).toContain('business_metric{name="neuralInferences"}')
    const om = await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text' } })
    expect((await om.text()).endsWith('# EOF\n')).toBe(true)
  })

  it('should start answering 503 after its failure delay', async () => {
    const url = await start({ fail: '503', failAfterMinMs: 10, failAfterMaxMs: 20 })
    await until(async () => (await fetch(`${url}/v1/health`)).status === 503)
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('demo_failing 1')
  })

  it('should stop answering at all when it hangs', async () => {
    const url = await start({ fail: 'hang', failAfterMinMs: 0, failAfterMaxMs: 0 })
    await new Promise((r) => setTimeout(r, 50))
    await expect(fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(300) })).rejects.toThrow()
  })
})
