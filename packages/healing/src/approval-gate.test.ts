import type { Approval, ApprovalStore } from '@noa/core'
import { FakeClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { describe, expect, it } from 'vitest'
import { createApprovalGate } from './approval-gate.ts'

const TIMEOUT = 60_000
const POLL = 1000

function gateWith(store: ApprovalStore | undefined, clock: FakeClock) {
  const requested: Approval[] = []
  const gate = createApprovalGate({
    store,
    clock,
    timeoutMs: TIMEOUT,
    pollMs: POLL,
    requested: (a) => requested.push(a),
  })
  return { gate, requested }
}

/** Lets the gate's awaits run (the memory store answers in microtasks). */
const settle = () => new Promise((r) => setTimeout(r, 5))

describe('approval gate', () => {
  it('should refuse at once without an approval store', async () => {
    const { gate, requested } = gateWith(undefined, new FakeClock())
    const result = await gate.wait('api', 'rollback', 'deploy failed', new AbortController().signal)
    expect(result).toEqual({
      status: 'rejected',
      error: 'approval required, but no approval store is configured',
    })
    expect(requested).toEqual([])
    expect(await gate.decide('appr-1', { status: 'approved', at: 0 })).toBeUndefined()
  })

  it('should ask once, wake at once on a decision made through it, and not wait on the poll', async () => {
    const clock = new FakeClock()
    const store = createMemoryStore({ clock })
    const { gate, requested } = gateWith(store.approvals, clock)
    const waiting = gate.wait('api', 'rollback', 'deploy failed', new AbortController().signal)
    await settle()
    expect(requested).toHaveLength(1)
    const [asked] = requested
    expect(asked).toMatchObject({
      service: 'api',
      action: 'rollback',
      reason: 'deploy failed',
      status: 'pending',
      expiresAt: clock.now() + TIMEOUT,
    })
    const decided = await gate.decide(asked!.id, { status: 'approved', at: clock.now(), by: 'ops' })
    expect(decided).toMatchObject({ id: asked!.id, status: 'approved' })
    // the clock never moved: only the wake-up can have ended the wait
    const result = await waiting
    expect(result.status).toBe('approved')
    expect(result.approval).toMatchObject({ id: asked!.id, status: 'approved' })
  })

  it('should wait again on a pending approval for the same service and action instead of asking twice', async () => {
    const clock = new FakeClock()
    const store = createMemoryStore({ clock })
    const first = gateWith(store.approvals, clock)
    const controller = new AbortController()
    const waiting = first.gate.wait('api', 'rollback', 'deploy failed', controller.signal)
    await settle()
    first.gate.close()
    expect((await waiting).status).toBe('interrupted')
    // a new engine (an agent restart) finds the approval still pending and waits on it
    const second = gateWith(store.approvals, clock)
    const again = second.gate.wait('api', 'rollback', 'deploy failed again', new AbortController().signal)
    await settle()
    expect(second.requested).toEqual([])
    const [pending] = await store.approvals.approvals({ status: 'pending' })
    expect(pending?.id).toBe(first.requested[0]?.id)
    // decided elsewhere (the store directly): seen at the next poll
    await store.approvals.decideApproval(pending!.id, { status: 'rejected', at: clock.now() })
    await clock.advance(POLL)
    expect((await again).status).toBe('rejected')
    expect(await store.approvals.approvals()).toHaveLength(1)
  })

  it('should expire an approval nobody decides and record it as expired', async () => {
    const clock = new FakeClock()
    const store = createMemoryStore({ clock })
    const { gate } = gateWith(store.approvals, clock)
    const waiting = gate.wait('api', 'rollback', 'deploy failed', new AbortController().signal)
    let status: string | undefined
    void waiting.then((r) => {
      status = r.status
    })
    for (let waited = 0; waited < TIMEOUT && status === undefined; waited += POLL) {
      await settle()
      await clock.advance(POLL)
    }
    expect((await waiting).status).toBe('expired')
    expect((await store.approvals.approvals())[0]?.status).toBe('expired')
  })

  it('should end a wait as interrupted when its healing is aborted, leaving the approval pending', async () => {
    const clock = new FakeClock()
    const store = createMemoryStore({ clock })
    const { gate } = gateWith(store.approvals, clock)
    const controller = new AbortController()
    const waiting = gate.wait('api', 'rollback', 'deploy failed', controller.signal)
    await settle()
    controller.abort(new Error('lease lost'))
    await clock.advance(POLL)
    expect((await waiting).status).toBe('interrupted')
    expect((await store.approvals.approvals())[0]?.status).toBe('pending')
  })

  it('should end as rejected with the error when the store fails', async () => {
    const clock = new FakeClock()
    const broken = {
      approvals: async () => {
        throw new Error('disk full')
      },
    } as unknown as ApprovalStore
    const { gate } = gateWith(broken, clock)
    expect(await gate.wait('api', 'rollback', 'x', new AbortController().signal)).toEqual({
      status: 'rejected',
      error: 'cannot create the approval: disk full',
    })
  })
})
