/**
 * Starts the real noa agent with a fleet of thousands of services for the browser suite's
 * scale test: its own config in a temp folder, the API on a free port, and a stop() that ends
 * the agent (and its process group) and the one HTTP server the checks ask.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { DASHBOARD_DIST, dashboardUrl, spawnAgent } from './fleet.ts'

export interface BigFleet {
  url: string
  output(): string
  stop(): Promise<void>
}

/** The name of the service at `i`: zero-padded, so name order is number order. */
export const fleetName = (i: number) => `svc-${String(i).padStart(5, '0')}`

/**
 * `count` services, each an HTTP check of `/health/<name>` on one local server, in 20 groups and
 * 4 zone tags. `checks: false` configures them without running them (every service stays
 * unknown).
 */
export async function startBigFleet(
  dir: string,
  count: number,
  options: { checks: boolean },
): Promise<BigFleet> {
  const health: Server = createServer((_req, res) => res.writeHead(200).end())
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(health.address() as AddressInfo).port}`
  const config = {
    // A long interval: one round of checks, then quiet, so the load is the agent's answers.
    healthChecks: { enabled: options.checks, interval: 3_600_000, timeout: 10_000, retries: 0 },
    selfHealing: { enabled: false },
    alerting: { enabled: true, channels: {} },
    metrics: { enabled: false },
    dashboard: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      refreshInterval: 5000,
      staticDir: DASHBOARD_DIST,
    },
    services: Array.from({ length: count }, (_, i) => ({
      name: fleetName(i),
      critical: i % 100 === 0,
      group: `team-${String(i % 20).padStart(2, '0')}`,
      tags: [`zone-${i % 4}`],
      check: { type: 'http', url: `${base}/health/${fleetName(i)}` },
    })),
    store: { type: 'memory' },
    logs: { dir: join(dir, 'logs'), level: 'warn', retentionDays: 1 },
    hooks: [],
  }
  const { child, output } = spawnAgent(dir, config)
  const stop = async () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(child.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))])
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // the group is gone
      }
    }
    health.closeAllConnections()
    await new Promise<void>((r) => health.close(() => r()))
  }
  try {
    const url = await dashboardUrl(child, output)
    return { url, output, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
