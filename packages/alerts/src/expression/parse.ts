import { brandError, NoaError } from '@noa/core'

/** A label matcher of a scraped-metric selector, as in PromQL: `=`, `!=`, `=~`, `!~`. */
export interface LabelMatcher {
  label: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

/** Binary operators, loosest-binding first in {@link PRECEDENCE}. */
export type BinaryOp = '||' | '&&' | '==' | '!=' | '>' | '>=' | '<' | '<=' | '+' | '-' | '*' | '/'

/** A node of a parsed condition. `column` is 1-based in the source text. */
export type Expr =
  | { kind: 'number'; value: number; column: number }
  | { kind: 'string'; value: string; column: number }
  | { kind: 'bool'; value: boolean; column: number }
  | { kind: 'name'; name: string; column: number }
  | { kind: 'selector'; name: string; matchers: LabelMatcher[]; column: number }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr; column: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; column: number }

/** Thrown when a condition cannot be parsed; names the rule and the 1-based column. */
export class ExpressionError extends NoaError {
  static {
    brandError(ExpressionError, 'ExpressionError')
  }

  readonly rule: string
  readonly column: number
  constructor(rule: string, column: number, problem: string) {
    super(`rule "${rule}": ${problem} at column ${column}`, { code: 'ERR_EXPRESSION' })
    this.rule = rule
    this.column = column
  }
}

type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'eof'
interface Token {
  kind: TokenKind
  text: string
  value?: number | string
  column: number
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const OPERATORS = [
  '&&',
  '||',
  '==',
  '!=',
  '>=',
  '<=',
  '=~',
  '!~',
  '>',
  '<',
  '!',
  '(',
  ')',
  '{',
  '}',
  ',',
  '=',
]
const ARITH = new Set(['+', '-', '*', '/'])

function tokenize(source: string, rule: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const ch = source[i] as string
    const column = i + 1
    if (/\s/.test(ch)) {
      i++
      continue
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(\d*\.?\d+(?:[eE][+-]?\d+)?)(ms|s|m|h|d)?(?![A-Za-z0-9_])/.exec(source.slice(i))
      if (!m) throw new ExpressionError(rule, column, `malformed number "${source.slice(i).split(/\s/)[0]}"`)
      const n = Number(m[1])
      tokens.push({ kind: 'number', text: m[0], value: m[2] ? n * (DURATION_MS[m[2]] as number) : n, column })
      i += m[0].length
      continue
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_:.]*/.exec(source.slice(i)) as RegExpExecArray
      tokens.push({ kind: 'ident', text: m[0], column })
      i += m[0].length
      continue
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1
      let text = ''
      while (j < source.length && source[j] !== ch) {
        if (source[j] === '\\' && j + 1 < source.length) {
          const next = source[j + 1] as string
          text += next === 'n' ? '\n' : next === 't' ? '\t' : next
          j += 2
        } else text += source[j++]
      }
      if (j >= source.length) throw new ExpressionError(rule, column, 'unterminated string')
      tokens.push({ kind: 'string', text: source.slice(i, j + 1), value: text, column })
      i = j + 1
      continue
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i)) ?? (ARITH.has(ch) ? ch : undefined)
    if (!op) throw new ExpressionError(rule, column, `unexpected character "${ch}"`)
    tokens.push({ kind: 'op', text: op, column })
    i += op.length
  }
  tokens.push({ kind: 'eof', text: 'end of condition', column: source.length + 1 })
  return tokens
}

/** Binding power of each binary operator: higher binds tighter. */
const PRECEDENCE: Record<BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '>': 4,
  '>=': 4,
  '<': 4,
  '<=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
}

/**
 * Parses a rule condition into an AST with a Pratt parser. Accepts comparisons, `&&`,
 * `||`, `!`, parentheses, `+ - * /`, numbers, durations (`30s`, `5m`), strings, `true`,
 * `false`, names (`error_rate`, `business.activeUsers`) and scraped-metric selectors with
 * label matchers (`http_requests_total{status="5xx", method!="GET"}`).
 *
 * @example
 * ```ts
 * const ast = parseExpression('health_check_failed && critical', 'service-down')
 * ```
 */
export function parseExpression(source: string, rule: string): Expr {
  const tokens = tokenize(source, rule)
  let pos = 0
  const peek = () => tokens[pos] as Token
  const next = () => tokens[pos++] as Token
  const fail = (token: Token, problem: string): never => {
    throw new ExpressionError(rule, token.column, problem)
  }
  const describe = (t: Token) => (t.kind === 'eof' ? t.text : `"${t.text}"`)
  const expectOp = (text: string) => {
    const t = next()
    if (t.kind !== 'op' || t.text !== text) fail(t, `expected "${text}" but found ${describe(t)}`)
    return t
  }

  const parseMatchers = (): LabelMatcher[] => {
    const matchers: LabelMatcher[] = []
    while (!(peek().kind === 'op' && peek().text === '}')) {
      const label = next()
      if (label.kind !== 'ident') fail(label, `expected a label name but found ${describe(label)}`)
      const op = next()
      if (op.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text))
        fail(op, `expected one of = != =~ !~ but found ${describe(op)}`)
      const value = next()
      if (value.kind !== 'string') fail(value, `expected a quoted label value but found ${describe(value)}`)
      if (op.text === '=~' || op.text === '!~') {
        try {
          new RegExp(`^(?:${value.value})$`)
        } catch {
          fail(value, `invalid regular expression ${value.text}`)
        }
      }
      matchers.push({ label: label.text, op: op.text as LabelMatcher['op'], value: value.value as string })
      if (peek().kind === 'op' && peek().text === ',') next()
      else if (!(peek().kind === 'op' && peek().text === '}'))
        fail(peek(), `expected "," or "}" but found ${describe(peek())}`)
    }
    next()
    return matchers
  }

  const parsePrefix = (): Expr => {
    const t = next()
    switch (t.kind) {
      case 'number':
        return { kind: 'number', value: t.value as number, column: t.column }
      case 'string':
        return { kind: 'string', value: t.value as string, column: t.column }
      case 'ident': {
        if (t.text === 'true' || t.text === 'false')
          return { kind: 'bool', value: t.text === 'true', column: t.column }
        if (peek().kind === 'op' && peek().text === '{') {
          next()
          return { kind: 'selector', name: t.text, matchers: parseMatchers(), column: t.column }
        }
        return { kind: 'name', name: t.text, column: t.column }
      }
      case 'op':
        if (t.text === '(') {
          const inner = parseBinary(0)
          expectOp(')')
          return inner
        }
        if (t.text === '!' || t.text === '-')
          return { kind: 'unary', op: t.text, operand: parseBinary(7), column: t.column }
        if (t.text === '{') {
          return { kind: 'selector', name: '', matchers: parseMatchers(), column: t.column }
        }
        return fail(t, `unexpected ${describe(t)}`)
      default:
        return fail(t, 'unexpected end of condition')
    }
  }

  const parseBinary = (minPower: number): Expr => {
    let left = parsePrefix()
    for (;;) {
      const t = peek()
      if (t.kind !== 'op' || !(t.text in PRECEDENCE)) break
      const power = PRECEDENCE[t.text as BinaryOp]
      if (power <= minPower) break
      next()
      const right = parseBinary(power)
      left = { kind: 'binary', op: t.text as BinaryOp, left, right, column: t.column }
    }
    return left
  }

  if (peek().kind === 'eof') fail(peek(), 'empty condition')
  const ast = parseBinary(0)
  const rest = peek()
  if (rest.kind !== 'eof') fail(rest, `unexpected ${describe(rest)}`)
  return ast
}
