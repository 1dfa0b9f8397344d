// The fleet for bench/scale.ts: one child process answering every service's `/health/<n>`,
// so that the agent measured shares the cores only with a server as lean as it gets. Plain
// JavaScript run with `node -e`: no loader, nothing of the bench in its memory or its CPU.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

const SERVER = `
const http = require('node:http')
const body = '{"status":"healthy"}'
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/health/'))
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body)
  else res.writeHead(404).end()
})
// Longer than the check interval: the agents' keep-alive sockets are reused, not reopened.
server.keepAliveTimeout = 120000
server.listen(0, '127.0.0.1', () => process.send(server.address().port))
`

/** A running fleet server: its process and port. */
export interface FleetServer {
  child: ChildProcess
  port: number
  stop(): Promise<void>
}

/** Starts the server process and waits for its port. */
export async function startFleetServer(): Promise<FleetServer> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [port] = (await once(child, 'message')) as [number]
  return {
    child,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}
