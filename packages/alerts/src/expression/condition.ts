import type { MetricSnapshot } from '@noa/core'
import type { AgentFacts, Sample, ServiceScope } from '../context.ts'
import type { NameBinding, Value } from './names.ts'
import { dottedBinding, NAMES } from './names.ts'
import type { BinaryOp, Expr, LabelMatcher } from './parse.ts'
import { parseExpression } from './parse.ts'

interface CompiledMatcher {
  label: string
  test: (value: string | undefined) => boolean
}

/** The AST with names bound once, at construction, so evaluation only walks it. */
type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'binding'; binding: NameBinding }
  | { kind: 'selector'; name: string; matchers: CompiledMatcher[] }
  | { kind: 'unary'; op: '!' | '-'; operand: Node }
  | { kind: 'binary'; op: BinaryOp; left: Node; right: Node }

/** Everything a condition reads during one evaluation. */
export interface ConditionInput {
  snapshot: MetricSnapshot | undefined
  service: ServiceScope | undefined
  samples: readonly Sample[]
  agent?: AgentFacts | undefined
}

/** The outcome of a condition: it holds only when it evaluated to `true`. */
export interface ConditionResult {
  holds: boolean
  /** False when data the condition needs is absent, so it can say neither yes nor no. */
  known: boolean
  /** The left side of the first comparison, when numeric (the alert's `$value`). */
  value?: number
}

/** A parsed, bound condition: evaluate it as often as needed. */
export interface Condition {
  readonly source: string
  /** `service` when the condition reads per-service names: the rule then runs once per service. */
  readonly scope: 'global' | 'service'
  /** The condition reads health facts (state, critical, dependencies, healing), not only metrics. */
  readonly readsHealth: boolean
  /** The condition reads only the host's own facts (`store_unavailable`), no metric and no health fact. */
  readonly agentOnly: boolean
  /** Names that are neither snapshot fields nor health facts: looked up among scraped samples. */
  readonly warnings: readonly string[]
  evaluate(input: ConditionInput): Readonly<ConditionResult>
}

const COMPARISONS = new Set<BinaryOp>(['==', '!=', '>', '>=', '<', '<='])

// The results without a value, shared: a rule over 10,000 services is judged 10,000 times a
// round, and nearly every time it does not hold.
const FALSE: ConditionResult = Object.freeze({ holds: false, known: true })
const UNKNOWN: ConditionResult = Object.freeze({ holds: false, known: false })
const TRUE: ConditionResult = Object.freeze({ holds: true, known: true })

function compileMatcher(m: LabelMatcher): CompiledMatcher {
  if (m.op === '=' || m.op === '!=') {
    const equal = m.op === '='
    return { label: m.label, test: (v) => ((v ?? '') === m.value) === equal }
  }
  const re = new RegExp(`^(?:${m.value})$`)
  const match = m.op === '=~'
  return { label: m.label, test: (v) => re.test(v ?? '') === match }
}

function truth(v: Value): boolean | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'boolean') return v
  return typeof v === 'number' ? v !== 0 : v !== ''
}

function compare(op: BinaryOp, l: Value, r: Value): Value {
  if (l === undefined || r === undefined || typeof l !== typeof r) return undefined
  switch (op) {
    case '==':
      return l === r
    case '!=':
      return l !== r
    default:
      if (typeof l === 'boolean') return undefined
  }
  const a = l as number | string
  const b = r as number | string
  if (op === '>') return a > b
  if (op === '>=') return a >= b
  if (op === '<') return a < b
  return a <= b
}

function arithmetic(op: BinaryOp, l: Value, r: Value): Value {
  if (typeof l !== 'number' || typeof r !== 'number') return undefined
  if (op === '+') return l + r
  if (op === '-') return l - r
  if (op === '*') return l * r
  return r === 0 ? undefined : l / r
}

function walk(node: Node, input: ConditionInput): Value {
  switch (node.kind) {
    case 'literal':
      return node.value
    case 'binding':
      return node.binding.read(input.snapshot, input.service, input.agent)
    case 'selector': {
      let sum: number | undefined
      for (const sample of input.samples) {
        if (node.name !== '' && sample.name !== node.name) continue
        if (!node.matchers.every((m) => m.test(sample.labels[m.label]))) continue
        sum = (sum ?? 0) + sample.value
      }
      return sum
    }
    case 'unary': {
      const v = walk(node.operand, input)
      if (node.op === '-') return typeof v === 'number' ? -v : undefined
      const t = truth(v)
      return t === undefined ? undefined : !t
    }
    case 'binary': {
      const { op } = node
      if (op === '&&' || op === '||') {
        // Three-valued logic: absent is "unknown", so `absent || true` holds and `absent && true` does not.
        const l = truth(walk(node.left, input))
        if (op === '&&' && l === false) return false
        if (op === '||' && l === true) return true
        const r = truth(walk(node.right, input))
        if (op === '&&') return r === false ? false : l === undefined || r === undefined ? undefined : true
        return r === true ? true : l === undefined || r === undefined ? undefined : false
      }
      const l = walk(node.left, input)
      const r = walk(node.right, input)
      return COMPARISONS.has(op) ? compare(op, l, r) : arithmetic(op, l, r)
    }
  }
}

/**
 * Parses and binds a rule condition once. Unknown names are not errors: each one gives a
 * warning and is looked up among scraped samples, so it evaluates as absent until such a
 * metric appears (and a comparison with absent never holds).
 *
 * @example
 * ```ts
 * const c = compileCondition('cpu_usage > 0.90', 'cpu-overload')
 * c.evaluate({ snapshot, service: undefined, samples: [] }) // { holds: true, value: 0.93 }
 * ```
 */
export function compileCondition(source: string, rule: string): Condition {
  const ast = parseExpression(source, rule)
  const warnings: string[] = []
  let perService = false
  const scopes = new Set<NameBinding['scope']>()
  let valueNode: Node | undefined

  const bind = (e: Expr): Node => {
    switch (e.kind) {
      case 'number':
      case 'string':
      case 'bool':
        return { kind: 'literal', value: e.value }
      case 'name': {
        const binding = NAMES[e.name] ?? dottedBinding(e.name)
        if (binding) {
          scopes.add(binding.scope)
          if (binding.scope === 'service') perService = true
          return { kind: 'binding', binding }
        }
        warnings.push(
          `rule "${rule}": "${e.name}" at column ${e.column} is not a snapshot field or health fact; it is looked up among scraped samples and is absent until one is scraped`,
        )
        scopes.add('global')
        return { kind: 'selector', name: e.name, matchers: [] }
      }
      case 'selector':
        scopes.add('global')
        return { kind: 'selector', name: e.name, matchers: e.matchers.map(compileMatcher) }
      case 'unary':
        return { kind: 'unary', op: e.op, operand: bind(e.operand) }
      case 'binary': {
        const left = bind(e.left)
        const right = bind(e.right)
        if (!valueNode && COMPARISONS.has(e.op)) valueNode = left
        return { kind: 'binary', op: e.op, left, right }
      }
    }
  }
  const root = bind(ast)
  const scope = perService ? 'service' : 'global'

  return {
    source,
    scope,
    // Health facts are exactly the names that make a rule per-service.
    readsHealth: perService,
    agentOnly: scopes.size > 0 && [...scopes].every((s) => s === 'agent'),
    warnings,
    evaluate(input) {
      const result = walk(root, input)
      if (result !== true) return result === undefined ? UNKNOWN : FALSE
      if (!valueNode) return TRUE
      const value = walk(valueNode, input)
      return typeof value === 'number' ? { holds: true, known: true, value } : TRUE
    },
  }
}
