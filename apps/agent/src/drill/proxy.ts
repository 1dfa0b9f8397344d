import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the proxy does to each request: pass it on, hold it before passing it on, or answer 5xx itself. */
export type ProxyMode =
  | { kind: 'pass' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'errors'; status: number }

/** A fault-injecting HTTP proxy in front of one service. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: where a check must point to go through the proxy. */
  readonly url: string
  readonly port: number
  /** Requests seen so far, by what the proxy did with them. */
  readonly counts: { passed: number; delayed: number; failed: number }
  mode(next: ProxyMode): void
  /** Stops listening and ends every open connection, held requests included. */
  close(): Promise<void>
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) that forwards every request to `target`
 * (`http://host:port`), unless its mode says to hold it (`slow`) or to answer it with a 5xx
 * (`errors`). Drills put it in front of an HTTP service to make it slow or failing without
 * touching the service.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy('http://127.0.0.1:8001')
 * proxy.mode({ kind: 'errors', status: 503 })
 * ```
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target)
  let current: ProxyMode = { kind: 'pass' }
  const counts = { passed: 0, delayed: 0, failed: 0 }
  const held = new Set<NodeJS.Timeout>()

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('the drill proxy cannot reach the service')
    })
    // A check that gave up (its timeout) closes its side: the request to a hung service ends
    // with it instead of staying open until the service answers.
    res.on('close', () => out.destroy())
    req.pipe(out)
  }

  const server = createServer((req, res) => {
    const mode = current
    if (mode.kind === 'errors') {
      counts.failed++
      req.resume()
      res.writeHead(mode.status, { 'content-type': 'text/plain' }).end('injected by noa drill')
      return
    }
    if (mode.kind === 'slow') {
      counts.delayed++
      const timer = setTimeout(() => {
        held.delete(timer)
        forward(req, res)
      }, mode.delayMs)
      held.add(timer)
      res.on('close', () => {
        clearTimeout(timer)
        held.delete(timer)
      })
      return
    }
    counts.passed++
    forward(req, res)
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => ok())
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts,
    mode(next) {
      current = next
    },
    close: () =>
      new Promise<void>((ok) => {
        for (const timer of held) clearTimeout(timer)
        held.clear()
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}
