import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Restorer } from './restore.ts'

const FIXTURE = resolve(import.meta.dirname, '../../test/fixtures/drill-interrupt.ts')

/** Field 3 (state) and field 22 (start time) of /proc/<pid>/stat. */
function stat(pid: number): { state: string; startTime: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0]!, startTime: Number(fields[19]) }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code)),
  )

describe('Restorer', () => {
  it('should undo everything still in place, newest first, once, reporting what failed', async () => {
    const restorer = new Restorer()
    const done: string[] = []
    restorer.add('a', () => void done.push('a'))
    const undoB = restorer.add('b', () => void done.push('b'))
    restorer.add('c', () => {
      throw new Error('gone')
    })
    await undoB()
    await undoB()
    expect(restorer.pending).toEqual(['a', 'c'])
    expect(await restorer.restoreAll()).toEqual(['c: gone'])
    expect(done).toEqual(['b', 'a'])
    expect(restorer.pending).toEqual([])
  })
})

describe('restoreOnInterrupt', () => {
  const cleanup: Array<() => void> = []
  afterEach(() => {
    for (const c of cleanup.splice(0)) c()
  })

  it('should SIGCONT the process a hang drill stopped when the drill gets SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-interrupt-'))
    const victim = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
    })
    cleanup.push(() => {
      try {
        process.kill(-victim.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true })
    })
    const pid = victim.pid!
    mkdirSync(join(dir, 'run/services'), { recursive: true })
    writeFileSync(
      join(dir, 'run/services/victim.json'),
      JSON.stringify({
        service: 'victim',
        pid,
        startTime: stat(pid).startTime,
        argv: [],
        cwd: dir,
        startedAt: Date.now(),
      }),
    )

    const drill = spawn(process.execPath, ['--conditions=@noa/source', '--import', 'tsx', FIXTURE, dir], {
      cwd: resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    cleanup.push(() => drill.kill('SIGKILL'))
    let output = ''
    drill.stderr!.on('data', (c) => (output += c))
    await new Promise<void>((ok, fail) => {
      drill.stdout!.on('data', (c) => String(c).includes('injected') && ok())
      drill.once('exit', () => fail(new Error(`the drill process ended early:\n${output}`)))
    })
    // a signal is delivered a moment after kill() returns
    await vi.waitFor(() => expect(stat(pid).state).toBe('T'))

    drill.kill('SIGINT')
    expect(await exited(drill)).toBe(130)
    await vi.waitFor(() => expect(stat(pid).state).not.toBe('T'))
    expect(output).toContain('SIGINT: restoring 1 injected fault(s)')
  })
})
