import type { Logger } from '@noa/core'

/** A logger that keeps its warnings, for tests of what is warned. */
export function recordingLogger(): { logger: Logger; warnings: Array<{ message: string; fields: unknown }> } {
  const warnings: Array<{ message: string; fields: unknown }> = []
  const logger: Logger = {
    debug() {},
    info() {},
    warn(message, fields) {
      warnings.push({ message, fields })
    },
    error() {},
  }
  return { logger, warnings }
}
