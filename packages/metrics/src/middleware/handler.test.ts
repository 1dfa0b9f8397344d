import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LogFields } from '@noa/core'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../exposition/negotiate.ts'
import { parseExposition } from '../exposition/parse.ts'
import { Registry } from '../registry.ts'
import { metricsHandler } from './handler.ts'
import { honoMetricsHandler } from './hono-handler.ts'

let server: Server | undefined
afterEach(async () => {
  if (server?.listening) {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
  server = undefined
})

async function start(listener: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(listener)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
}

function registryWithJobs(): Registry {
  const registry = new Registry()
  registry.counter({ name: 'jobs_total', help: 'Jobs done', labelNames: ['queue'] }).inc({ queue: 'mail' }, 3)
  return registry
}

const OPENMETRICS_ACCEPT =
  'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1'

describe('metricsHandler (real node:http server)', () => {
  it('should answer the Prometheus text by default and OpenMetrics when Accept asks for it', async () => {
    const url = await start(metricsHandler(registryWithJobs()))
    const plain = await fetch(url)
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    const text = await plain.text()
    expect(text).toContain('jobs_total{queue="mail"} 3')
    expect(Number(plain.headers.get('content-length'))).toBe(Buffer.byteLength(text))

    const om = await fetch(url, { headers: { accept: OPENMETRICS_ACCEPT } })
    expect(om.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE)
    const parsed = parseExposition(await om.text(), { format: 'openmetrics' })
    expect(parsed.ok ? parsed.families.map((f) => f.name) : parsed.error).toContain('jobs')
  })

  it('should answer HEAD with the headers only and refuse other methods with 405', async () => {
    const url = await start(metricsHandler(registryWithJobs()))
    const head = await fetch(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0)
    expect(await head.text()).toBe('')
    const post = await fetch(url, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('should answer 500 and log when the exposition fails, without taking the server down', async () => {
    const registry = registryWithJobs()
    // Rendering fails only on a bug; the handler must still answer and report it.
    registry.metricsBytes = async () => {
      throw new Error('render failed')
    }
    const logged: Array<{ message: string; fields?: LogFields }> = []
    const noop = () => {}
    const logger = {
      debug: noop,
      info: noop,
      warn: noop,
      error: (message: string, fields?: LogFields) => logged.push({ message, fields }),
    }
    const url = await start(metricsHandler(registry, { logger }))
    const res = await fetch(url)
    expect(res.status).toBe(500)
    expect(logged).toEqual([{ message: 'metrics exposition failed', fields: { error: 'render failed' } }])
    expect((await fetch(url)).status).toBe(500)
  })
})

describe('honoMetricsHandler', () => {
  it('should negotiate the format as metricsHandler does', async () => {
    const app = new Hono()
    app.get('/metrics', honoMetricsHandler(registryWithJobs()))
    const plain = await app.request('/metrics')
    expect(plain.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    expect(await plain.text()).toContain('jobs_total{queue="mail"} 3')
    const om = await app.request('/metrics', { headers: { accept: OPENMETRICS_ACCEPT } })
    expect(om.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE)
    expect(await om.text()).toMatch(/# EOF\n$/)
  })
})
