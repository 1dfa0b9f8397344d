import { FakeClock, noopLogger } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { sampleNotification } from '../../testing/sample.ts'
import { createConsoleChannel } from './console.ts'

const ctx = { signal: new AbortController().signal, idempotencyKey: 'k' }

describe('console channel', () => {
  it('should print one line per alert at or above its log level', async () => {
    const lines: string[] = []
    const deps = { clock: new FakeClock(), logger: noopLogger, write: (l: string) => lines.push(l) }
    await createConsoleChannel({ type: 'console' }, deps).send(sampleNotification, ctx)
    expect(lines).toEqual([
      '2025-10-22T22:00:00.000Z [ALERT] FIRING critical service-down (api): Service api is down',
      '2025-10-22T21:30:00.000Z [ALERT] RESOLVED warning cpu-overload',
    ])
    lines.length = 0
    await createConsoleChannel({ type: 'console', logLevel: 'error' }, deps).send(sampleNotification, ctx)
    expect(lines).toHaveLength(1)
    lines.length = 0
    await createConsoleChannel({ type: 'console', format: 'json' }, deps).send(sampleNotification, ctx)
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      time: '2025-10-22T22:00:00.000Z',
      level: 'error',
      receiver: 'ops',
      status: 'firing',
      fingerprint: 'aaaaaaaaaaaaaaaa',
    })
  })

  it('should write to stdout by default', async () => {
    const channel = createConsoleChannel(
      { type: 'console', logLevel: 'error' },
      { clock: new FakeClock(), logger: noopLogger },
    )
    const original = process.stdout.write
    const out: string[] = []
    process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write
    try {
      await channel.send(sampleNotification, ctx)
    } finally {
      process.stdout.write = original
    }
    expect(out).toEqual([
      '2025-10-22T22:00:00.000Z [ALERT] FIRING critical service-down (api): Service api is down\n',
    ])
  })
})
