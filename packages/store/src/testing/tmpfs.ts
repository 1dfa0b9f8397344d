import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A tmpfs mounted for one test: a real file system that fills up and can be made read-only. */
export interface Tmpfs {
  dir: string
  /** Remounts it read-only or read-write (the kernel refuses `ro` while a file on it is open for writing). */
  remount(mode: 'ro' | 'rw'): void
  /** Unmounts it and removes its folder; lazily when something still holds it, so it never stays mounted. */
  unmount(): void
}

function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim()
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (error as Error).message}`)
  }
}

/**
 * Mounts a tmpfs of `size` (e.g. `2m`) on a new temporary folder. Throws with the reason
 * when mounting is not permitted, so the test that needs it fails instead of being skipped.
 */
export function mountTmpfs(size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'noa-tmpfs-'))
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  } catch (error) {
    rmdirSync(dir)
    throw new Error(
      `these tests mount a tmpfs and need root with permission to mount (a privileged container): ${(error as Error).message}`,
    )
  }
  let mounted = true
  return {
    dir,
    remount: (mode) => run('mount', ['-o', `remount,${mode}`, dir]),
    unmount() {
      if (!mounted) return
      mounted = false
      try {
        run('umount', [dir])
      } catch {
        run('umount', ['-l', dir])
      }
      rmdirSync(dir)
    },
  }
}
