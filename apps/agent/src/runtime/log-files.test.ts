import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogFiles } from './log-files.ts'

const dir = mkdtempSync(join(tmpdir(), 'noa-logs-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const DAY = 86_400_000

describe('createLogFiles', () => {
  it('should write JSON lines per component and echo them', () => {
    const echoed: string[] = []
    const logs = createLogFiles({ dir, level: 'info', retentionDays: 30, echo: (r) => echoed.push(r.msg) })
    logs.logger('health-check').info('checked', { service: 'api' })
    logs.logger('health-check').debug('hidden')
    const lines = readFileSync(logs.path('health-check'), 'utf8').trim().split('\n')
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'info', msg: 'checked', component: 'health-check', service: 'api' }),
    ])
    expect(echoed).toEqual(['checked'])
  })

  it('should rotate a file written on an earlier day and delete files past the retention', () => {
    const now = Date.parse('2026-11-28T10:00:00Z')
    const sub = join(dir, 'rotate')
    const logs = createLogFiles({ dir: sub, level: 'info', retentionDays: 2, now: () => now })
    const file = logs.path('agent')
    writeFileSync(file, '{"old":true}\n')
    utimesSync(file, new Date(now - DAY), new Date(now - DAY))
    writeFileSync(join(sub, 'agent-2026-11-01.log'), 'ancient\n')
    writeFileSync(join(sub, 'other-2026-11-01.log'), 'not ours\n')
    logs.logger('agent').info('today')
    expect(readdirSync(sub).sort()).toEqual(['agent-2026-11-27.log', 'agent.log', 'other-2026-11-01.log'])
    expect(readFileSync(join(sub, 'agent-2026-11-27.log'), 'utf8')).toBe('{"old":true}\n')
    expect(existsSync(join(sub, 'agent-2026-11-01.log'))).toBe(false)
  })
})
