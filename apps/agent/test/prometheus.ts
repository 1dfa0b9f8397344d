import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, until } from './helpers.ts'

/** The Debian package's binary (`.ci/run` installs `prometheus`), or undefined when absent. */
export const PROMETHEUS_BIN = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p))

/** A real Prometheus that receives remote write, on a free port of 127.0.0.1. */
export interface TestPrometheus {
  url: string
  /** The instant query's result vector. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>
  close(): Promise<void>
}

/** Starts Prometheus with `--web.enable-remote-write-receiver`, no scrape job, and waits for /-/ready. */
export async function startPrometheus(): Promise<TestPrometheus> {
  if (!PROMETHEUS_BIN) throw new Error('prometheus is not installed')
  const dir = mkdtempSync(join(tmpdir(), 'noa-prometheus-'))
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\nscrape_configs: []\n')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let output = ''
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)))
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killed = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killed)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${output}`)
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok
      },
      30_000,
      'prometheus to be ready',
    )
  } catch (e) {
    await close()
    throw e
  }
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)
      const body = (await res.json()) as { status: string; data: { result: never[] }; error?: string }
      if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`)
      return body.data.result
    },
    close,
  }
}
