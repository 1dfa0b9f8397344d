import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a {@link Receiver} got. */
export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/** How the receiver answers: a status, `hang` (never answers), or a custom handler. */
export type ReceiverMode =
  | number
  | 'hang'
  | ((req: ReceivedRequest, res: ServerResponse<IncomingMessage>) => void)

/** A real HTTP server on 127.0.0.1 that records requests. */
export interface Receiver {
  readonly url: string
  readonly requests: ReceivedRequest[]
  /** Requests answered with a 2xx. */
  readonly accepted: ReceivedRequest[]
  mode: ReceiverMode
  /** Resolves when `count` requests were accepted. */
  waitForAccepted(count: number): Promise<void>
  close(): Promise<void>
}

/**
 * Starts a webhook receiver on 127.0.0.1 (port 0) for tests and benchmarks.
 *
 * @example
 * ```ts
 * const receiver = await startReceiver()
 * receiver.mode = 500 // fail until told otherwise
 * ```
 */
export async function startReceiver(mode: ReceiverMode = 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  const accepted: ReceivedRequest[] = []
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const hanging = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(r)
      const m = receiver.mode
      if (m === 'hang') {
        hanging.add(res)
        return
      }
      if (typeof m === 'function') return m(r, res)
      if (m >= 200 && m < 300) {
        accepted.push(r)
        for (const w of [...waiters]) if (accepted.length >= w.count) w.resolve()
      }
      res.writeHead(m, { 'content-type': 'text/plain' }).end(String(m))
    })
  })
  server.keepAliveTimeout = 100
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted,
    mode,
    waitForAccepted: (count) =>
      accepted.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return receiver
}
