import http from 'node:http'
import type { AddressInfo, Server, Socket } from 'node:net'
import net from 'node:net'

/** A server started on 127.0.0.1 port 0, with every socket tracked so `close` never hangs. */
export interface TestServer {
  port: number
  url: string
  /** Sockets accepted so far. */
  connections: number
  close(): Promise<void>
}

function track(server: Server, base: string): Promise<TestServer> {
  const sockets = new Set<Socket>()
  const result: TestServer = {
    port: 0,
    url: '',
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  server.on('connection', (socket: Socket) => {
    result.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      result.port = (server.address() as AddressInfo).port
      result.url = `${base}://127.0.0.1:${result.port}`
      resolve(result)
    })
  })
}

/** Starts a real node:http server on 127.0.0.1:0. */
export function startHttpServer(handler: http.RequestListener): Promise<TestServer> {
  return track(http.createServer(handler), 'http')
}

/** Starts a raw TCP server on 127.0.0.1:0 (garbage answers, silence, dropped connections). */
export function startTcpServer(onSocket: (socket: Socket) => void): Promise<TestServer> {
  return track(net.createServer(onSocket), 'tcp')
}

/** A server that accepts and never answers, and how many of its connections are still open. */
export interface SilentServer extends TestServer {
  open(): number
}

/**
 * A TCP server on 127.0.0.1:0 that accepts, reads what clients send and never answers: the
 * hung peer a check's timeout must end. It reads (and so sees the end of) each connection, or
 * a close by the client would never show in `open()`.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const held = new Set<Socket>()
  const server = await startTcpServer((socket) => {
    held.add(socket.resume())
    socket.on('close', () => held.delete(socket))
  })
  return Object.assign(server, { open: () => held.size })
}

/** Wraps any listening server (https, Hono's node server) the same way. */
export function trackServer(server: Server, base: string): Promise<TestServer> {
  return track(server, base)
}

/** A port that refuses connections: bound, then closed. */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
