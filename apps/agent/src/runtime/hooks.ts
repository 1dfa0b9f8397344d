import { spawn } from 'node:child_process'
import { errorMessage, type Logger } from '@noa/core'
import { httpRequest } from '@noa/healing'
import type { HookConfig, HookEvent } from '../config/schema.ts'

/** Runs the configured event hooks; never throws and never blocks the caller. */
export interface HookRunner {
  emit(event: HookEvent, data: unknown): void
  /** Resolves when every hook started so far has ended. */
  idle(): Promise<void>
}

const flat = (data: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  if (data && typeof data === 'object')
    for (const [k, v] of Object.entries(data))
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        out[`NOA_EVENT_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`] = String(v)
  return out
}

/**
 * Event hooks: on a configured event, run a command (argv, no shell) with the event as JSON
 * on stdin and in `NOA_EVENT` (plus `NOA_EVENT_NAME` and one `NOA_EVENT_<FIELD>` per scalar
 * field), or POST it to a webhook. A hook that fails or times out is logged and forgotten.
 * A webhook follows no redirect unless `followRedirects: 'same-origin'`, and never one to
 * another origin: its headers and the event stay with the receiver that was configured.
 */
export function createHookRunner(hooks: readonly HookConfig[], logger: Logger, cwd: string): HookRunner {
  const running = new Set<Promise<void>>()
  const run = (hook: HookConfig, event: HookEvent, data: unknown): Promise<void> => {
    const body = JSON.stringify({ event, at: new Date().toISOString(), data })
    if (hook.webhook) {
      return httpRequest({
        url: hook.webhook,
        method: 'POST',
        headers: { ...hook.headers, 'content-type': 'application/json' },
        body,
        timeoutMs: hook.timeout,
        followRedirects: hook.followRedirects,
        secretUrl: true,
      }).then((result) => {
        // The error names the receiver's origin only: its URL and headers are secrets.
        if (!result.ok) logger.warn('hook webhook failed', { event, error: result.error })
      })
    }
    const [cmd, ...args] = hook.command ?? []
    return new Promise<void>((resolve) => {
      const child = spawn(cmd!, args, {
        cwd,
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { ...process.env, NOA_EVENT: body, NOA_EVENT_NAME: event, ...flat(data) },
        timeout: hook.timeout,
        killSignal: 'SIGKILL',
      })
      let stderr = ''
      child.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < 2000) stderr += d.toString()
      })
      child.stdin?.on('error', () => undefined)
      child.stdin?.end(body)
      let failed = false
      child.on('error', (error) => {
        failed = true
        logger.warn('hook command could not run', { event, command: cmd, error: errorMessage(error) })
        resolve()
      })
      child.on('close', (code, signal) => {
        if (code !== 0 && !failed)
          logger.warn('hook command failed', { event, command: cmd, code, signal, stderr: stderr.trim() })
        resolve()
      })
    })
  }
  return {
    emit(event, data) {
      for (const hook of hooks) {
        if (!hook.on.includes(event)) continue
        const p = run(hook, event, data).finally(() => running.delete(p))
        running.add(p)
      }
    },
    async idle() {
      await Promise.allSettled([...running])
    },
  }
}
