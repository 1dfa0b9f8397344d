import { describe, expect, it } from 'vitest'
import { createHealingRecord, endRecord } from './healing-record.ts'

const base = {
  service: 'api',
  trigger: 'service-down',
  strategy: 'service-restart',
  startedAt: Date.parse('2026-12-06T12:00:00.000Z'),
  dryRun: false,
  agentId: 'agent-1',
} as const

describe('healing records', () => {
  it('should make a running record with no steps, no end and only the fields given', () => {
    const record = createHealingRecord({ ...base, outcome: 'running' })
    expect(record).toEqual({ id: expect.any(String), ...base, outcome: 'running', steps: [] })
    expect(Object.keys(record)).not.toContain('reason')
    expect(Object.keys(record)).not.toContain('skip')
    expect(Object.keys(record)).not.toContain('endedAt')
    expect(record.id.startsWith('heal')).toBe(true)
    expect(createHealingRecord({ ...base, outcome: 'running' }).id).not.toBe(record.id)
  })

  it('should make a refusal that ends as it starts, with its reason and typed skip', () => {
    const record = createHealingRecord({
      ...base,
      outcome: 'skipped',
      endedAt: base.startedAt,
      reason: 'a healing of api is already running',
      skip: 'locked',
    })
    expect(record).toMatchObject({
      outcome: 'skipped',
      startedAt: base.startedAt,
      endedAt: base.startedAt,
      reason: 'a healing of api is already running',
      skip: 'locked',
      steps: [],
    })
  })

  it('should end a copy: its own steps, health, and a success that drops the reason it started with', () => {
    const started = createHealingRecord({ ...base, outcome: 'running', reason: 'alert service-down' })
    const steps = [{ name: 'restart', startedAt: 1, endedAt: 2, ok: true }]
    const done = endRecord(started, 'succeeded', base.startedAt + 10, { healthBefore: 'unhealthy' }, steps)
    expect(done).toMatchObject({
      id: started.id,
      outcome: 'succeeded',
      endedAt: base.startedAt + 10,
      healthBefore: 'unhealthy',
      steps,
    })
    expect(done.reason).toBeUndefined()
    expect(done.steps).not.toBe(steps)
    expect(started).toMatchObject({ outcome: 'running', reason: 'alert service-down' })
    expect(started.endedAt).toBeUndefined()

    const failed = endRecord(started, 'failed', base.startedAt + 10, { healthAfter: 'unhealthy' })
    expect(failed).toMatchObject({ reason: 'alert service-down', healthAfter: 'unhealthy' })
    const skipped = endRecord(started, 'skipped', base.startedAt, {
      reason: 'healthy again',
      skip: 'healthy-again',
    })
    expect(skipped).toMatchObject({ reason: 'healthy again', skip: 'healthy-again' })
  })
})
