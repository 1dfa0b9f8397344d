import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { groupRunning, isRunning, isSameProcess, parseStat, readCmdline, readStat } from './proc.ts'
import { Reaper } from './testing/processes.ts'

const reaper = new Reaper()
afterEach(() => reaper.killAll())

const idle = (extra: string[] = [], detached = false): ChildProcess => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)', ...extra], {
    stdio: 'ignore',
    detached,
  })
  reaper.track(child.pid)
  return child
}

describe('parseStat', () => {
  it('should read state, process group and start time after a command name holding spaces and parentheses', () => {
    const fields = Array.from({ length: 49 }, (_, i) => String(i + 3))
    fields[0] = 'S'
    fields[2] = '4242' // field 5
    fields[19] = '987654' // field 22
    expect(parseStat(`4242 (a) b (c)) ${fields.join(' ')}\n`)).toEqual({
      state: 'S',
      pgrp: 4242,
      startTime: 987654,
    })
  })

  it('should refuse text that is not a stat line', () => {
    expect(parseStat('garbage')).toBeUndefined()
    expect(parseStat('1 (x) S 1')).toBeUndefined()
  })
})

describe('isRunning', () => {
  it('should count a zombie as exited', () => {
    expect(isRunning({ state: 'Z', pgrp: 1, startTime: 1 })).toBe(false)
    expect(isRunning({ state: 'S', pgrp: 1, startTime: 1 })).toBe(true)
    expect(isRunning(undefined)).toBe(false)
  })
})

describe('readStat', () => {
  it('should tell a process from another one given the same pid by its start time', () => {
    const stat = readStat(process.pid)!
    expect(stat.startTime).toBeGreaterThan(0)
    expect(isSameProcess(process.pid, stat.startTime)).toBe(true)
    expect(isSameProcess(process.pid, stat.startTime + 1)).toBe(false)
  })

  it('should find nothing for a process that has exited', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    const pid = child.pid!
    await once(child, 'exit')
    expect(readStat(pid)).toBeUndefined()
    expect(readCmdline(pid)).toBeUndefined()
  })
})

describe('readCmdline', () => {
  it('should give the argv a process runs, empty and spaced arguments included', () => {
    const child = idle(['a b', ''])
    expect(readCmdline(child.pid!)).toEqual([
      process.execPath,
      '-e',
      'setInterval(() => {}, 60000)',
      'a b',
      '',
    ])
  })
})

describe('groupRunning', () => {
  it('should see a detached process as the leader of its own group until it exits', async () => {
    const child = idle([], true)
    const pid = child.pid!
    expect(readStat(pid)?.pgrp).toBe(pid)
    expect(groupRunning(pid)).toBe(true)
    process.kill(pid, 'SIGKILL')
    await once(child, 'exit')
    expect(groupRunning(pid)).toBe(false)
  })
})
