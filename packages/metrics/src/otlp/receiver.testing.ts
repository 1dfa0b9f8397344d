import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a test collector took. */
export interface Received {
  headers: IncomingMessage['headers']
  body: Buffer
}

/** A collector for tests: a real HTTP server on 127.0.0.1 that answers as `answer` says. */
export interface TestCollector {
  url: string
  received: Received[]
  /** Sockets the server saw closed by the client (an aborted request). */
  closedEarly: number
  close(): Promise<void>
}

export type Answer = (req: Received, res: ServerResponse, index: number) => void

export async function startTestCollector(answer: Answer = (_req, res) => res.end()): Promise<TestCollector> {
  const collector = { received: [] as Received[], closedEarly: 0 }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const got = { headers: req.headers, body: Buffer.concat(chunks) }
      collector.received.push(got)
      res.on('close', () => {
        if (!res.writableFinished) collector.closedEarly++
      })
      answer(got, res, collector.received.length - 1)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return Object.assign(collector, {
    url: `http://127.0.0.1:${port}/v1/metrics`,
    async close() {
      server.closeAllConnections()
      server.close()
      await once(server, 'close').catch(() => undefined)
    },
  })
}
