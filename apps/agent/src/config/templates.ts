import type { ConfigIssue } from '@noa/core'

/** A target of a service template: a string (`{{ target }}`) or an object of fields (`{{ host }}`). */
export type TemplateTarget = string | Readonly<Record<string, string | number | boolean>>

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

/**
 * The services a template makes, one per target: every string of the template with its
 * placeholders filled. A placeholder the target does not have is a problem, named with its
 * path, rather than a service with a hole in it.
 */
export function expandTemplate(
  template: unknown,
  targets: readonly TemplateTarget[],
  path: string,
): { services: unknown[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = []
  const services = targets.map((target, t) => {
    const fields: Record<string, string> =
      typeof target === 'string'
        ? { target }
        : Object.fromEntries(Object.entries(target).map(([k, v]) => [k, String(v)]))
    const fill = (value: unknown, at: string): unknown => {
      if (typeof value === 'string')
        return value.replace(PLACEHOLDER, (whole, key: string) => {
          const found = fields[key]
          if (found !== undefined) return found
          issues.push({
            path: `${path}.targets.${t}`,
            message: `the template's ${at} uses {{ ${key} }}, which this target does not have (it has: ${Object.keys(fields).join(', ')})`,
          })
          return whole
        })
      if (Array.isArray(value)) return value.map((v, i) => fill(v, `${at}.${i}`))
      if (value !== null && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, at ? `${at}.${k}` : k)]))
      return value
    }
    return fill(template, '')
  })
  const name = (template as { name?: unknown } | null)?.name
  if (typeof name === 'string' && !/\{\{\s*[A-Za-z_]\w*\s*\}\}/.test(name) && targets.length > 1)
    issues.push({
      path: `${path}.template.name`,
      message: `must hold a placeholder such as {{ target }}, so that each of the ${targets.length} services gets its own name; found "${name}"`,
    })
  return { services, issues }
}
