import { describe, expect, it } from 'vitest'
import {
  commandExecutorSchema,
  createCommandExecutor,
  createDockerExecutor,
  createSystemdExecutor,
  dockerExecutorSchema,
  systemdExecutorSchema,
} from './command.ts'

const node = process.execPath
const build = (o: Record<string, unknown>) =>
  createCommandExecutor(commandExecutorSchema.parse({ type: 'command', ...o }))

describe('command executor', () => {
  it('should run argv without a shell and return its output', async () => {
    const ex = build({
      restart: [node, '-e', 'console.log("restarted $HOME")'],
      status: [node, '-e', 'process.exit(1)'],
    })
    expect(ex.capabilities).toEqual(['restart', 'status'])
    expect(await ex.restart?.()).toEqual({ ok: true, output: 'restarted $HOME' })
    expect(await ex.status?.()).toMatchObject({ ok: true, running: false })
  })

  it('should fail with the reason for a missing command, a non-zero exit and a timeout', async () => {
    const ex = build({
      start: ['/no/such/command'],
      stop: [node, '-e', 'console.error("boom"); process.exit(4)'],
    })
    const slow = build({ restart: [node, '-e', 'setTimeout(() => {}, 10000)'], timeoutMs: 200 })
    expect(await ex.start?.()).toEqual({
      ok: false,
      error: 'command not found: /no/such/command',
      retryable: false,
    })
    expect(await ex.stop?.()).toEqual({
      ok: false,
      error: `${node} exited with code 4`,
      retryable: true,
      output: 'boom',
    })
    expect(await slow.restart?.()).toMatchObject({
      ok: false,
      error: `${node} timed out after 200 ms`,
      retryable: true,
    })
  })

  it('should substitute the rollback version and the scale delta', async () => {
    const ex = build({
      rollback: [node, '-e', 'console.log(process.argv[1])', '{version}'],
      scale: [node, '-e', 'console.log(process.argv[1])', '{delta}'],
    })
    expect((await ex.rollback?.({ version: 'v1.2.3' }))?.output).toBe('v1.2.3')
    expect((await ex.rollback?.({}))?.error).toBe('rollback needs a version, none was found')
    expect((await ex.scale?.(1))?.output).toBe('+1')
  })

  it('should build the systemd and docker presets as argv', async () => {
    const systemd = createSystemdExecutor(
      systemdExecutorSchema.parse({ type: 'systemd', unit: 'api.service' }),
    )
    expect(systemd.type).toBe('systemd')
    expect(systemd.capabilities).toEqual(['start', 'stop', 'restart', 'status'])
    const docker = createDockerExecutor(dockerExecutorSchema.parse({ type: 'docker', container: 'api' }))
    const r = await docker.restart?.()
    // docker is not installed here: the preset fails with the reason, never throws
    if (!r?.ok) expect(r?.error).toMatch(/docker/)
    const s = await docker.status?.()
    expect(s?.running).toBe(false)
  })

  it('should refuse an empty argv', () => {
    const r = commandExecutorSchema.safeParse({ type: 'command', restart: [] })
    expect(r.success).toBe(false)
  })
})
