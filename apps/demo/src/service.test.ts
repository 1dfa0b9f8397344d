import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BadDeploy } from './bad-deploy.ts'
import { type DemoOptions, parseDemoArgs, startDemoService } from './service.ts'

const rollbackCommand = fileURLToPath(new URL('./rollback.ts', import.meta.url))
const tsx = fileURLToPath(import.meta.resolve('tsx'))

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

describe('the memory drill knob', () => {
  const knob = async (url: string) =>
    (await (await fetch(`${url}/drill/memory`)).json()) as { growing: boolean; capped: boolean }
  const rssOf = async (url: string) => {
    const text = await (await fetch(`${url}/metrics`)).text()
    return Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1])
  }

  it('should list its knobs, grow its resident memory up to the cap, then stop and drop it', async () => {
    const url = await start()
    expect(await (await fetch(`${url}/drill`)).json()).toEqual({
      service: 'neural-processing',
      knobs: ['memory', 'deploy'],
    })
    const before = await rssOf(url)
    expect(before).toBeGreaterThan(0)
    const MiB = 1024 * 1024
    const started = await fetch(`${url}/drill/memory?rate=${256 * MiB}&cap=${128 * MiB}`, { method: 'POST' })
    expect(await started.json()).toMatchObject({
      growing: true,
      bytesPerSecond: 256 * MiB,
      capBytes: 128 * MiB,
    })
    await until(async () => (await knob(url)).capped)
    const status = await knob(url)
    expect(status).toMatchObject({ growing: false, heldBytes: 128 * MiB, capped: true })
    // the chunks are filled, so they are resident: the RSS the metrics show grew by about the cap,
    // less what the service's own garbage collection gave back meanwhile (15-35 MiB on a busy
    // machine); chunks allocated but never written would add next to nothing
    expect((await rssOf(url)) - before).toBeGreaterThan(64 * MiB)
    expect(await (await fetch(`${url}/metrics`)).text()).toContain(`demo_memory_growth_bytes ${128 * MiB}`)
    const stopped = await fetch(`${url}/drill/memory`, { method: 'DELETE' })
    expect(await stopped.json()).toMatchObject({ growing: false, heldBytes: 0, capped: false })
  })

  it('should refuse a rate or cap that is not a positive number or over its bounds, and unknown knobs', async () => {
    const url = await start()
    for (const query of ['rate=-1', 'rate=abc', 'cap=0', `cap=${2 * 1024 ** 3}`, `rate=${1024 ** 3}`]) {
      const answer = await fetch(`${url}/drill/memory?${query}`, { method: 'POST' })
      expect(answer.status, query).toBe(400)
      expect(((await answer.json()) as { error: string }).error, query).toMatch(/must be/)
    }
    expect((await knob(url)).growing).toBe(false)
    expect((await fetch(`${url}/drill/disk`, { method: 'POST' })).status).toBe(404)
    expect((await fetch(`${url}/drill/memory`, { method: 'PUT' })).status).toBe(405)
  })
})

describe('the deploy drill knob', () => {
  const status = async (url: string) =>
    (await (await fetch(`${url}/drill/deploy`)).json()) as {
      version: string
      bad: boolean
      errorRatio: number
    }
  const metric = async (url: string, line: RegExp) => line.test(await (await fetch(`${url}/metrics`)).text())

  it('should run a bad version whose requests fail while its health passes, until it is rolled back', async () => {
    const url = await start()
    expect(await status(url)).toEqual({ version: '1.0.0', bad: false, errorRatio: 0 })
    expect(await metric(url, /^demo_version_info\{version="1\.0\.0"\} 1$/m)).toBe(true)

    expect(await (await fetch(`${url}/drill/deploy`, { method: 'POST' })).json()).toMatchObject({
      version: '1.1.0-bad',
      bad: true,
    })
    for (let i = 0; i < 20; i++) expect((await fetch(`${url}/work`)).status).toBe(500)
    expect((await fetch(`${url}/v1/health`)).status).toBe(200)
    expect(await status(url)).toMatchObject({ bad: true, errorRatio: 1 })
    expect(await metric(url, /^demo_request_error_ratio 1$/m)).toBe(true)
    // one version at a time: the good one is no longer reported
    expect(await metric(url, /^demo_version_info\{version="1\.1\.0-bad"\} 1$/m)).toBe(true)
    expect(await metric(url, /version="1\.0\.0"/)).toBe(false)

    const rolledBack = await fetch(`${url}/drill/deploy`, { method: 'DELETE' })
    expect(await rolledBack.json()).toMatchObject({ version: '1.0.0', bad: false })
    expect((await fetch(`${url}/work`)).headers.get('content-type')).toBe('application/json')
    expect((await fetch(`${url}/drill/deploy`, { method: 'PUT' })).status).toBe(405)
  })

  it('should roll back through the rollback command, and say why when the service does not answer', async () => {
    const url = await start()
    await fetch(`${url}/drill/deploy`, { method: 'POST' })
    const run = (origin: string) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(
          process.execPath,
          ['--conditions=@noa/source', '--import', tsx, rollbackCommand, origin, '1.0.0'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
        let out = ''
        child.stdout.on('data', (c) => (out += c))
        child.stderr.on('data', (c) => (out += c))
        child.on('close', (code) => done({ code, out }))
      })
    const ok = await run(url)
    expect(ok.code, ok.out).toBe(0)
    expect(ok.out).toMatch(/^rolled back to 1\.0\.0/)
    expect(await status(url)).toMatchObject({ version: '1.0.0', bad: false })
    const refused = await run('http://127.0.0.1:1')
    expect(refused.code).toBe(1)
  })

  it('should roll the bad version back on its own after its time limit', () => {
    vi.useFakeTimers()
    try {
      const lines: string[] = []
      const deploy = new BadDeploy((line) => lines.push(line), 1000)
      deploy.deployBad()
      vi.advanceTimersByTime(999)
      expect(deploy.bad).toBe(true)
      vi.advanceTimersByTime(1)
      expect(deploy.bad).toBe(false)
      expect(lines.at(-1)).toBe('rolled back to 1.0.0')
      // the window of outcomes is bounded
      for (let i = 0; i < 100; i++) deploy.served(i % 2 === 0)
      expect(deploy.errorRatio).toBe(0.5)
    } finally {
      vi.useRealTimers()
    }
  })
})
