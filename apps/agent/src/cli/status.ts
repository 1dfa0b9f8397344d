import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { AgentConfig } from '../config/schema.ts'
import { alive, readInfo, readPid } from './paths.ts'

/** One process of noa, as `noa status` shows it. */
export interface ComponentStatus {
  name: 'watchdog' | 'agent'
  state: 'running' | 'dead' | 'not running'
  pid?: number
  cpu?: number
  memory?: number
  uptime?: string
}

/** Everything `noa status` shows (`--json` prints this object). */
export interface StatusReport {
  components: ComponentStatus[]
  endpoints: Array<{ name: string; url: string; reachable: boolean; status?: number }>
  logs: Array<{ file: string; lines: string[] }>
  data: { metricsFiles: number; alertLogFiles: number; healingLogFiles: number }
}

function ps(pid: number): Promise<{ cpu: number; memory: number; uptime: string } | undefined> {
  return new Promise((done) => {
    execFile('ps', ['-o', '%cpu=,%mem=,etime=', '-p', String(pid)], { timeout: 2000 }, (error, stdout) => {
      const parts = error ? [] : stdout.trim().split(/\s+/)
      if (parts.length < 3) return done(undefined)
      done({ cpu: Number(parts[0]), memory: Number(parts[1]), uptime: parts[2]! })
    })
  })
}

async function count(dir: string, pattern: RegExp): Promise<number> {
  try {
    return (await readdir(dir)).filter((f) => pattern.test(f)).length
  } catch {
    return 0
  }
}

async function reach(url: string): Promise<{ reachable: boolean; status?: number }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    await res.arrayBuffer()
    return { reachable: true, status: res.status }
  } catch {
    return { reachable: false }
  }
}

/** Gathers the status of the agent and its watchdog from run/, the processes, the API, logs and data. */
export async function gatherStatus(baseDir: string, config: AgentConfig): Promise<StatusReport> {
  const components: ComponentStatus[] = []
  for (const name of ['watchdog', 'agent'] as const) {
    const pid = readPid(baseDir, name)
    if (!pid) {
      components.push({ name, state: 'not running' })
      continue
    }
    if (!alive(pid)) {
      components.push({ name, state: 'dead', pid })
      continue
    }
    components.push({ name, state: 'running', pid, ...(await ps(pid)) })
  }
  const info = readInfo(baseDir)
  const host = info?.host ?? config.dashboard.host
  const port = info?.port ?? config.dashboard.port
  const base = `http://${host}:${port}`
  const endpoints = await Promise.all(
    [
      { name: 'Dashboard', url: base },
      { name: 'Metrics API', url: `${base}/api/metrics` },
      { name: 'Prometheus', url: `${base}/metrics` },
    ].map(async (e) => ({ ...e, ...(await reach(e.url)) })),
  )
  const logsDir = resolve(baseDir, config.logs.dir)
  const logs: StatusReport['logs'] = []
  for (const file of ['health-check', 'metrics-collector', 'self-healing', 'alerts', 'agent', 'watchdog']) {
    try {
      const text = await readFile(resolve(logsDir, `${file}.log`), 'utf8')
      const lines = text.trimEnd().split('\n').slice(-3)
      logs.push({
        file: `${file}.log`,
        lines: lines.map((l) => {
          try {
            const r = JSON.parse(l) as Record<string, unknown>
            const { time, level, msg, component: _c, ...rest } = r
            const extra = Object.entries(rest)
              .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
              .join(' ')
            return `${String(time).slice(11, 19)} ${String(level ?? '')} ${String(msg)} ${extra}`.trim()
          } catch {
            return l
          }
        }),
      })
    } catch {
      // no such log yet
    }
  }
  const alertChannel = Object.entries(config.alerting.channels).find(
    ([n, c]) => (c.type ?? n) === 'file',
  )?.[1]
  return {
    components,
    endpoints,
    logs,
    data: {
      metricsFiles: await count(resolve(baseDir, config.metrics.storage.path), /^metrics-.*\.jsonl(\.gz)?$/),
      alertLogFiles: await count(resolve(baseDir, String(alertChannel?.path ?? './logs/alerts')), /\.jsonl$/),
      healingLogFiles: await count(resolve(baseDir, config.selfHealing.logsDir), /\.jsonl$/),
    },
  }
}

const WIDTH = 60
const boxLine = (text: string) => {
  const pad = Math.max(0, WIDTH - text.length)
  const left = Math.floor(pad / 2)
  return `║${' '.repeat(left)}${text}${' '.repeat(pad - left)}║`
}

/** The seed's section 8.3 layout. */
export function formatStatus(report: StatusReport): string {
  const out: string[] = []
  out.push(`╔${'═'.repeat(WIDTH)}╗`, boxLine('noa - Monitoring System Status'), `╚${'═'.repeat(WIDTH)}╝`, '')
  out.push('Components:')
  for (const c of report.components) {
    const mark = c.state === 'running' ? '✓' : '✗'
    const state = c.state === 'running' ? 'Running' : c.state === 'dead' ? 'Dead' : 'Not running'
    out.push(`${mark} ${c.name}: ${state}${c.pid ? ` (PID: ${c.pid})` : ''}`)
    if (c.state === 'running' && c.uptime !== undefined)
      out.push(`      cpu ${c.cpu}% mem ${c.memory}% up ${c.uptime}`)
  }
  out.push('', 'Endpoints:')
  for (const e of report.endpoints) out.push(`${e.reachable ? '✓' : '✗'} ${e.name}: ${e.url}`)
  out.push('', 'Recent Activity:')
  if (report.logs.length === 0) out.push('  (no logs yet)')
  for (const l of report.logs) {
    out.push(`${l.file} (last ${l.lines.length} lines):`)
    for (const line of l.lines) out.push(`  ${line}`)
  }
  out.push('', 'Data Storage:')
  out.push(`${report.data.metricsFiles > 0 ? '✓' : '✗'} Metrics files: ${report.data.metricsFiles}`)
  out.push(`${report.data.alertLogFiles > 0 ? '✓' : '✗'} Alert log files: ${report.data.alertLogFiles}`)
  out.push(`${report.data.healingLogFiles > 0 ? '✓' : '✗'} Healing log files: ${report.data.healingLogFiles}`)
  return out.join('\n')
}
