import { describe, expect, it } from 'vitest'
import { httpRequest, redactUrl } from './http-request.ts'
import { runCommand } from './run-command.ts'

describe('runCommand', () => {
  it('should refuse an empty argv and stop on abort', async () => {
    expect(await runCommand([])).toEqual({ ok: false, error: 'empty command', retryable: false })
    const controller = new AbortController()
    const running = runCommand([process.execPath, '-e', 'setTimeout(() => {}, 10000)'], {
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 50)
    expect(await running).toMatchObject({ ok: false, error: `${process.execPath} aborted`, retryable: true })
  })

  it('should pass env and cwd to the command', async () => {
    const r = await runCommand([process.execPath, '-e', 'console.log(process.env.X, process.cwd())'], {
      env: { X: 'y' },
      cwd: '/tmp',
    })
    expect(r).toEqual({ ok: true, output: 'y /tmp' })
  })
})

describe('httpRequest', () => {
  it('should drop credentials and the query from URLs it shows', () => {
    expect(redactUrl('http://user:pw@host:1/p?token=x')).toBe('http://host:1/p')
    expect(redactUrl('not a url')).toBe('(invalid url)')
  })

  it('should time out with the reason', async () => {
    const { createServer } = await import('node:http')
    const server = createServer(() => {})
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as { port: number }).port
      const r = await httpRequest({ url: `http://127.0.0.1:${port}/x`, timeoutMs: 100, body: '{}' })
      expect(r).toEqual({
        ok: false,
        error: `POST http://127.0.0.1:${port}/x failed: timed out after 100 ms`,
        retryable: true,
      })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
