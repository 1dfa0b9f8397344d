import { spawn } from 'node:child_process'
import type { Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome } from '../../checker.ts'
import type { CommandCheckOptions } from './schema.ts'

const TAIL = 500

/**
 * The `command` checker: runs the argv (no shell) in its own process group; healthy on an
 * expected exit code. On abort the whole group is killed (SIGKILL), so a hung command and
 * anything it started do not outlive the check.
 *
 * @example
 * ```ts
 * await createCommandChecker().run(commandCheckSchema.parse({ type: 'command', argv: ['pg_isready'] }),
 *   { signal, clock: systemClock })
 * ```
 */
export function createCommandChecker(): Checker<CommandCheckOptions> {
  return {
    run(target, { signal, clock }) {
      if (signal.aborted) return Promise.resolve(errorOutcome(signal.reason, signal))
      return new Promise<CheckOutcome>((resolve) => {
        const started = clock.monotonic()
        let output = ''
        let done = false
        const [program, ...args] = target.argv
        const child = spawn(program!, args, {
          cwd: target.cwd,
          env: target.env ? { ...process.env, ...target.env } : process.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        })
        const kill = () => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
          } catch {
            child.kill('SIGKILL')
          }
        }
        const finish = (outcome: CheckOutcome) => {
          if (done) return
          done = true
          signal.removeEventListener('abort', onAbort)
          resolve(outcome)
        }
        const onAbort = () => {
          kill()
          finish(errorOutcome(signal.reason, signal))
        }
        signal.addEventListener('abort', onAbort, { once: true })
        const collect = (chunk: Buffer) => {
          output = (output + chunk.toString('utf8')).slice(-TAIL)
        }
        child.stdout.on('data', collect)
        child.stderr.on('data', collect)
        child.on('error', (error) => finish({ ...errorOutcome(error), retryable: false }))
        child.on('close', (code, killSignal) => {
          const details = {
            exitCode: code,
            ...(killSignal ? { signal: killSignal } : {}),
            durationMs: Math.round((clock.monotonic() - started) * 100) / 100,
            output: output.trim(),
          }
          if (code !== null && target.expectedExitCodes.includes(code))
            finish({ state: 'healthy', message: `exited with code ${code}`, details })
          else
            finish({
              state: 'unhealthy',
              message: code === null ? `killed by ${killSignal}` : `exited with code ${code}`,
              details,
              retryable: true,
            })
        })
      })
    },
  }
}
