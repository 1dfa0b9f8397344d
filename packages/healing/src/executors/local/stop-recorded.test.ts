import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readStat } from './proc.ts'
import { writeRecord } from './run-record.ts'
import { stopRecorded } from './stop-recorded.ts'
import { alive, grandchildOf, Reaper, waitFor } from './testing/processes.ts'

const service = fileURLToPath(new URL('../../testing/fixtures/service.mjs', import.meta.url))
const logging = fileURLToPath(new URL('./testing/logging-service.mjs', import.meta.url))
let dir: string
const reaper = new Reaper()

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-stop-'))
})
afterEach(async () => {
  reaper.killAll()
  await rm(dir, { recursive: true, force: true })
})

/** Starts `argv` as the local supervisor does (own group, output to a file) and records it as `name`. */
const startRecorded = (name: string, argv: string[], env: Record<string, string> = {}) => {
  const log = join(dir, `${name}.log`)
  const fd = openSync(log, 'a')
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  })
  closeSync(fd)
  const pid = reaper.track(child.pid)
  const startTime = readStat(pid)!.startTime
  writeRecord(join(dir, 'run'), { service: name, pid, startTime, argv, cwd: dir, startedAt: Date.now() })
  return { pid, startTime, log: () => readFile(log, 'utf8') }
}

describe('stopRecorded', () => {
  it('should stop each recorded process and its group, kill one that ignores SIGTERM, and remove every record', async () => {
    const api = startRecorded('api', [process.execPath, logging], { GRANDCHILD: '1' })
    const grandchild = reaper.track(
      await waitFor('the grandchild', async () => grandchildOf(await api.log())),
    )
    const stubborn = startRecorded('stubborn', [process.execPath, service], { MODE: 'hang' })
    await waitFor('the SIGTERM handler', async () => (await stubborn.log()).includes('hang-ready'))

    const results = await stopRecorded(join(dir, 'run'), { timeoutMs: 300 })

    expect(results.sort((a, b) => a.service.localeCompare(b.service))).toEqual([
      { service: 'api', pid: api.pid, outcome: 'stopped', detail: 'stopped after SIGTERM' },
      {
        service: 'stubborn',
        pid: stubborn.pid,
        outcome: 'killed',
        detail: 'did not stop within 300 ms of SIGTERM; killed with SIGKILL',
      },
    ])
    expect([alive(api.pid), alive(grandchild), alive(stubborn.pid)]).toEqual([false, false, false])
    expect(await readdir(join(dir, 'run'))).toEqual([])
  })

  it('should never signal a pid that now belongs to another process, nor an exited one', async () => {
    const other = startRecorded('reused', [process.execPath, service])
    // the record says the pid started at another time: the process running now is not ours
    writeRecord(join(dir, 'run'), {
      service: 'reused',
      pid: other.pid,
      startTime: other.startTime + 1,
      argv: [process.execPath, service],
      cwd: dir,
      startedAt: Date.now(),
    })
    const exited = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    const exitedPid = exited.pid!
    const exitedStart = readStat(exitedPid)!.startTime
    await once(exited, 'exit')
    writeRecord(join(dir, 'run'), {
      service: 'exited',
      pid: exitedPid,
      startTime: exitedStart,
      argv: [process.execPath],
      cwd: dir,
      startedAt: Date.now(),
    })
    await writeFile(join(dir, 'run', 'broken.json'), 'not json')

    const results = await stopRecorded(join(dir, 'run'), { timeoutMs: 300 })

    expect(results.sort((a, b) => a.service.localeCompare(b.service))).toEqual([
      {
        service: 'broken',
        outcome: 'unreadable',
        detail: `unreadable run record ${join(dir, 'run', 'broken.json')}`,
      },
      {
        service: 'exited',
        pid: exitedPid,
        outcome: 'not-running',
        detail: `pid ${exitedPid} is not running`,
      },
      {
        service: 'reused',
        pid: other.pid,
        outcome: 'not-running',
        detail: `pid ${other.pid} now belongs to another process`,
      },
    ])
    expect(alive(other.pid)).toBe(true)
    expect(await readdir(join(dir, 'run'))).toEqual([])
  })

  it('should find nothing to do without a run directory', async () => {
    expect(await stopRecorded(join(dir, 'none'))).toEqual([])
  })
})
