import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type FaultProxy, startFaultProxy } from './proxy.ts'

describe('startFaultProxy', () => {
  let service: Server
  let proxy: FaultProxy
  let base: string

  beforeEach(async () => {
    service = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => res.writeHead(200, { 'x-service': 'yes' }).end(`${req.method} ${req.url} ${body}`))
    })
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`
    proxy = await startFaultProxy(base)
  })

  afterEach(async () => {
    vi.useRealTimers()
    await proxy.close()
    service.closeAllConnections()
    await new Promise<void>((r) => service.close(() => r()))
  })

  it('should pass requests through with their method, path, body and the answer headers', async () => {
    const res = await fetch(`${proxy.url}/health?x=1`, { method: 'POST', body: 'hi' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-service')).toBe('yes')
    expect(await res.text()).toBe('POST /health?x=1 hi')
    expect(proxy.counts).toEqual({ passed: 1, delayed: 0, failed: 0 })
  })

  it('should answer the configured 5xx itself while in errors mode, and pass again after', async () => {
    proxy.mode({ kind: 'errors', status: 503 })
    const failed = await fetch(`${proxy.url}/health`)
    expect(failed.status).toBe(503)
    expect(await failed.text()).toBe('injected by noa drill')
    proxy.mode({ kind: 'pass' })
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200)
    expect(proxy.counts).toEqual({ passed: 1, delayed: 0, failed: 1 })
  })

  it('should hold a request for the delay of slow mode before passing it on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    proxy.mode({ kind: 'slow', delayMs: 10_000 })
    let answered = false
    const pending = fetch(`${proxy.url}/health`).then(async (r) => {
      answered = true
      return r.text()
    })
    // the request reached the proxy, and is held
    await vi.waitFor(() => expect(proxy.counts.delayed).toBe(1))
    await vi.advanceTimersByTimeAsync(9_000)
    expect(answered).toBe(false)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await pending).toBe('GET /health ')
  })

  it('should answer 502 when the service is gone', async () => {
    service.closeAllConnections()
    await new Promise<void>((r) => service.close(() => r()))
    const res = await fetch(`${proxy.url}/health`)
    expect(res.status).toBe(502)
    service = createServer()
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r))
  })

  it('should end the request to a hung service, and a held one, when the check gives up', async () => {
    const upstreamClosed: Promise<void>[] = []
    service.closeAllConnections()
    await new Promise<void>((r) => service.close(() => r()))
    // a hung service: accepts, never answers
    service = createServer((req) => {
      upstreamClosed.push(new Promise((r) => req.socket.once('close', () => r())))
    })
    let connections = 0
    service.on('connection', () => connections++)
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r))
    await proxy.close()
    proxy = await startFaultProxy(`http://127.0.0.1:${(service.address() as AddressInfo).port}`)
    await expect(fetch(`${proxy.url}/health`, { signal: AbortSignal.timeout(200) })).rejects.toThrow()
    await vi.waitFor(() => expect(upstreamClosed).toHaveLength(1))
    await upstreamClosed[0]
    proxy.mode({ kind: 'slow', delayMs: 300 })
    await expect(fetch(`${proxy.url}/health`, { signal: AbortSignal.timeout(100) })).rejects.toThrow()
    proxy.mode({ kind: 'pass' })
    // the held request was dropped: no connection to the service once its delay ran out
    await new Promise((r) => setTimeout(r, 600))
    expect(connections).toBe(1)
  })

  it('should end held requests and stop listening on close', async () => {
    proxy.mode({ kind: 'slow', delayMs: 60_000 })
    const held = fetch(`${proxy.url}/health`).then(
      () => 'answered',
      () => 'cut',
    )
    await vi.waitFor(() => expect(proxy.counts.delayed).toBe(1))
    await proxy.close()
    expect(await held).toBe('cut')
    await expect(fetch(`${proxy.url}/health`)).rejects.toThrow()
    proxy = await startFaultProxy(base)
  })
})
