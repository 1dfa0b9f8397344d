import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import net from 'node:net'
import { delimiter, join } from 'node:path'
import { closedPort } from './servers.ts'

/** A real server (nats-server, mosquitto) run as a child process of the test, on a port of its own. */
export interface ChildServer {
  port: number
  /** Stops the process (SIGTERM, then SIGKILL after 2 s). */
  close(): Promise<void>
}

/** Whether `command` is an executable on the PATH (a machine without mosquitto skips its suites). */
export function installed(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Starts `command(port)` on a free port and resolves once the port accepts connections; fails
 * with the process's output when it exits first or does not listen within 10 s.
 */
export async function startChildServer(
  command: (port: number) => [string, ...string[]],
): Promise<ChildServer> {
  const port = await closedPort()
  const [file, ...args] = command(port)
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => {
    output += d
  })
  child.stderr?.on('data', (d: Buffer) => {
    output += d
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const until = Date.now() + 10_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${file} exited (${child.exitCode ?? child.signalCode}): ${output}`)
    if (Date.now() > until) {
      child.kill('SIGKILL')
      throw new Error(`${file} did not listen on ${port} within 10 s: ${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return {
    port,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
      await exited
      clearTimeout(timer)
    },
  }
}
