import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition } from '../src/index.ts'

const root = join(import.meta.dirname, '..')
let child: ChildProcess | undefined

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL')
    await once(child, 'exit')
  }
  child = undefined
})

function waitForLine(proc: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = out.match(pattern)
      if (m) resolve(m)
    })
    proc.once('exit', (code) =>
      reject(new Error(`demo exited with ${code} before printing ${pattern}: ${out}`)),
    )
  })
}

describe('examples/demo.mjs', () => {
  it('should serve /metrics and /api/metrics, then stop cleanly on SIGTERM', async () => {
    // Run against the source (the @noa/source condition through tsx), so the test needs no build.
    child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@noa/source', 'examples/demo.mjs'], {
      cwd: root,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const [, base] = await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
    const prom = await fetch(`${base}/metrics`)
    expect(prom.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const promText = await prom.text()
    expect(promText).toContain('# TYPE noa_system_cpu_usage_ratio gauge')
    const om = await fetch(`${base}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    })
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8')
    const parsed = parseExposition(await om.text(), { format: 'openmetrics' })
    expect(parsed.ok ? 'ok' : parsed.error).toBe('ok')
    const snapshot = (await (await fetch(`${base}/api/metrics`)).json()) as Record<string, unknown>
    expect(Object.keys(snapshot)).toEqual(['timestamp', 'system', 'application', 'business', 'custom'])
    expect((snapshot.application as { requests: { total: number } }).requests.total).toBeGreaterThan(0)
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).toBe(0)
  })
})
