import { spawn } from 'node:child_process'
import type { ActionResult } from './executor.ts'
import { trimOutput } from './executor.ts'

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Kill the command after this long. @default 30000 */
  timeoutMs?: number
  signal?: AbortSignal
  cwd?: string
  env?: Record<string, string>
}

/**
 * Runs argv without a shell. Never throws: a missing command, a non-zero exit, a timeout
 * or an abort is a failed result with the reason.
 */
export function runCommand(argv: readonly string[], options: RunCommandOptions = {}): Promise<ActionResult> {
  const [file, ...args] = argv
  if (!file) return Promise.resolve({ ok: false, error: 'empty command', retryable: false })
  const timeoutMs = options.timeoutMs ?? 30_000
  return new Promise((resolve) => {
    let out = ''
    let settled = false
    let timedOut = false
    const finish = (result: ActionResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      resolve(result)
    }
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(file, args, {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: false,
      })
    } catch (error) {
      resolve({ ok: false, error: `cannot run ${file}: ${(error as Error).message}`, retryable: false })
      return
    }
    const onAbort = () => child.kill('SIGKILL')
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    timer.unref()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const collect = (chunk: Buffer) => {
      if (out.length < 16_000) out += chunk.toString()
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    child.on('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT'
      finish({
        ok: false,
        error: missing ? `command not found: ${file}` : `cannot run ${file}: ${error.message}`,
        retryable: false,
      })
    })
    child.on('close', (code, signal) => {
      const output = trimOutput(out)
      if (timedOut)
        finish({ ok: false, error: `${file} timed out after ${timeoutMs} ms`, retryable: true, output })
      else if (options.signal?.aborted)
        finish({ ok: false, error: `${file} aborted`, retryable: true, output })
      else if (code === 0) finish({ ok: true, output })
      else
        finish({
          ok: false,
          error: `${file} exited with ${code === null ? `signal ${signal}` : `code ${code}`}`,
          retryable: true,
          output,
        })
    })
  })
}
