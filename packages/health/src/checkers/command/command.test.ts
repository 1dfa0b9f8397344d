import type { Socket } from 'node:net'
import { systemClock } from '@noa/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TestServer } from '../../testing/servers.ts'
import { startTcpServer } from '../../testing/servers.ts'
import { pidAlive } from '../process/process.ts'
import { createCommandChecker } from './command.ts'
import { commandCheckSchema } from './schema.ts'

const checker = createCommandChecker()
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(commandCheckSchema.parse({ type: 'command', ...input }), { signal, clock: systemClock })
const node = process.execPath
const servers: TestServer[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

describe('createCommandChecker', () => {
  it('should be healthy on exit 0 and unhealthy on another code, with the output tail', async () => {
    expect(await run({ argv: [node, '-e', 'console.log("fine")'] })).toMatchObject({
      state: 'healthy',
      message: 'exited with code 0',
      details: { exitCode: 0, output: 'fine' },
    })
    expect(await run({ argv: [node, '-e', 'console.error("disk full"); process.exit(3)'] })).toMatchObject({
      state: 'unhealthy',
      message: 'exited with code 3',
      details: { exitCode: 3, output: 'disk full' },
      retryable: true,
    })
    expect((await run({ argv: [node, '-e', 'process.exit(3)'], expectedExitCodes: [0, 3] })).state).toBe(
      'healthy',
    )
  })

  it('should pass argv without a shell, with env and cwd', async () => {
    const outcome = await run({
      argv: [
        node,
        '-e',
        'console.log(process.argv[1], process.env.NOA_X, process.cwd())',
        '$HOME; echo hacked',
      ],
      env: { NOA_X: 'set' },
      cwd: '/tmp',
    })
    expect(outcome.details?.output).toBe('$HOME; echo hacked set /tmp')
  })

  it('should give a non-retryable error when the program does not exist', async () => {
    expect(await run({ argv: ['/nonexistent/noa-check'] })).toMatchObject({
      state: 'error',
      retryable: false,
      details: { code: 'ENOENT' },
    })
  })

  it('should kill a hung command when aborted', async () => {
    let connected!: (pid: number) => void
    const pidSeen = new Promise<number>((resolve) => {
      connected = resolve
    })
    let childSocket!: Socket
    const server = await startTcpServer((s) => {
      childSocket = s
      s.on('data', (d) => connected(Number(String(d))))
    })
    servers.push(server)
    const script = `require('net').connect(${server.port}, '127.0.0.1', function () { this.write(String(process.pid)) }); setInterval(() => {}, 1e6)`
    const controller = new AbortController()
    const pending = run({ argv: [node, '-e', script] }, controller.signal)
    const pid = await pidSeen
    expect(pidAlive(pid)).toBe(true)
    const socketClosed = new Promise((resolve) => childSocket.on('close', resolve))
    controller.abort(new Error('check of job timed out after 5000 ms'))
    expect(await pending).toMatchObject({ state: 'error', message: 'check of job timed out after 5000 ms' })
    await socketClosed
    await vi.waitFor(() => expect(pidAlive(pid)).toBe(false))
  })

  it('should refuse an empty argv', () => {
    expect(commandCheckSchema.safeParse({ type: 'command', argv: [] }).error?.issues[0]?.message).toBe(
      'expected at least the program name',
    )
  })
})
