import { readFileSync } from 'node:fs'

/** The agent's version, from its package.json (one folder up from src/ and from dist/). */
function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown
    }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

/** The agent's version, as published. */
export const VERSION = readVersion()

/** `User-Agent` of the agent's own requests (remote write): `noa/<version>`. */
export const USER_AGENT = `noa/${VERSION}`
