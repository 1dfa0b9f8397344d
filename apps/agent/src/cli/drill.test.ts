import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { validateConfig } from '../config/load.ts'
import { AgentClient } from '../drill/agent-client.ts'
import type { DrillResult } from '../drill/types.ts'
import { drillCommand, keepRun, putBackConfig } from './drill.ts'

const result: DrillResult = {
  fault: 'crash',
  service: 'api',
  outcome: 'healed',
  detectMs: 12,
  alertMs: 30,
  repairMs: 600,
  actions: ['api: process-restart (process-exit) succeeded'],
  doubleActions: 0,
  falseAlerts: 0,
  round: 0,
}

describe('keepRun', () => {
  let server: Server
  let base: string
  let answer: { status: number; body: unknown }
  const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: string }> = []

  beforeEach(async () => {
    seen.length = 0
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body })
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })

  it('should POST the run to /api/drills with the bearer token and say under which id it is kept', async () => {
    answer = { status: 201, body: { drill: { id: 'd-1', startedAt: 1, finishedAt: 2, results: [result] } } }
    const lines: string[] = []
    await keepRun(new AgentClient(base, 's3cret'), { startedAt: 1, finishedAt: 2, results: [result] }, (l) =>
      lines.push(l),
    )
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/drills' })
    expect(seen[0]!.headers.authorization).toBe('Bearer s3cret')
    expect(JSON.parse(seen[0]!.body)).toEqual({ startedAt: 1, finishedAt: 2, results: [result] })
    expect(lines).toEqual(['noa drill: kept by the agent as drill d-1'])
  })

  it('should take a 404 as an agent that does not keep drills', async () => {
    answer = { status: 404, body: { error: 'not found' } }
    const lines: string[] = []
    await keepRun(new AgentClient(base, 's3cret'), { startedAt: 1, finishedAt: 2, results: [result] }, (l) =>
      lines.push(l),
    )
    expect(lines).toEqual(['noa drill: this agent does not keep drills (no /api/drills); results not kept'])
  })

  it('should send nothing without a token, and say how to keep the results', async () => {
    const lines: string[] = []
    await keepRun(new AgentClient(base), { startedAt: 1, finishedAt: 2, results: [result] }, (l) =>
      lines.push(l),
    )
    expect(seen).toHaveLength(0)
    expect(lines).toEqual(['noa drill: results not kept by the agent: set NOA_API_TOKEN to keep them'])
  })
})

describe('drillCommand', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'noa-drill-cli-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const run = async (faults: string[], extra: { rounds?: string } = {}) => {
    const validated = validateConfig({ store: { type: 'memory' } })
    if (!validated.ok) throw new Error('bad test config')
    const err: string[] = []
    const code = await drillCommand({
      located: { file: join(dir, 'config/monitoring-config.json'), baseDir: dir },
      config: validated.config,
      faults,
      json: false,
      yes: false,
      env: {},
      out: () => undefined,
      err: (l) => err.push(l),
      ...extra,
    })
    return { code, err }
  }

  it('should say clearly that no agent runs with the config, exit 1', async () => {
    expect(await run(['crash'])).toEqual({
      code: 1,
      err: [
        `noa drill: no agent runs with ${join(dir, 'config/monitoring-config.json')} (start it with \`noa start\`; drills act through it)`,
      ],
    })
  })

  it('should refuse unknown faults and bad rounds as usage errors', async () => {
    const unknown = await run(['explode'])
    expect(unknown.code).toBe(2)
    expect(unknown.err[0]).toMatch(/^noa drill: unknown fault "explode"; known: crash, hang, slow/)
    expect((await run([], { rounds: '0' })).code).toBe(2)
  })
})

describe('putBackConfig', () => {
  it('should put back a config file a killed drill left rewritten, once, and say so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-drill-backup-'))
    try {
      const file = join(dir, 'monitoring-config.json')
      writeFileSync(file, '{"rerouted":true}')
      writeFileSync(`${file}.noa-drill-backup`, '{"original":true}')
      const lines: string[] = []
      expect(putBackConfig(file, (l) => lines.push(l))).toBe(true)
      expect(readFileSync(file, 'utf8')).toBe('{"original":true}')
      expect(existsSync(`${file}.noa-drill-backup`)).toBe(false)
      expect(lines).toEqual([`noa drill: put back ${file}, left rewritten by a drill that was killed`])
      expect(putBackConfig(file, (l) => lines.push(l))).toBe(false)
      expect(readFileSync(file, 'utf8')).toBe('{"original":true}')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
