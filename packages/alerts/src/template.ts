import { brandError, NoaError } from '@noa/core'

/** A template compiled once: fields were checked when it was built. */
export interface Template {
  readonly source: string
  readonly fields: readonly string[]
  render(values: Readonly<Record<string, string | number | undefined>>): string
}

/** Thrown by {@link compileTemplate}: the template names a field that does not exist. */
export class TemplateFieldError extends NoaError {
  static {
    brandError(TemplateFieldError, 'TemplateFieldError')
  }

  readonly field: string
  constructor(field: string, allowed: readonly string[]) {
    super(
      `unknown template field "{{ ${field} }}"; allowed: ${allowed.map((a) => `{{ ${a} }}`).join(', ')}`,
      {
        code: 'ERR_TEMPLATE_FIELD',
      },
    )
    this.field = field
  }
}

const FIELD = /\{\{\s*([$A-Za-z_][$\w.]*)\s*\}\}/g

/**
 * Compiles a `{{ field }}` template. `allowed` lists the field names (a name ending in
 * `.*` allows any key below it, such as `$labels.*`). Rendering a field with no value
 * gives an empty string; numbers are printed with at most 4 decimals.
 *
 * @example
 * ```ts
 * const t = compileTemplate('{{ $labels.service }} is down', ['$labels.*', '$value'])
 * t.render({ '$labels.service': 'api' }) // 'api is down'
 * ```
 */
export function compileTemplate(source: string, allowed: readonly string[]): Template {
  const fields: string[] = []
  for (const match of source.matchAll(FIELD)) {
    const field = match[1] as string
    const ok = allowed.some((a) => (a.endsWith('.*') ? field.startsWith(a.slice(0, -1)) : a === field))
    if (!ok) throw new TemplateFieldError(field, allowed)
    fields.push(field)
  }
  return {
    source,
    fields,
    render(values) {
      return source.replace(FIELD, (_m, field: string) => {
        const v = values[field]
        if (v === undefined) return ''
        return typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toFixed(4))) : v
      })
    },
  }
}
