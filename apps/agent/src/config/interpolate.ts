import type { ConfigIssue } from '@noa/core'

const PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** Result of {@link interpolateEnv}: the new value, the problems, and the paths that took a variable. */
export interface Interpolated {
  value: unknown
  issues: ConfigIssue[]
  /** Dot paths whose value came from the environment: treated as secrets, never echoed. */
  fromEnv: Set<string>
}

/**
 * Replaces `${NAME}` (or `${NAME:-default}`) in every string of a parsed configuration
 * with the environment's value; `$$` stands for a literal `$`. Works on parsed values,
 * never on the raw text, so a variable can never break the file's syntax.
 */
export function interpolateEnv(input: unknown, env: Record<string, string | undefined>): Interpolated {
  const issues: ConfigIssue[] = []
  const fromEnv = new Set<string>()
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('$')) return value
      let used = false
      const out = value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$$') return '$'
        used = true
        const found = env[name as string]
        if (found !== undefined && found !== '') return found
        if (fallback !== undefined) return fallback
        issues.push({ path, message: `environment variable ${name} is not set` })
        return ''
      })
      if (used) fromEnv.add(path)
      return out
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, path ? `${path}.${i}` : String(i)))
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, path ? `${path}.${k}` : k)
      return out
    }
    return value
  }
  return { value: walk(input, ''), issues, fromEnv }
}
