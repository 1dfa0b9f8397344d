import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readStat } from './proc.ts'
import {
  createServiceRecord,
  inspectRecord,
  listRecords,
  type RunRecord,
  readRecord,
  recordPath,
  removeRecord,
  writeRecord,
} from './run-record.ts'
import { Reaper } from './testing/processes.ts'

let dir: string
const reaper = new Reaper()
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-run-'))
})
afterEach(async () => {
  reaper.killAll()
  await rm(dir, { recursive: true, force: true })
})

const argv = [process.execPath, '-e', 'setInterval(() => {}, 60000)']
const idle = () => {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' })
  return reaper.track(child.pid)
}
const recordOf = (pid: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  service: 'svc',
  pid,
  startTime: readStat(pid)!.startTime,
  argv,
  cwd: '/srv',
  startedAt: 1_700_000_000_000,
  ...extra,
})

describe('run records', () => {
  it('should write a record through a rename, read it back and list it', async () => {
    const record = recordOf(idle(), { service: 'api/v2' })
    writeRecord(join(dir, 'run'), record)
    expect(await readdir(join(dir, 'run'))).toEqual(['api%2Fv2.json'])
    expect(readRecord(join(dir, 'run'), 'api/v2')).toEqual(record)
    expect(listRecords(join(dir, 'run'))).toEqual([{ path: recordPath(join(dir, 'run'), 'api/v2'), record }])
    removeRecord(join(dir, 'run'), 'api/v2')
    expect(readRecord(join(dir, 'run'), 'api/v2')).toBeUndefined()
    expect(listRecords(join(dir, 'missing'))).toEqual([])
  })

  it('should report an unreadable record as an error and skip temporary files', async () => {
    await writeFile(join(dir, 'svc.json'), '{"pid": "nope"')
    await writeFile(join(dir, '.svc.123.tmp'), '{}')
    const read = readRecord(dir, 'svc')
    expect(read).toBeInstanceOf(Error)
    expect((read as Error).message).toBe(`unreadable run record ${join(dir, 'svc.json')}`)
    expect(listRecords(dir).map((e) => e.path)).toEqual([join(dir, 'svc.json')])
  })
})

describe('inspectRecord', () => {
  it('should find the same process running the wanted argv in the wanted folder', () => {
    const record = recordOf(idle())
    expect(inspectRecord(record, { argv, cwd: '/srv' })).toEqual({ kind: 'same' })
    expect(inspectRecord(record)).toEqual({ kind: 'same' })
  })

  it('should tell a changed command or folder from a process that is gone', () => {
    const record = recordOf(idle())
    expect(inspectRecord(record, { argv: [...argv, '--new'], cwd: '/srv' })).toEqual({
      kind: 'changed',
      why: 'its command differs from the configured one',
    })
    expect(inspectRecord(record, { argv, cwd: '/elsewhere' })).toEqual({
      kind: 'changed',
      why: 'its working folder differs from the configured one',
    })
  })

  it('should call a pid whose start time differs gone, whatever it runs', () => {
    const pid = idle()
    const record = recordOf(pid, { startTime: readStat(pid)!.startTime - 1 })
    expect(inspectRecord(record, { argv, cwd: '/srv' })).toEqual({
      kind: 'gone',
      why: `pid ${pid} now belongs to another process`,
    })
  })

  it('should call an exited process gone', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    const record = recordOf(child.pid!)
    await once(child, 'exit')
    expect(inspectRecord(record, { argv, cwd: '/srv' })).toEqual({
      kind: 'gone',
      why: `pid ${record.pid} is not running`,
    })
  })
})

describe('ServiceRecord', () => {
  it('should record a process, remove only its own record, and do nothing without a run directory', () => {
    const pid = idle()
    const kept = createServiceRecord(dir, 'svc')
    expect(kept.write(pid, argv, '/srv', 5)).toBe('')
    expect(kept.read()).toEqual({ ...recordOf(pid), startedAt: 5 })
    kept.removeIf(pid + 1)
    expect(kept.holds(pid)).toBe(true)
    kept.removeIf(pid)
    expect(kept.read()).toBeUndefined()
    const none = createServiceRecord(undefined, 'svc')
    expect(none.write(pid, argv, '/srv', 5)).toBe('')
    expect(none.read()).toBeUndefined()
  })
})
