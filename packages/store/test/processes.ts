import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Runs a TypeScript fixture in a real child process (tsx loader, source condition), collecting its stdout lines. */
export function runFixture(
  fixture: string,
  args: string[],
): { child: ChildProcess; lines: string[]; waitFor: (re: RegExp) => Promise<string> } {
  // One node process with tsx as a loader (not the tsx CLI, which forks a grandchild a SIGKILL would orphan).
  const script = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@noa/source', script, ...args], {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: process.env,
  })
  const lines: string[] = []
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = []
  let buffer = ''
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    for (const l of parts) {
      lines.push(l)
      for (const w of waiters.splice(0))
        if (w.re.test(l)) w.resolve(l)
        else waiters.push(w)
    }
  })
  const waitFor = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((l) => re.test(l))
      if (found) return resolve(found)
      waiters.push({ re, resolve })
      child.once('exit', (code) => reject(new Error(`${fixture} exited (${code}) before ${re}: ${stderr}`)))
    })
  return { child, lines, waitFor }
}

/** Kills a child if still running and waits for it to exit. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}
