import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { parseServiceChecks } from '../../config.ts'
import { createHealthMonitor } from '../../monitor.ts'
import type { ReceivedBeat } from './beats.ts'
import { beatKey, createPushChecker } from './push.ts'
import { pushCheckSchema } from './schema.ts'

const TOKEN = 'backup-job-token-0123456789'
const target = (input: Record<string, unknown> = {}) =>
  pushCheckSchema.parse({ type: 'push', token: TOKEN, period: 3_600_000, grace: 300_000, ...input })

describe('createPushChecker', () => {
  const setup = () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 6))
    const push = createPushChecker({ clock })
    const run = (t = target()) => push.run(t, { signal: new AbortController().signal, clock })
    return { clock, push, run }
  }

  it('should give a new check one period and its grace for the first beat', async () => {
    const { clock, run } = setup()
    expect(await run()).toMatchObject({
      state: 'healthy',
      message: 'no beat yet; the first is due within 3900 s',
    })
    await clock.advance(3_900_000)
    expect((await run()).state).toBe('healthy')
    await clock.advance(1)
    expect(await run()).toMatchObject({
      state: 'unhealthy',
      message: 'no beat in 3900 s since noa started; expected a beat every 3600 s (+300 s grace)',
      retryable: false,
    })
  })

  it('should be healthy while beats come within period and grace, and say when one is late', async () => {
    const { clock, push, run } = setup()
    push.beat(TOKEN, { message: 'backup done' })
    await clock.advance(60_000)
    expect(await run()).toMatchObject({
      state: 'healthy',
      message: 'last beat 60 s ago: backup done',
      details: { sinceLastBeatMs: 60_000 },
    })
    await clock.advance(3_840_001)
    expect(await run()).toMatchObject({
      state: 'unhealthy',
      message: 'no beat for 3900 s; expected a beat every 3600 s (+300 s grace)',
    })
    push.beat(TOKEN)
    expect((await run()).state).toBe('healthy')
  })

  it('should be unhealthy at once after a beat that says down, until one says up', async () => {
    const { push, run } = setup()
    push.beat(TOKEN, { status: 'down', message: 'disk full' })
    expect(await run()).toMatchObject({ state: 'unhealthy', message: 'the last beat said down: disk full' })
    push.beat(TOKEN, { status: 'up' })
    expect((await run()).state).toBe('healthy')
  })

  it('should judge by the later of its own beats and the shared ones, and by its own when the shared ones cannot be read', async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 6))
    const stored = new Map<string, ReceivedBeat>()
    let readable = true
    const push = createPushChecker({
      clock,
      shared: {
        async lastBeat(key) {
          if (!readable) throw new Error('store down')
          return stored.get(key)
        },
      },
    })
    const run = () => push.run(target(), { signal: new AbortController().signal, clock })
    // another agent took a down beat 10 minutes ago: shared under the token's hash, never the token
    stored.set(beatKey(TOKEN), { at: clock.now() - 600_000, status: 'down', message: 'disk full' })
    expect(beatKey(TOKEN)).not.toContain(TOKEN)
    expect(await run()).toMatchObject({ state: 'unhealthy', message: 'the last beat said down: disk full' })
    push.beat(TOKEN, { message: 'fixed' })
    expect(await run()).toMatchObject({ state: 'healthy', message: 'last beat 0 s ago: fixed' })
    await clock.advance(1000)
    stored.set(beatKey(TOKEN), { at: clock.now(), status: 'down', message: 'again' })
    expect((await run()).message).toBe('the last beat said down: again')
    readable = false
    expect((await run()).message).toBe('last beat 1 s ago: fixed')
  })

  it("should keep each token's beats apart and at most 200 characters of a message", async () => {
    const { push, run } = setup()
    push.beat('other-job-token-0123456789', { status: 'down' })
    push.beat(TOKEN, { message: 'x'.repeat(5000) })
    expect((await run()).state).toBe('healthy')
    expect(push.lastBeat(TOKEN)?.message).toHaveLength(200)
  })

  it('should refuse short tokens and tokens with characters a URL would need escaped', () => {
    const parsed = pushCheckSchema.safeParse({ type: 'push', token: 'short', period: 1000 })
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['token'])
    expect(pushCheckSchema.safeParse({ type: 'push', token: 'a/b c'.repeat(5), period: 1000 }).success).toBe(
      false,
    )
  })

  it('should refuse two push checks with one token, without showing it', () => {
    const check = { type: 'push', token: TOKEN, period: 60_000 } as const
    let message = ''
    try {
      parseServiceChecks([
        { name: 'backup', check },
        { name: 'report', check },
      ])
    } catch (error) {
      message = String(error)
    }
    expect(message).toContain(
      'services.report.check.token: the same token as service "backup": each push check needs its own',
    )
    expect(message).not.toContain(TOKEN)
  })

  it('should turn a service down through the monitor as soon as its job beats down', async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 6))
    const push = createPushChecker({ clock })
    const monitor = createHealthMonitor({
      clock,
      services: [{ name: 'backup', check: { type: 'push', token: TOKEN, period: 3_600_000 } }],
      checkers: { push },
    })
    push.beat(TOKEN)
    expect((await monitor.checkNow('backup')).state).toBe('healthy')
    push.beat(TOKEN, { status: 'down', message: 'tar exited 2' })
    const result = await monitor.checkNow('backup')
    expect(result).toMatchObject({ state: 'unhealthy', message: 'the last beat said down: tar exited 2' })
    expect(monitor.status('backup').state).toBe('unhealthy')
    await monitor.stop()
  })
})
