import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeClock, noopLogger } from '@noa/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sampleNotification } from '../../testing/sample.ts'
import { createFileChannel } from './file.ts'

const ctx = { signal: new AbortController().signal, idempotencyKey: 'k' }

describe('file channel', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'noa-alerts-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('should append one JSON line per alert to a daily file and keep maxFiles files', async () => {
    const clock = new FakeClock(Date.parse('2025-10-22T23:59:00Z'))
    const path = join(dir, 'logs', 'alerts')
    const channel = createFileChannel({ type: 'file', path, maxFiles: 2 }, { clock, logger: noopLogger })
    expect(await channel.send(sampleNotification, ctx)).toEqual({ ok: true })
    await writeFile(join(path, 'alerts-2025-10-01.jsonl'), '')
    await writeFile(join(path, 'notes.txt'), 'kept')
    await clock.advance(60_000)
    await channel.send(sampleNotification, ctx)
    await clock.advance(86_400_000)
    await channel.send(sampleNotification, ctx)
    expect((await readdir(path)).sort()).toEqual([
      'alerts-2025-10-23.jsonl',
      'alerts-2025-10-24.jsonl',
      'notes.txt',
    ])
    const lines = (await readFile(join(path, 'alerts-2025-10-23.jsonl'), 'utf8')).trim().split('\n')
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        time: '2025-10-23T00:00:00.000Z',
        receiver: 'ops',
        groupKey: '{}',
        ...sampleNotification.alerts[0],
      },
      { time: '2025-10-23T00:00:00.000Z', receiver: 'ops', groupKey: '{}', ...sampleNotification.alerts[1] },
    ])
  })

  it('should return a retryable failure when it cannot write', async () => {
    const blocker = join(dir, 'file')
    await writeFile(blocker, '')
    const channel = createFileChannel(
      { type: 'file', path: join(blocker, 'alerts') },
      { clock: new FakeClock(), logger: noopLogger },
    )
    const result = await channel.send(sampleNotification, ctx)
    expect(result).toMatchObject({ ok: false, retryable: true })
    expect(result.ok === false && result.error).toMatch(/^cannot write alert file: /)
  })
})
