import { existsSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { errorMessage, isConfigError, type LogRecord } from '@noa/core'
import { Agent, type Component } from '../agent.ts'
import { parseApiTokens } from '../config/api-tokens.ts'
import { formatConfigIssues, loadConfigFile } from '../config/load.ts'
import type { AgentConfig } from '../config/schema.ts'
import type { ReloadResult } from '../http/api-types.ts'
import { createApp, type Reloaded } from '../http/app.ts'
import { isLoopback } from '../http/auth.ts'
import { createLogFiles } from '../runtime/log-files.ts'
import { defaultStaticDir, infoFile, type RunInfo, removePid, writePid } from './paths.ts'

/** Options of {@link runAgent}. */
export interface RunOptions {
  config: AgentConfig
  configFile: string
  baseDir: string
  components: readonly Component[]
  env: NodeJS.ProcessEnv
  /** Prints a line for the person at the terminal. */
  print: (line: string) => void
  /** Stops the agent like SIGTERM does (for embedding and tests). */
  signal?: AbortSignal
}

const ECHO = new Set([
  'service state changed',
  'healing started',
  'healing finished',
  'supervised process exited',
  'agent started',
  'agent stopped',
])

/**
 * Runs the agent in this process until SIGTERM or SIGINT: the composition root's outer shell,
 * the one place that reads the environment, opens the socket and installs signal handlers.
 * Resolves with the exit code once shut down.
 */
export async function runAgent(options: RunOptions): Promise<number> {
  const { config, baseDir, env, print } = options
  const logDir = isAbsolute(config.logs.dir) ? config.logs.dir : resolve(baseDir, config.logs.dir)
  const echo = (r: LogRecord) => {
    if (r.level === 'error' || ECHO.has(r.msg)) {
      const { time, level, msg, component, ...rest } = r
      const fields = Object.entries(rest)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
      print(
        `${time.slice(11, 19)} [${String(component)}] ${level === 'info' ? '' : `${level.toUpperCase()} `}${msg} ${fields}`,
      )
    }
  }
  const logs = createLogFiles({
    dir: logDir,
    level: config.logs.level,
    retentionDays: config.logs.retentionDays,
    echo,
  })
  const log = logs.logger('agent')
  const components = new Set(options.components)
  let agent: Agent
  try {
    agent = await Agent.create(config, {
      baseDir,
      components: [...components],
      logger: (c) => logs.logger(c),
      write: (line) => print(line.replace(/\n$/, '')),
      ...(env.NOA_AGENT_ID ? { agentId: env.NOA_AGENT_ID } : {}),
    })
  } catch (error) {
    log.error('the agent could not be built', { error: errorMessage(error) })
    print(`noa: ${errorMessage(error)}`)
    return 1
  }

  const staticDir = config.dashboard.staticDir
    ? resolve(baseDir, config.dashboard.staticDir)
    : (env.NOA_DASHBOARD_DIR ?? defaultStaticDir())
  const hasDashboard = existsSync(join(staticDir, 'index.html'))
  /** Reads the file again and applies its services, keeping the state of unchanged ones. */
  const reload = async (): Promise<Reloaded> => {
    const next = loadConfigFile(options.configFile, env)
    if (!next.ok) return { ok: false, issues: next.issues }
    try {
      return { ok: true, result: await agent.reload(next.config) }
    } catch (error) {
      if (isConfigError(error)) return { ok: false, issues: error.issues }
      throw error
    }
  }
  const apiTokens = parseApiTokens(env).tokens
  const app = createApp({
    api: agent.api,
    settings: config,
    // Validated with the file: a bad NOA_API_TOKENS never gets this far.
    apiTokens,
    ...(hasDashboard ? { staticDir } : {}),
    logger: logs.logger('api'),
    reload,
  })

  let server: ReturnType<typeof serve> | undefined
  let port = config.dashboard.port
  const serveHttp = components.has('dashboard') && config.dashboard.enabled
  if (serveHttp) {
    try {
      port = await new Promise<number>((resolvePort, reject) => {
        const s = serve(
          { fetch: app.fetch, hostname: config.dashboard.host, port: config.dashboard.port },
          (info) => resolvePort(info.port),
        )
        s.once('error', reject)
        server = s
      })
    } catch (error) {
      print(`noa: cannot listen on ${config.dashboard.host}:${config.dashboard.port}: ${errorMessage(error)}`)
      await agent.stop()
      return 1
    }
    // Slow or hostile clients must not hold sockets open forever.
    const s = server as unknown as import('node:http').Server
    s.headersTimeout = 10_000
    s.requestTimeout = 30_000
    s.keepAliveTimeout = 5_000
    s.on('clientError', (_error, socket) => socket.destroy())
  }

  await agent.start()
  writePid(baseDir, 'agent', process.pid)
  const info: RunInfo = {
    pid: process.pid,
    host: config.dashboard.host,
    port,
    startedAt: Date.now(),
    config: options.configFile,
    agentId: agent.agentId,
    components: [...components],
  }
  writeFileSync(infoFile(baseDir), `${JSON.stringify(info, null, 2)}\n`)
  const url = `http://${config.dashboard.host}:${port}`
  print(
    `noa agent ${process.pid} watching ${config.services.length} services (${[...components].join(', ')})`,
  )
  if (serveHttp)
    print(`dashboard and API on ${url}${hasDashboard ? '' : ' (API only: no dashboard build found)'}`)
  if (serveHttp && !isLoopback(config.dashboard.host) && apiTokens.length === 0)
    print(
      `noa: no API token is set and the agent listens on ${config.dashboard.host}: the API's reads and /metrics answer 403 beyond this machine; set NOA_API_TOKENS (a viewer token reads)`,
    )
  const keep =
    config.selfHealing.whenAgentStops === 'keep' && config.services.some((s) => s.executor?.type === 'local')
  print(
    keep
      ? `logs in ${logDir}; Ctrl-C stops the agent and leaves its services running for the next one; \`noa stop\` stops both`
      : `logs in ${logDir}; stop with Ctrl-C or \`noa stop\``,
  )

  return await new Promise<number>((resolveExit) => {
    let stopping = false
    const shutdown = (signal: string) => {
      if (stopping) return
      stopping = true
      log.info('shutting down', { signal })
      const force = setTimeout(() => {
        log.error('shutdown took too long; exiting')
        removePid(baseDir, 'agent', process.pid)
        resolveExit(1)
      }, 25_000)
      force.unref()
      const closeServer = new Promise<void>((done) => {
        if (!server) return done()
        server.close(() => done())
        ;(server as unknown as import('node:http').Server).closeIdleConnections?.()
      })
      agent
        .stop()
        .catch((error) => log.error('shutdown failed', { error: errorMessage(error) }))
        .then(() => {
          ;(server as unknown as import('node:http').Server | undefined)?.closeAllConnections?.()
          return closeServer
        })
        .finally(() => {
          clearTimeout(force)
          removePid(baseDir, 'agent', process.pid)
          resolveExit(0)
        })
    }
    if (options.signal) {
      if (options.signal.aborted) shutdown('abort')
      options.signal.addEventListener('abort', () => shutdown('abort'), { once: true })
      return
    }
    process.once('SIGTERM', () => shutdown('SIGTERM'))
    process.once('SIGINT', () => shutdown('SIGINT'))
    // SIGHUP: read the configuration again, as daemons do.
    process.on('SIGHUP', () => {
      reload().then(
        (r) => {
          if (r.ok) print(`reloaded ${options.configFile}: ${describeReload(r.result)}`)
          else {
            print(`noa: ${options.configFile} was not reloaded (nothing changed):`)
            for (const line of formatConfigIssues(r.issues)) print(`  ${line}`)
          }
        },
        (error) => log.error('reload failed', { error: errorMessage(error) }),
      )
    })
  })
}

function describeReload(r: ReloadResult): string {
  const { added, removed, changed, kept } = r.services
  const parts = [
    `${added.length} added`,
    `${removed.length} removed`,
    `${changed.length} changed`,
    `${kept.length} kept`,
  ]
  return `${parts.join(', ')}${r.notApplied.length > 0 ? `; needs a restart for: ${r.notApplied.join(', ')}` : ''}`
}
