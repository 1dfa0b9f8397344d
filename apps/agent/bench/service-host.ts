// A tiny service manager for the drills of several agents, as systemd or a container runtime
// would be on a real machine: it runs the demo services as its children and restarts one on
// `POST /restart/<name>` (the agents' http executor), whichever agent asks. It restarts
// nothing on its own: bringing a crashed service back is the agents' job, and each restart is
// counted, so a test sees a double action however the agents recorded it.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { sleep } from './agent-process.ts'

/** One service the host runs: its argv and the port it listens on once up. */
export interface HostedService {
  name: string
  command: readonly string[]
  port: number
}

export interface ServiceHost {
  /** Where the agents ask for restarts: `<base>/restart/<name>`. */
  base: string
  /** Restarts done per service, with the agent that asked (the `x-agent` header). */
  restarts: Map<string, string[]>
  pid(name: string): number | undefined
  /** Kills every service and closes the server. */
  stop(): Promise<void>
}

const listening = (port: number) =>
  new Promise<boolean>((ok) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      ok(true)
    })
    socket.once('error', () => ok(false))
  })

async function untilListening(port: number, child: ChildProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await listening(port))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited before listening on ${port}`)
    if (Date.now() > deadline) throw new Error(`not listening on ${port} after ${ms} ms`)
    await sleep(50)
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()))

/** Starts the services, waits until each listens, and serves restarts on 127.0.0.1 port 0. */
export async function startServiceHost(services: readonly HostedService[]): Promise<ServiceHost> {
  const children = new Map<string, ChildProcess>()
  const restarts = new Map<string, string[]>(services.map((s) => [s.name, []]))
  const run = async (service: HostedService) => {
    const old = children.get(service.name)
    if (old && old.exitCode === null && old.signalCode === null) {
      old.kill('SIGKILL')
      await exited(old)
    }
    const [bin, ...args] = service.command
    const child = spawn(bin!, args, { stdio: 'ignore' })
    children.set(service.name, child)
    await untilListening(service.port, child)
  }
  const stopAll = async () => {
    const all = [...children.values()]
    for (const child of all) child.kill('SIGKILL')
    await Promise.all(all.map(exited))
  }
  try {
    await Promise.all(services.map(run))
  } catch (error) {
    await stopAll()
    throw error
  }
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent(req.url?.match(/^\/restart\/([^/?]+)$/)?.[1] ?? '')
    const service = services.find((s) => s.name === name)
    if (req.method !== 'POST' || !service) return void res.writeHead(404).end()
    req.resume()
    restarts.get(name)!.push(String(req.headers['x-agent'] ?? 'unknown'))
    run(service).then(
      () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ restarted: name })),
      (error: unknown) => res.writeHead(500).end(String(error)),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return {
    base: `http://127.0.0.1:${port}`,
    restarts,
    pid: (name) => children.get(name)?.pid,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await stopAll()
    },
  }
}
