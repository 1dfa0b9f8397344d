import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteStore } from '@noa/store/sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { Receiver } from '../src/testing/receiver.ts'
import { startReceiver } from '../src/testing/receiver.ts'

const CHILD = join(import.meta.dirname, 'deliver-child.ts')

interface Child {
  process: ChildProcess
  lines: string[]
  /** Resolves when a line satisfies the predicate. */
  waitFor(predicate: (lines: string[]) => boolean): Promise<void>
  exited: Promise<unknown>
}

function startChild(args: string[]): Child {
  // node itself with tsx's loader (not the tsx binary, which runs node as a grandchild
  // that a SIGKILL of the wrapper would not reach).
  const child = spawn(process.execPath, ['--conditions=@noa/source', '--import', 'tsx', CHILD, ...args], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiters: Array<() => void> = []
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString()
  })
  let buffer = ''
  child.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    lines.push(...parts)
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  return {
    process: child,
    lines,
    exited,
    waitFor: (predicate) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (predicate(lines) ? resolve() : waiters.push(check))
        exited.then(() => predicate(lines) || reject(new Error(`child exited: ${stderr}`)))
        check()
      }),
  }
}

const attempts = (lines: string[]) =>
  lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { key: string; ok: boolean })

describe('delivery across a killed process', () => {
  let receiver: Receiver | undefined
  let dir: string | undefined
  const children: Child[] = []
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL')
      await c.exited
    }
    await receiver?.close()
    receiver = undefined
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('should deliver every alert in order after the delivering process is SIGKILLed mid-retry', async () => {
    dir = await mkdtemp(join(tmpdir(), 'noa-alerts-restart-'))
    const db = join(dir, 'noa.db')
    receiver = await startReceiver(500)

    const first = startChild([db, `${receiver.url}/hook`, '6'])
    children.push(first)
    // Let it fail a few times (mid-retry), then hang the next attempt and kill it in flight.
    await first.waitFor((l) => attempts(l).filter((a) => !a.ok).length >= 3)
    receiver.mode = 'hang'
    const seen = receiver.requests.length
    await new Promise<void>((resolve) => {
      const poll = () => (receiver && receiver.requests.length > seen ? resolve() : setImmediate(poll))
      poll()
    })
    first.process.kill('SIGKILL')
    await first.exited
    expect(receiver.accepted).toEqual([])

    receiver.mode = 200
    const second = startChild([db, `${receiver.url}/hook`, '0'])
    children.push(second)
    // Every delivery is marked sent only after the receiver accepted it, so a loaded machine may
    // send one twice (at-least-once), always with the same idempotency key: dedupe as a receiver does.
    await second.waitFor(
      (l) =>
        new Set(
          attempts(l)
            .filter((a) => a.ok)
            .map((a) => a.key),
        ).size >= 6,
    )
    const firstSeen = <T>(values: T[]) => [...new Set(values)]
    expect(firstSeen(receiver.accepted.map((r) => r.headers['idempotency-key']))).toEqual([
      'alert-0',
      'alert-1',
      'alert-2',
      'alert-3',
      'alert-4',
      'alert-5',
    ])
    expect(firstSeen(receiver.accepted.map((r) => JSON.parse(r.body).groupKey))).toEqual([
      'seq-0',
      'seq-1',
      'seq-2',
      'seq-3',
      'seq-4',
      'seq-5',
    ])
    // Every attempt before the kill was for the head of the queue.
    expect(new Set(attempts(first.lines).map((a) => a.key))).toEqual(new Set(['alert-0']))
    // The worker reports an attempt before it marks the delivery sent: wait for the marks.
    const store = await createSqliteStore({ path: db })
    try {
      const statuses = async () => (await store.outbox.deliveries()).map((d) => d.status)
      const deadline = Date.now() + 10_000
      while (!(await statuses()).every((s) => s === 'sent') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20))
      expect(await statuses()).toEqual(Array(6).fill('sent'))
    } finally {
      await store.close()
    }
    second.process.kill('SIGKILL')
    await second.exited
    // Two real processes each start TypeScript from source: slow on a loaded 2-core machine.
  }, 60_000)
})
