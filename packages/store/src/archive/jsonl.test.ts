import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import type { MetricSnapshot } from '@noa/core'
import { FakeClock } from '@noa/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createJsonlArchive, utcDay } from './jsonl.ts'

const root = mkdtempSync(join(tmpdir(), 'noa-archive-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const nextDir = () => join(root, `run-${++n}`, 'data', 'metrics')

const snapshot = (timestamp: string, cpu: number): MetricSnapshot => ({
  timestamp,
  system: { cpu: { usage: { average: cpu } }, memory: { usagePercent: 67.8 } },
  application: {
    requests: { total: 1000, errors: 5, errorRate: 0.005 },
    latency: { average: 120, p95: 250, p99: 500 },
  },
  business: { activeUsers: 42 },
  custom: { custom_active_connections: 42 },
})

const hasJq = await promisify(execFile)('jq', ['--version']).then(
  () => true,
  () => false,
)
if (!hasJq) console.warn('[store] jq not installed: the archive is checked by parsing each line instead')

describe('createJsonlArchive', () => {
  it('should write one snapshot per line into metrics-YYYY-MM-DD.jsonl by UTC day', async () => {
    const dir = nextDir()
    const archive = createJsonlArchive({ dir })
    await Promise.all([
      archive.append(snapshot('2025-10-22T22:00:00.000Z', 45.2)),
      archive.append(snapshot('2025-10-22T23:59:59.999Z', 46)),
      archive.append(snapshot('2025-10-23T01:00:00.000+02:00', 47)), // 2025-10-22T23:00Z
      archive.append(snapshot('2025-10-23T00:00:00.000Z', 48)),
    ])
    expect(await archive.days()).toEqual(['2025-10-22', '2025-10-23'])
    const text = readFileSync(join(dir, 'metrics-2025-10-22.jsonl'), 'utf8')
    expect(text.split('\n')).toEqual([
      JSON.stringify(snapshot('2025-10-22T22:00:00.000Z', 45.2)),
      JSON.stringify(snapshot('2025-10-22T23:59:59.999Z', 46)),
      JSON.stringify(snapshot('2025-10-23T01:00:00.000+02:00', 47)),
      '',
    ])
    expect((await archive.read('2025-10-23')).map((s) => s.system.cpu?.usage?.average)).toEqual([48])
    expect(await archive.read('2024-01-01')).toEqual([])
    await expect(archive.append({ ...snapshot('x', 1) })).rejects.toThrow(
      /timestamp must be an ISO 8601 time, got "x"/,
    )
  })

  it.skipIf(!hasJq)("should be readable with jq '.' as the seed shows", async () => {
    const dir = nextDir()
    const archive = createJsonlArchive({ dir })
    for (let i = 0; i < 3; i++)
      await archive.append(snapshot(new Date(Date.UTC(2025, 9, 22, 22, 0, i * 10)).toISOString(), 40 + i))
    const { stdout } = await promisify(execFile)('jq', [
      '-c',
      '.system.cpu.usage.average',
      join(dir, 'metrics-2025-10-22.jsonl'),
    ])
    expect(stdout).toBe('40\n41\n42\n')
    const pretty = await promisify(execFile)('jq', ['.', join(dir, 'metrics-2025-10-22.jsonl')])
    expect(pretty.stdout).toContain('"timestamp": "2025-10-22T22:00:00.000Z"')
  })

  it('should skip a torn last line left by a crash, and log it', async () => {
    const dir = nextDir()
    const warnings: string[] = []
    const archive = createJsonlArchive({
      dir,
      logger: { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) },
    })
    await archive.append(snapshot('2025-10-22T22:00:00.000Z', 1))
    await appendFile(join(dir, 'metrics-2025-10-22.jsonl'), '{"timestamp":"2025-10-22T22:00:10.000Z","sys')
    expect(await archive.read('2025-10-22')).toHaveLength(1)
    expect(warnings).toEqual(['metrics archive: skipped unreadable lines'])
  })

  it('should gzip closed days and delete files older than the retention', async () => {
    const dir = nextDir()
    const clock = new FakeClock(Date.parse('2025-11-30T12:00:00.000Z'))
    const archive = createJsonlArchive({ dir, gzip: true, retentionDays: 30, clock })
    await archive.append(snapshot('2025-10-22T22:00:00.000Z', 1)) // older than 30 days
    await archive.append(snapshot('2025-11-29T10:00:00.000Z', 2)) // closed day
    await archive.append(snapshot('2025-11-30T10:00:00.000Z', 3)) // today
    writeFileSync(join(dir, 'notes.txt'), 'not an archive file')
    const report = await archive.maintain()
    expect(report).toEqual({
      compressed: ['metrics-2025-11-29.jsonl'],
      deleted: ['metrics-2025-10-22.jsonl'],
    })
    expect(existsSync(join(dir, 'metrics-2025-11-29.jsonl'))).toBe(false)
    const gz = gunzipSync(readFileSync(join(dir, 'metrics-2025-11-29.jsonl.gz'))).toString()
    expect(gz).toBe(`${JSON.stringify(snapshot('2025-11-29T10:00:00.000Z', 2))}\n`)
    expect((await archive.read('2025-11-29'))[0]?.system.cpu?.usage?.average).toBe(2)
    expect(await archive.days()).toEqual(['2025-11-29', '2025-11-30'])
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true)
    expect(await archive.maintain()).toEqual({ compressed: [], deleted: [] })
  })

  it('should give an error naming the path when the directory cannot be written', async () => {
    const file = join(root, 'plain-file')
    writeFileSync(file, 'x')
    const archive = createJsonlArchive({ dir: join(file, 'metrics') })
    await expect(archive.append(snapshot('2025-10-22T22:00:00.000Z', 1))).rejects.toThrow(
      `appending failed for the metrics archive at ${join(file, 'metrics', 'metrics-2025-10-22.jsonl')}`,
    )
    await expect(createJsonlArchive({ dir: file }).days()).rejects.toThrow(
      `listing failed for the metrics archive at ${file}`,
    )
  })

  it('should refuse bad options', () => {
    expect(() => createJsonlArchive({ dir: '', retentionDays: 0 })).toThrow(
      /archive\.dir[\s\S]*archive\.retentionDays/,
    )
  })

  it('should name days by UTC', () => {
    expect(utcDay(Date.parse('2025-10-22T23:59:59.999Z'))).toBe('2025-10-22')
  })
})
