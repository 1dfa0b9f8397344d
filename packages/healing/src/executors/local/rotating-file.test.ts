import { closeSync, writeSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeClock } from '@noa/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRotatingFile, createServiceLogs } from './rotating-file.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'noa-rotate-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('RotatingFile', () => {
  it('should copy a full file to .1 and empty it, keeping maxFiles generations', async () => {
    const path = join(dir, 'svc.out.log')
    const file = createRotatingFile(path, 10, 2)
    expect(file.rotateIfFull()).toBe(false) // no file yet
    await writeFile(path, 'short\n')
    expect(file.rotateIfFull()).toBe(false)
    for (const text of ['first run\n', 'second run\n', 'third run\n']) {
      await writeFile(path, text)
      expect(file.rotateIfFull()).toBe(true)
    }
    expect((await readdir(dir)).sort()).toEqual(['svc.out.log', 'svc.out.log.1', 'svc.out.log.2'])
    expect(await readFile(path, 'utf8')).toBe('')
    expect(await readFile(`${path}.1`, 'utf8')).toBe('third run\n')
    expect(await readFile(`${path}.2`, 'utf8')).toBe('second run\n')
  })

  it('should let a writer that holds the file open go on at the new end after a rotation, without a hole', async () => {
    const file = createRotatingFile(join(dir, 'svc.out.log'), 10, 3)
    const fd = file.openForChild()
    try {
      writeSync(fd, 'line one is long\n')
      expect(file.rotateIfFull()).toBe(true)
      writeSync(fd, 'line two\n')
    } finally {
      closeSync(fd)
    }
    // a writer without O_APPEND would have written at offset 17, after 17 zero bytes
    expect(await readFile(join(dir, 'svc.out.log'), 'utf8')).toBe('line two\n')
    expect(await readFile(join(dir, 'svc.out.log.1'), 'utf8')).toBe('line one is long\n')
  })
})

describe('ServiceLogs', () => {
  it('should check both files on the clock while watching, and not after unwatch', async () => {
    const clock = new FakeClock()
    const logs = createServiceLogs(
      join(dir, 'svc'),
      { maxBytes: 5, maxFiles: 3, checkIntervalMs: 1000 },
      clock,
    )
    await writeFile(join(dir, 'svc.out.log'), 'out line\n')
    await writeFile(join(dir, 'svc.err.log'), 'err line\n')
    logs.watch()
    await clock.advance(999)
    expect((await readdir(dir)).sort()).toEqual(['svc.err.log', 'svc.out.log'])
    await clock.advance(1)
    expect(await readFile(join(dir, 'svc.out.log.1'), 'utf8')).toBe('out line\n')
    expect(await readFile(join(dir, 'svc.err.log.1'), 'utf8')).toBe('err line\n')
    logs.unwatch()
    await writeFile(join(dir, 'svc.out.log'), 'again\n')
    await clock.advance(5000)
    expect(await readFile(join(dir, 'svc.out.log'), 'utf8')).toBe('again\n')
    expect(clock.pending).toBe(0)
  })
})
