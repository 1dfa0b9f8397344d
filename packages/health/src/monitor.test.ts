import { spawn } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import type { CheckResult, LogFields } from '@noa/core'
import { FakeClock, isConfigError } from '@noa/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Checker, CheckOutcome } from './checker.ts'
import type { HttpCheckOptions } from './checkers/http/schema.ts'
import { childHandle } from './checkers/process/process.ts'
import type { ServiceCheckInput } from './config.ts'
import type { HealthChange, HealthMonitorOptions, HealthSummary } from './monitor.ts'
import { createHealthMonitor, type HealthMonitor } from './monitor.ts'
import { overallStatus } from './overall.ts'
import type { TestServer } from './testing/servers.ts'
import { startHttpServer, startTcpServer } from './testing/servers.ts'

type Behaviour = (signal: AbortSignal, call: number) => Promise<CheckOutcome> | CheckOutcome

/** A fake http checker: each URL's host names a scripted behaviour; it records every call and its fake time. */
function scriptedChecker(clock: FakeClock, behaviours: Record<string, Behaviour>) {
  const calls: Array<{ host: string; at: number }> = []
  const checker: Checker<HttpCheckOptions> = {
    run(target, { signal }) {
      const host = new URL(target.url).hostname
      calls.push({ host, at: clock.now() })
      return Promise.resolve(behaviours[host]!(signal, calls.filter((c) => c.host === host).length))
    },
  }
  return {
    checker,
    calls,
    times: (host: string) => calls.filter((c) => c.host === host).map((c) => c.at - START),
  }
}

const START = Date.parse('2025-10-22T22:00:00.000Z')
const healthy: Behaviour = () => ({ state: 'healthy', message: 'status 200' })
const down: Behaviour = () => ({ state: 'error', message: 'connect ECONNREFUSED', retryable: true })
/** Answers only when aborted, as a real checker does on timeout. */
const hangs: Behaviour = (signal) =>
  new Promise((resolve) =>
    signal.addEventListener('abort', () =>
      resolve({ state: 'error', message: String(signal.reason.message) }),
    ),
  )
/** Ignores its signal entirely: the monitor must still move on. */
const ignoresSignal: Behaviour = () => new Promise(() => {})

const svc = (name: string, extra: Partial<ServiceCheckInput> = {}): ServiceCheckInput => ({
  name,
  check: { type: 'http', url: `http://${name}/health` },
  ...extra,
})

const nextChange = (monitor: HealthMonitor) =>
  new Promise<HealthChange>((resolve) => {
    const off = monitor.on('change', (change) => {
      off()
      resolve(change)
    })
  })

const monitors: HealthMonitor[] = []
function build(
  clock: FakeClock,
  behaviours: Record<string, Behaviour>,
  options: Omit<HealthMonitorOptions, 'clock'>,
) {
  const scripted = scriptedChecker(clock, behaviours)
  const monitor = createHealthMonitor({
    clock,
    random: () => 0,
    ...options,
    checkers: { http: scripted.checker },
  })
  monitors.push(monitor)
  return { monitor, ...scripted }
}

afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()))
})

describe('HealthMonitor', () => {
  it('should run every check once and return the seed-shaped summary with blockedBy', async () => {
    const clock = new FakeClock()
    const { monitor } = build(
      clock,
      { 'claude-flow': down, 'mcp-server': healthy, 'ui-server': healthy, docs: down },
      {
        services: [
          svc('claude-flow', { retries: 0 }),
          svc('mcp-server', { dependsOn: ['claude-flow'] }),
          svc('ui-server', { dependsOn: ['mcp-server'] }),
          svc('docs', { retries: 0, critical: false }),
        ],
      },
    )
    const changes: HealthChange[] = []
    const summaries: HealthSummary[] = []
    monitor.on('change', (c) => changes.push(c))
    monitor.on('summary', (s) => summaries.push(s))
    const summary = await monitor.runOnce()
    expect(summaries).toEqual([summary])
    expect(summary.timestamp).toBe('2025-10-22T22:00:00.000Z')
    expect(summary.overall).toBe('unhealthy')
    expect(summary.counts).toEqual({ healthy: 2, unhealthy: 0, error: 2, unknown: 0 })
    expect(summary.services.map((s) => [s.service, s.state, s.blockedBy])).toEqual([
      ['claude-flow', 'error', []],
      ['mcp-server', 'healthy', ['claude-flow']],
      ['ui-server', 'healthy', ['claude-flow']],
      ['docs', 'error', []],
    ])
    expect(summary.services[0]).toEqual({
      service: 'claude-flow',
      state: 'error',
      critical: true,
      since: START,
      flapping: false,
      recentChanges: 0,
      consecutiveFailures: 1,
      consecutiveSuccesses: 0,
      dependsOn: [],
      blockedBy: [],
      lastResult: {
        service: 'claude-flow',
        state: 'error',
        at: START,
        durationMs: 0,
        attempts: 1,
        message: 'connect ECONNREFUSED',
      },
    })
    expect(changes.map((c) => `${c.service}: ${c.from} -> ${c.to}`)).toEqual([
      'claude-flow: unknown -> error',
      'mcp-server: unknown -> healthy',
      'ui-server: unknown -> healthy',
      'docs: unknown -> error',
    ])
    expect(changes[0]?.result).toBe(summary.services[0]?.lastResult)
  })

  it('should stop calling a listener once its unsubscribe runs, and never let a throwing listener stop the others', async () => {
    const clock = new FakeClock()
    const logged: Array<[string, LogFields | undefined]> = []
    const noop = () => {}
    const logger = {
      debug: noop,
      info: noop,
      warn: noop,
      error: (m: string, f?: LogFields) => logged.push([m, f]),
    }
    const { monitor } = build(clock, { api: healthy }, { services: [svc('api')], logger })
    const seen: string[] = []
    monitor.on('result', () => {
      throw new Error('listener bug')
    })
    const off = monitor.on('result', (r) => seen.push(`first ${r.state}`))
    monitor.on('result', (r) => seen.push(`second ${r.state}`))
    await monitor.runOnce()
    off()
    await monitor.runOnce()
    expect(seen).toEqual(['first healthy', 'second healthy', 'second healthy'])
    expect(logged).toEqual([
      ['event listener failed', { component: 'health', event: 'result', error: 'listener bug' }],
      ['event listener failed', { component: 'health', event: 'result', error: 'listener bug' }],
    ])
    // Its users listen; only the monitor emits.
    expect('emit' in monitor).toBe(false)
  })

  it('should retry with exponential backoff between attempts, in fake time', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { api: (_s, call) => (call < 3 ? down(_s, call) : healthy(_s, call)) },
      { services: [svc('api')] },
    )
    const results: CheckResult[] = []
    monitor.on('result', (r) => results.push(r))
    const done = monitor.checkNow('api')
    await clock.advance(999)
    expect(times('api')).toEqual([0])
    await clock.advance(1)
    expect(times('api')).toEqual([0, 1_000])
    await clock.advance(1_999)
    expect(times('api')).toEqual([0, 1_000])
    await clock.advance(1)
    expect(await done).toMatchObject({ state: 'healthy', attempts: 3, at: START + 3_000 })
    expect(times('api')).toEqual([0, 1_000, 3_000])
    expect(results).toHaveLength(1)
  })

  it('should give up after retries and not retry a non-retryable failure', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      {
        api: down,
        web: () => ({ state: 'unhealthy', message: 'expected status 200-399, got 404', retryable: false }),
      },
      { services: [svc('api', { retries: 2, backoff: { jitter: 0 } }), svc('web')] },
    )
    const pending = monitor.runOnce()
    await clock.runAll()
    const summary = await pending
    expect(times('api')).toEqual([0, 1_000, 3_000])
    expect(times('web')).toEqual([0])
    expect(summary.services.map((s) => s.lastResult?.attempts)).toEqual([3, 1])
  })

  it('should abort an attempt at its timeout, even when the checker ignores its signal', async () => {
    const clock = new FakeClock()
    const { monitor } = build(
      clock,
      {
        slow: hangs,
        deaf: ignoresSignal,
        // Answers "healthy" just after its deadline: too late to count.
        late: (signal) =>
          new Promise((resolve) =>
            signal.addEventListener('abort', () => queueMicrotask(() => resolve({ state: 'healthy' }))),
          ),
      },
      {
        services: [
          svc('slow', { retries: 0 }),
          svc('deaf', { retries: 0, timeout: 2_000 }),
          svc('late', { retries: 0, timeout: 2_000 }),
        ],
      },
    )
    const pending = monitor.runOnce()
    await clock.advance(2_000)
    expect(monitor.status('deaf').lastResult).toMatchObject({
      state: 'error',
      message: 'check of deaf timed out after 2000 ms',
      durationMs: 2_000,
    })
    expect(monitor.status('slow').state).toBe('unknown')
    await clock.advance(3_000)
    expect((await pending).services.map((s) => s.lastResult?.message)).toEqual([
      'check of slow timed out after 5000 ms',
      'check of deaf timed out after 2000 ms',
      'check of late timed out after 2000 ms',
    ])
  })

  it('should schedule each service on its interval after a jittered first run, a hung one delaying no other', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { fast: healthy, hung: hangs },
      {
        random: () => 0.5,
        firstRunJitterMs: 1_000,
        concurrency: 2,
        services: [
          svc('fast', { interval: 10_000, timeout: 1_000 }),
          svc('hung', { interval: 30_000, timeout: 30_000, retries: 0 }),
        ],
      },
    )
    monitor.start()
    monitor.start()
    expect(monitor.running).toBe(true)
    await clock.advance(40_000)
    expect(times('fast')).toEqual([500, 10_500, 20_500, 30_500])
    // The hung check runs at 500, times out at 30 500 and runs again at once (its interval has passed).
    expect(times('hung')).toEqual([500, 30_500])
  })

  it('should spread the first checks of a large fleet evenly, at most firstRunRate a second and within one interval', async () => {
    const clock = new FakeClock()
    const first = new Map<string, number>()
    const all: Array<{ host: string; at: number }> = []
    const checker: Checker<HttpCheckOptions> = {
      run(target) {
        const host = target.url.slice(7, target.url.indexOf('/', 7))
        const at = clock.now() - START
        all.push({ host, at })
        if (!first.has(host)) first.set(host, at)
        return Promise.resolve({ state: 'healthy' as const })
      },
    }
    const n = 600
    const monitor = createHealthMonitor({
      clock,
      random: () => 0.5,
      firstRunJitterMs: 1000,
      firstRunRate: 100,
      // The spread alone (the tick grid has its own test).
      scheduleTickMs: 0,
      checkers: { http: checker },
      services: [
        ...Array.from({ length: n - 1 }, (_, i) => svc(`s${i}`, { interval: 30_000 })),
        // A short interval bounds its own spread: its first check is within its interval.
        svc('short', { interval: 2_000, timeout: 1_000 }),
      ],
    })
    monitors.push(monitor)
    monitor.start()
    await clock.advance(30_000)
    expect(first.size).toBe(n)
    // 600 services at 100 a second: over 6 s, 100 in each second, the k-th at (k + 0.5) * 10 ms
    // (the last slot is the short one's, counted apart).
    const perSecond = [0, 0, 0, 0, 0, 0, 0]
    for (const [host, at] of first) if (host !== 'short') perSecond[Math.floor(at / 1000)]!++
    expect(perSecond).toEqual([100, 100, 100, 100, 100, 99, 0])
    expect(first.get('s0')).toBe(5)
    expect(first.get('s599')).toBeUndefined()
    expect(first.get('s598')).toBe(5985)
    // Its spread is 90 % of its interval: checked once within the interval, tick and answer included.
    expect(first.get('short')).toBe(Math.floor((599.5 * 1800) / 600))
    // The phase holds: each service comes back one interval after its first check.
    await clock.advance(6_000)
    const second = all.filter((c) => c.host === 's300').map((c) => c.at)
    expect(second).toEqual([3005, 33_005])
  })

  it('should start scheduled checks on the tick grid, together, interval after interval', async () => {
    const clock = new FakeClock()
    const draws = [0.05, 0.31, 0.99]
    const slow: Behaviour = async () => {
      await clock.sleep(30)
      return { state: 'healthy' }
    }
    const { monitor, times } = build(
      clock,
      { a: slow, b: slow, c: slow },
      {
        random: () => draws.shift() ?? 0,
        firstRunJitterMs: 1_000,
        scheduleTickMs: 100,
        services: ['a', 'b', 'c'].map((name) => svc(name, { interval: 10_000, retries: 0 })),
      },
    )
    monitor.start()
    await clock.advance(21_000)
    // Jitter 50, 310 and 990 ms: each starts at the next tick, then exactly one interval later.
    expect([times('a'), times('b'), times('c')]).toEqual([
      [100, 10_100, 20_100],
      [400, 10_400, 20_400],
      [1_000, 11_000, 21_000],
    ])
  })

  it('should wait for the checks of one tick with one timer, skipping a service taken out meanwhile', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { a: healthy, b: healthy, c: healthy, d: healthy },
      {
        random: () => 0.5,
        firstRunJitterMs: 100,
        scheduleTickMs: 100,
        services: ['a', 'b', 'c', 'd'].map((name) =>
          svc(name, { interval: 1_000, timeout: 500, retries: 0 }),
        ),
      },
    )
    monitor.start()
    // Four first checks due at 100 ms: one timer.
    expect(clock.pending).toBe(1)
    monitor.checkOnly(new Set(['a', 'b', 'd']))
    await clock.advance(100)
    expect([times('a'), times('b'), times('c'), times('d')]).toEqual([[100], [100], [], [100]])
    // Their next checks, due together again: one timer (the deadline slots are released).
    expect(clock.pending).toBe(1)
    monitor.update(['a', 'b'].map((name) => svc(name, { interval: 1_000, timeout: 500, retries: 0 })))
    await clock.advance(1_000)
    expect([times('a'), times('b'), times('d')]).toEqual([[100, 1_100], [100, 1_100], [100]])
    await monitor.stop()
    expect(clock.pending).toBe(0)
  })

  it('should keep the interval on the tick grid with a clock that moves between two reads', async () => {
    // performance.now() moves on between two reads: a due time rebuilt from a delay lands a
    // hair after the grid point and slipped a whole tick at every interval (300 ms became 400).
    class CreepingClock extends FakeClock {
      #creep = 0
      override monotonic() {
        this.#creep += 0.001
        return super.monotonic() + this.#creep
      }
    }
    const clock = new CreepingClock()
    const { monitor, times } = build(
      clock,
      { a: healthy },
      {
        firstRunJitterMs: 0,
        scheduleTickMs: 100,
        services: [svc('a', { interval: 300, timeout: 100, retries: 0 })],
      },
    )
    monitor.start()
    await clock.advance(3_000)
    expect(times('a')).toHaveLength(10)
    const gaps = times('a').map((t, i, all) => (i === 0 ? 300 : Math.round(t - all[i - 1]!)))
    expect(new Set(gaps)).toEqual(new Set([300]))
  })

  it('should keep the first-run jitter for a fleet that fits in it', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { a: healthy, b: healthy },
      {
        random: () => 0.5,
        firstRunJitterMs: 1_000,
        firstRunRate: 100,
        services: [svc('a', { interval: 30_000 }), svc('b', { interval: 30_000 })],
      },
    )
    monitor.start()
    await clock.advance(1_000)
    expect([...times('a'), ...times('b')]).toEqual([500, 500])
  })

  it('should check the dependencies of a falling service, and the dependents of a recovering one, before announcing', async () => {
    const clock = new FakeClock()
    // db is down from 1 s to 60.2 s; api fails while db is down, as a real dependent does.
    const dbDown = () => clock.now() - START >= 1_000 && clock.now() - START < 60_200
    const { monitor, times } = build(
      clock,
      {
        db: (signal, call) => (dbDown() ? down(signal, call) : healthy(signal, call)),
        api: (signal, call) => (dbDown() ? down(signal, call) : healthy(signal, call)),
      },
      {
        firstRunJitterMs: 0,
        services: [
          svc('db', { interval: 60_500, timeout: 1_000, retries: 0 }),
          svc('api', { interval: 1_000, timeout: 1_000, retries: 0, dependsOn: ['db'] }),
        ],
      },
    )
    const changes: HealthChange[] = []
    monitor.on('change', (c) => changes.push(c))
    monitor.start()
    await clock.advance(0)
    expect(changes.map((c) => [c.service, c.to])).toEqual([
      ['db', 'healthy'],
      ['api', 'healthy'],
    ])
    // api fails at 1 s, long before db's next check: db is checked at once, and api's change names it.
    await clock.advance(1_000)
    expect(times('db')).toEqual([0, 1_000])
    expect(changes.slice(2).map((c) => [c.service, c.to, c.blockedBy])).toEqual([
      ['db', 'error', []],
      ['api', 'error', ['db']],
    ])
    // db is back at its check at 60.5 s, between two checks of api: api is checked again
    // before db's recovery is announced, so it is not seen down for no reason meanwhile.
    await clock.advance(59_500)
    expect(changes.slice(4).map((c) => [c.service, c.to, c.at - START])).toEqual([
      ['api', 'healthy', 60_500],
      ['db', 'healthy', 60_500],
    ])
  })

  it('should tell how late each scheduled check started, counting a queue for a concurrency slot', async () => {
    const clock = new FakeClock()
    const slow: Behaviour = () => new Promise((r) => clock.setTimeout(() => r({ state: 'healthy' }), 300))
    const { monitor } = build(
      clock,
      { a: slow, b: slow },
      {
        firstRunJitterMs: 0,
        concurrency: 1,
        services: [
          svc('a', { interval: 1_000, timeout: 1_000 }),
          svc('b', { interval: 1_000, timeout: 1_000 }),
        ],
      },
    )
    const late: Array<[string, number]> = []
    monitor.on('late', ({ service, lateMs }) => late.push([service, lateMs]))
    monitor.start()
    await clock.advance(1_500)
    // Both are due together: b waits for a's slot (300 ms) each time; a runs on time.
    expect(late).toEqual([
      ['a', 0],
      ['b', 300],
      ['a', 0],
      ['b', 300],
    ])
  })

  it('should take a new set of services: keep the state of unchanged ones, start new and changed ones, forget removed ones', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { a: healthy, b: down, c: healthy, d: healthy },
      {
        firstRunJitterMs: 0,
        services: [
          svc('a', { interval: 1_000, timeout: 500, retries: 0 }),
          svc('b', { interval: 1_000, timeout: 500, retries: 0 }),
          svc('c', { interval: 1_000, timeout: 500, retries: 0 }),
        ],
      },
    )
    monitor.start()
    await clock.advance(0)
    expect(monitor.summary().services.map((s) => [s.service, s.state])).toEqual([
      ['a', 'healthy'],
      ['b', 'error'],
      ['c', 'healthy'],
    ])
    const since = monitor.status('a').since
    const result = monitor.update([
      svc('d', { interval: 1_000, timeout: 500, retries: 0 }),
      svc('a', { interval: 1_000, timeout: 500, retries: 0 }),
      svc('b', { interval: 2_000, timeout: 500, retries: 0 }),
    ])
    expect(result).toEqual({ added: ['d'], removed: ['c'], changed: ['b'], kept: ['a'] })
    expect(monitor.services.map((s) => s.name)).toEqual(['d', 'a', 'b'])
    expect(monitor.status('a')).toMatchObject({ state: 'healthy', since })
    expect(monitor.status('b').state).toBe('unknown')
    expect(() => monitor.status('c')).toThrow(/unknown service "c"/)
    await clock.advance(2_000)
    // c is checked no more; a keeps its schedule; b and d start like at a start.
    expect(times('c')).toEqual([0])
    expect(times('a')).toEqual([0, 1_000, 2_000])
    expect(times('b')).toEqual([0, 0, 2_000])
    expect(times('d')).toEqual([0, 1_000, 2_000])
    expect(monitor.status('b').state).toBe('error')
    // A bad set is refused as a whole and changes nothing.
    expect(() => monitor.update([svc('a', { timeout: 500, dependsOn: ['nope'] })])).toThrow(/nope/)
    expect(monitor.services.map((s) => s.name)).toEqual(['d', 'a', 'b'])
  })

  it('should check only its share of the services, and take the results of the others from outside', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { a: healthy, b: healthy },
      {
        firstRunJitterMs: 0,
        services: [
          svc('a', { interval: 1_000, timeout: 500, retries: 0 }),
          svc('b', { interval: 1_000, timeout: 500, retries: 0 }),
        ],
      },
    )
    const results: string[] = []
    const changes: string[] = []
    monitor.on('result', (r) => results.push(r.service))
    monitor.on('change', (c) => changes.push(`${c.service}:${c.to}`))
    monitor.checkOnly(new Set(['a']))
    monitor.start()
    await clock.advance(1_500)
    expect(times('a')).toEqual([0, 1_000])
    expect(times('b')).toEqual([])
    expect(monitor.checksHere('b')).toBe(false)
    // b's results come from the agent that checks it: its changes show here, its results do not.
    monitor.observe({ service: 'b', state: 'error', at: clock.now(), durationMs: 3, attempts: 1 })
    monitor.observe({ service: 'b', state: 'healthy', at: clock.now() - 1, durationMs: 3, attempts: 1 })
    expect(monitor.status('b').state).toBe('error')
    expect(results).toEqual(['a', 'a'])
    expect(changes).toEqual(['a:healthy', 'b:error'])
    // b comes to this monitor: it is checked soon, a no more.
    monitor.checkOnly(new Set(['b']))
    await clock.advance(1_000)
    expect(times('b')).toEqual([1_500, 2_500])
    await clock.advance(2_000)
    expect(times('a')).toEqual([0, 1_000])
  })

  it('should queue attempts beyond the concurrency limit', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { a: hangs, b: hangs, c: healthy },
      { concurrency: 1, services: ['a', 'b', 'c'].map((n) => svc(n, { retries: 0, timeout: 1_000 })) },
    )
    const pending = monitor.runOnce()
    await clock.advance(2_500)
    expect(times('a')).toEqual([0])
    expect(times('b')).toEqual([1_000])
    expect(times('c')).toEqual([2_000])
    expect((await pending).counts).toEqual({ healthy: 1, unhealthy: 0, error: 2, unknown: 0 })
  })

  it('should join a check in flight and start the others as slots free up in runOnce', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { x: healthy, a: hangs, y: healthy },
      { concurrency: 1, services: ['x', 'a', 'y'].map((n) => svc(n, { retries: 0, timeout: 1_000 })) },
    )
    const inFlight = monitor.checkNow('a')
    const pending = monitor.runOnce()
    await clock.advance(1_000)
    const summary = await pending
    // a is joined, not checked again; x and y wait for the slot a holds.
    expect(times('a')).toEqual([0])
    expect(times('x')).toEqual([1_000])
    expect(times('y')).toEqual([1_000])
    expect(summary.services.map((s) => s.state)).toEqual(['healthy', 'error', 'healthy'])
    expect(await inFlight).toBe(summary.services[1]?.lastResult)
  })

  it('should see a supervised process exit at once through its handle and through report()', async () => {
    const clock = new FakeClock()
    const handle = Object.assign(new EventEmitter(), { pid: 4242, isAlive: () => true })
    const monitor = createHealthMonitor({
      clock,
      services: [
        { name: 'worker', check: { type: 'process', handle }, interval: 30_000, failureThreshold: 3 },
        svc('api', { failureThreshold: 3, successThreshold: 2 }),
      ],
      checkers: { http: scriptedChecker(clock, { api: healthy }).checker },
    })
    monitors.push(monitor)
    const changes: HealthChange[] = []
    monitor.on('change', (c) => changes.push(c))
    monitor.start()
    await clock.advance(1_000)
    expect(monitor.status('worker').state).toBe('healthy')
    handle.emit('exit', 1, null)
    expect(changes.at(-1)).toMatchObject({
      service: 'worker',
      from: 'healthy',
      to: 'error',
      at: START + 1_000,
      result: { message: 'process exited with code 1', attempts: 1, details: { exitCode: 1, signal: null } },
    })
    handle.emit('exit', null, 'SIGKILL')
    expect(monitor.status('worker').lastResult?.message).toBe('process exited on SIGKILL')
    monitor.report('api', { state: 'unhealthy', message: 'reported' })
    expect(monitor.status('api').state).toBe('unhealthy')
    monitor.report('api', { state: 'healthy' }, { decisive: false })
    expect(monitor.status('api').state).toBe('unhealthy')
    await monitor.stop()
    expect(handle.listenerCount('exit')).toBe(0)
  })

  it('should emit flapping instead of a change on every result', async () => {
    const clock = new FakeClock()
    let up = true
    const { monitor } = build(
      clock,
      { api: () => (up ? { state: 'healthy' } : { state: 'unhealthy', retryable: false }) },
      { services: [svc('api', { flapping: { windowMs: 60_000, limit: 3 } })] },
    )
    const events: string[] = []
    monitor.on('change', (c) => events.push(`change ${c.to}`))
    monitor.on('flapping', (f) => events.push(`flapping ${f.flapping} ${f.state}`))
    for (let i = 0; i < 6; i++) {
      await monitor.checkNow('api')
      up = !up
      await clock.advance(1_000)
    }
    expect(events).toEqual(['change healthy', 'change unhealthy', 'change healthy', 'flapping true healthy'])
    expect(monitor.status('api').flapping).toBe(true)
  })

  it('should stop: abort checks in flight, cancel timers, apply nothing more', async () => {
    const clock = new FakeClock()
    let aborted: unknown
    const { monitor } = build(
      clock,
      {
        api: (signal) =>
          new Promise((resolve) =>
            signal.addEventListener('abort', () => {
              aborted = signal.reason
              resolve({ state: 'error' })
            }),
          ),
      },
      { services: [svc('api')] },
    )
    const results: CheckResult[] = []
    monitor.on('result', (r) => results.push(r))
    monitor.start()
    await clock.advance(100)
    await monitor.stop()
    expect(String(aborted)).toBe('NoaError: health monitor stopped')
    expect(results).toEqual([])
    expect(clock.pending).toBe(0)
    expect(monitor.running).toBe(false)
  })

  it('should end a check waiting to retry when stopped, applying nothing', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(clock, { api: down }, { services: [svc('api')] })
    const results: CheckResult[] = []
    monitor.on('result', (r) => results.push(r))
    const pending = monitor.checkNow('api')
    await clock.advance(10)
    await monitor.stop()
    expect(await pending).toMatchObject({ state: 'error', attempts: 1, message: 'connect ECONNREFUSED' })
    expect(results).toEqual([])
    expect(times('api')).toEqual([0])
    expect(clock.pending).toBe(0)
  })

  it('should settle queued attempts after stop without running their checks', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(
      clock,
      { a: hangs, b: healthy, c: healthy },
      { concurrency: 1, services: ['a', 'b', 'c'].map((n) => svc(n, { retries: 0 })) },
    )
    const pending = monitor.runOnce()
    await clock.advance(10)
    await monitor.stop()
    const summary = await pending
    expect(times('a')).toEqual([0])
    expect(times('b')).toEqual([])
    expect(summary.counts.unknown).toBe(3)
  })

  it('should coalesce the summary of results settling together while running', async () => {
    const clock = new FakeClock()
    const { monitor } = build(clock, { a: healthy, b: healthy }, { services: [svc('a'), svc('b')] })
    const summaries: HealthSummary[] = []
    monitor.on('summary', (s) => summaries.push(s))
    monitor.start()
    await clock.advance(0)
    expect(summaries.map((s) => s.overall)).toEqual(['healthy'])
  })

  it('should not make summaries while nobody listens for them', async () => {
    const clock = new FakeClock()
    const { monitor } = build(clock, { a: healthy, b: healthy }, { services: [svc('a'), svc('b')] })
    const made = vi.spyOn(monitor, 'summary')
    monitor.start()
    await clock.advance(0)
    expect(made).not.toHaveBeenCalled()
    const summaries: HealthSummary[] = []
    monitor.on('summary', (s) => summaries.push(s))
    await clock.advance(30_000)
    expect(made).toHaveBeenCalledTimes(1)
    expect(summaries).toHaveLength(1)
    await monitor.stop()
  })

  it('should join a check already in flight and refuse an unknown service', async () => {
    const clock = new FakeClock()
    const { monitor, times } = build(clock, { api: healthy }, { services: [svc('api')] })
    const [a, b] = await Promise.all([monitor.checkNow('api'), monitor.checkNow('api')])
    expect(a).toBe(b)
    expect(times('api')).toEqual([0])
    expect(() => monitor.checkNow('nope')).toThrow('unknown service "nope"; known: api')
  })

  it('should refuse bad monitor settings and bad services together', () => {
    let error: unknown
    try {
      createHealthMonitor({ concurrency: 0, services: [svc('a', { interval: -1 })] })
    } catch (e) {
      error = e
    }
    expect(isConfigError(error)).toBe(true)
    expect((error as Error).message).toBe(
      'concurrency: Too small: expected number to be >0; found 0\nservices.a.interval: Too small: expected number to be >0; found -1',
    )
  })
})

describe('overallStatus', () => {
  it('should be unhealthy for a critical service down, degraded for a non-critical one, unknown before results', () => {
    expect(overallStatus([])).toBe('unknown')
    expect(overallStatus([{ state: 'healthy', critical: true }])).toBe('healthy')
    expect(
      overallStatus([
        { state: 'healthy', critical: true },
        { state: 'unknown', critical: true },
      ]),
    ).toBe('unknown')
    expect(
      overallStatus([
        { state: 'unknown', critical: true },
        { state: 'error', critical: false },
      ]),
    ).toBe('degraded')
    expect(
      overallStatus([
        { state: 'unhealthy', critical: false },
        { state: 'error', critical: true },
      ]),
    ).toBe('unhealthy')
  })
})

describe('HealthMonitor with real parts', () => {
  const servers: TestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('should check a real HTTP service and see it go down', async () => {
    let status = 200
    const server = await startHttpServer((_req, res) => res.writeHead(status).end())
    servers.push(server)
    const monitor = createHealthMonitor({
      services: [{ name: 'mcp-server', check: { type: 'http', url: `${server.url}/health` }, retries: 0 }],
    })
    monitors.push(monitor)
    expect((await monitor.runOnce()).overall).toBe('healthy')
    status = 503
    const changed = nextChange(monitor)
    await monitor.runOnce()
    const change = await changed
    expect(change).toMatchObject({
      from: 'healthy',
      to: 'unhealthy',
      result: { message: 'expected status 200-399, got 503' },
    })
  })

  it('should time out a real HTTP service that never answers, or stop, and close its socket', async () => {
    const clock = new FakeClock()
    let closes = 0
    const server = await startTcpServer((socket) =>
      socket.resume().on('close', () => {
        closes++
      }),
    )
    servers.push(server)
    const monitor = createHealthMonitor({
      clock,
      services: [
        {
          name: 'deaf',
          check: { type: 'http', url: `http://127.0.0.1:${server.port}/` },
          timeout: 2_000,
          retries: 0,
        },
      ],
    })
    monitors.push(monitor)
    const result = monitor.checkNow('deaf')
    await vi.waitFor(() => expect(server.connections).toBe(1))
    await clock.advance(1_999)
    await clock.advance(11)
    expect(await result).toMatchObject({ state: 'error', message: 'check of deaf timed out after 2000 ms' })
    await vi.waitFor(() => expect(closes).toBe(1))
    // Its deadline slot is gone with it: no timer left behind.
    expect(clock.pending).toBe(0)
    // stop() ends a check in flight the same way.
    const stopped = monitor.checkNow('deaf')
    await vi.waitFor(() => expect(server.connections).toBe(2))
    await monitor.stop()
    expect(await stopped).toMatchObject({ state: 'error', message: 'health monitor stopped' })
    await vi.waitFor(() => expect(closes).toBe(2))
    expect(clock.pending).toBe(0)
  })

  it('should give an error result, not a crash, when node refuses a request', async () => {
    const server = await startHttpServer((_req, res) => res.writeHead(200).end())
    try {
      const monitor = createHealthMonitor({
        services: [
          {
            name: 'bad',
            check: { type: 'http', url: `${server.url}/health`, headers: { 'x-bad': 'a\nb' } },
            retries: 0,
          },
          { name: 'good', check: { type: 'http', url: `${server.url}/health` }, retries: 0 },
        ],
      })
      monitors.push(monitor)
      const summary = await monitor.runOnce()
      expect(summary.services.map((s) => s.state)).toEqual(['error', 'healthy'])
      expect(summary.services[0]?.lastResult).toMatchObject({
        message: 'Invalid character in header content ["x-bad"]',
        details: { code: 'ERR_INVALID_CHAR' },
        attempts: 1,
      })
    } finally {
      await server.close()
    }
  })

  it('should see a real child process exit as soon as it happens', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' })
    try {
      await once(child, 'spawn')
      const monitor = createHealthMonitor({
        firstRunJitterMs: 0,
        services: [{ name: 'worker', check: { type: 'process', handle: childHandle(child) } }],
      })
      monitors.push(monitor)
      const first = nextChange(monitor)
      monitor.start()
      expect((await first).to).toBe('healthy')
      const down = nextChange(monitor)
      child.kill('SIGTERM')
      expect(await down).toMatchObject({
        to: 'error',
        result: { message: 'process exited on SIGTERM' },
      })
    } finally {
      child.kill('SIGKILL')
    }
  })
})
