import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A service with a JSON `/health` and a `/metrics` in Prometheus text that `exposition` writes
 * for its n-th scrape (from 1), for the tests of what the agent pushes of scraped metrics.
 */
export async function startMetricsService(exposition: (scrape: number) => string) {
  let scrapes = 0
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      res.end(exposition(++scrapes))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
